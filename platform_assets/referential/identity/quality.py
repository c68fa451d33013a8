"""Match quality against a ground truth: pairwise precision / recall / F1, false merges, purity."""

from dataclasses import asdict, dataclass
from pathlib import Path

import polars as pl


@dataclass(frozen=True)
class MatchQuality:
    records: int
    clusters: int
    true_entities: int
    true_pairs: int  # pairs of records the resolution put together that are the same person
    predicted_pairs: int  # pairs of records the resolution put together
    actual_pairs: int  # pairs of records that are the same person
    precision: float
    recall: float
    f1: float
    false_merges: int  # clusters that hold more than one true person
    cluster_purity: float  # share of records in their cluster's majority person

    def as_dict(self) -> dict:
        return asdict(self)


def _pairs(counts: pl.Series) -> int:
    return int((counts * (counts - 1) // 2).sum())


def match_quality(labels: pl.DataFrame) -> MatchQuality:
    """``labels``: one row per record with ``cluster_id`` (predicted) and ``entity_id`` (true)."""
    cells = labels.group_by("cluster_id", "entity_id").len()
    per_cluster = labels.group_by("cluster_id").len()
    per_entity = labels.group_by("entity_id").len()
    tp = _pairs(cells["len"])
    predicted = _pairs(per_cluster["len"])
    actual = _pairs(per_entity["len"])
    precision = tp / predicted if predicted else 1.0
    recall = tp / actual if actual else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    entities_per_cluster = cells.group_by("cluster_id").len()
    majority = cells.group_by("cluster_id").agg(pl.col("len").max())["len"].sum()
    return MatchQuality(
        records=labels.height,
        clusters=per_cluster.height,
        true_entities=per_entity.height,
        true_pairs=tp,
        predicted_pairs=predicted,
        actual_pairs=actual,
        precision=precision,
        recall=recall,
        f1=f1,
        false_merges=int((entities_per_cluster["len"] > 1).sum()),
        cluster_purity=majority / labels.height if labels.height else 1.0,
    )


def read_ground_truth(ground_truth_dir: Path) -> pl.DataFrame | None:
    """record_id, entity_id (the true person) from the demo generator's ``source_records.csv``; None
    when the directory holds none (real data has no ground truth)."""
    path = ground_truth_dir / "source_records.csv"
    if not path.exists():
        return None
    truth = pl.read_csv(path, infer_schema=False)
    return truth.select(
        (pl.col("source_system") + ":" + pl.col("source_id")).alias("record_id"),
        pl.col("person_id").alias("entity_id"),
    )


def measure(xref: pl.DataFrame, truth: pl.DataFrame | None) -> MatchQuality | None:
    """The crosswalk's quality on its records present in the ground truth (None without one)."""
    if truth is None:
        return None
    return match_quality(
        xref.select("record_id", pl.col("customer_id").alias("cluster_id")).join(truth, on="record_id")
    )
