"""Freezing a segmentation: discover, name, train the classifier, save and register a version.

A version is derived from the discovery's inputs and parameters (``seg-<date>-<hash>``): asking
twice on the same data registers one version, not two. Both models go to ops.model_registry:
``segmentation`` (the discovery: preprocessing, PCA, candidates, frozen labels, proposed names) and
``segment_classifier`` (what assigns customers every day), with their features and metrics.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import polars as pl

from platform_assets.scores.registry import ModelVersion, active_version, load_artifact, save_and_register
from platform_assets.scores.segments import describe, discovery
from platform_assets.scores.segments.assignment import NO_PURCHASE, SegmentClassifier, train

SEGMENTATION = "segmentation"
CLASSIFIER = "segment_classifier"
NO_PURCHASE_NAME = "No purchase yet"


@dataclass
class FrozenSegmentation:
    version: str
    reference_date: date
    proposed_names: dict[int, str]  # segment_id -> name, NO_PURCHASE included
    classifier: SegmentClassifier


@dataclass
class FreezeReport:
    comparison: pl.DataFrame
    reason: str
    classifier_reason: str
    holdout_accuracy: float
    metric_rows: list[tuple[str, str, float]]
    seconds: float


def version_of(found: discovery.Discovery, ref: date) -> str:
    digest = hashlib.sha256()
    digest.update("\n".join(found.customer_ids).encode())
    # rounded: DuckDB's parallel sums differ in the last bits from one recomputation to the next
    digest.update((np.round(found.inputs, 6) + 0.0).tobytes())  # + 0.0: no negative zero
    digest.update(json.dumps(found.params, sort_keys=True).encode())
    return f"seg-{ref:%Y%m%d}-{digest.hexdigest()[:8]}"


def _metric_rows(found: discovery.Discovery, accuracy: dict[str, float]) -> list[tuple[str, str, float]]:
    rows = []
    for c in found.candidates:
        tag = c.method + "".join(f"_{k}{v}" for k, v in c.params.items() if k in ("k", "min_cluster_size"))
        for metric in ("silhouette", "davies_bouldin", "noise_share", "segments"):
            value = getattr(c, metric)
            if value is not None:
                rows.append((SEGMENTATION, f"{tag}_{metric}", float(value)))
    chosen = found.chosen
    rows += [(SEGMENTATION, f"chosen_{m}", float(getattr(chosen, m))) for m in ("segments", "noise_share")]
    rows += [(SEGMENTATION, "chosen_silhouette", float(chosen.silhouette or 0.0))]
    rows += [(CLASSIFIER, metric, value) for metric, value in accuracy.items()]
    return rows


def freeze(
    conn: duckdb.DuckDBPyConnection, readable: pl.DataFrame, ref: date, run_id: str, models_dir: Path
) -> tuple[FrozenSegmentation, FreezeReport]:
    """Discovers segments on ``readable`` (buyers' indicators), names them, trains the classifier,
    saves both artifacts under ``models_dir`` and registers them as the active version."""
    started = time.perf_counter()
    found = discovery.discover(readable)
    version = version_of(found, ref)
    sample = readable.join(pl.DataFrame({"customer_id": found.customer_ids}), on="customer_id")
    labelled = describe.comparable(sample.sort("customer_id")).with_columns(
        pl.Series("segment_id", found.labels)
    )
    proposed = describe.propose_names(describe.distinctions(labelled.filter(pl.col("segment_id") > 0)))
    proposed[NO_PURCHASE] = NO_PURCHASE_NAME
    classifier, accuracy, classifier_reason = train(
        version, found.preparer, found.inputs, found.labels, seed=found.seed
    )
    frozen = FrozenSegmentation(version, ref, proposed, classifier)
    chosen = found.chosen
    seg_metrics = {
        "segments": float(chosen.segments),
        "silhouette": float(chosen.silhouette or 0.0),
        "davies_bouldin": float(chosen.davies_bouldin or 0.0),
        "noise_share": chosen.noise_share,
        "sample_customers": float(len(found.customer_ids)),
    }
    save_and_register(
        conn,
        models_dir,
        # no customer id in a model file (an erased person must not survive in one): the sample is
        # kept as its size and the version's digest
        {"discovery": replace(found, customer_ids=[]), "proposed_names": proposed, "reason": found.reason},
        ModelVersion(SEGMENTATION, version, "ALL", ref, run_id, found.preparer.columns, seg_metrics),
    )
    save_and_register(
        conn,
        models_dir,
        frozen,
        ModelVersion(CLASSIFIER, version, "ALL", ref, run_id, classifier.features, accuracy),
    )
    report = FreezeReport(
        discovery.comparison(found),
        found.reason,
        classifier_reason,
        accuracy["holdout_accuracy"],
        _metric_rows(found, accuracy),
        time.perf_counter() - started,
    )
    return frozen, report


def load_frozen(conn: duckdb.DuckDBPyConnection) -> FrozenSegmentation | None:
    """The active frozen segmentation (its classifier artifact), or None when none was ever frozen."""
    segmentation = active_version(conn, SEGMENTATION)
    classifier = active_version(conn, CLASSIFIER)
    if segmentation is None and classifier is None:
        return None
    if segmentation is None or classifier is None or segmentation["version"] != classifier["version"]:
        raise ValueError(
            "ops.model_registry: the active segmentation "
            f"({segmentation and segmentation['version']}) and segment_classifier "
            f"({classifier and classifier['version']}) differ: run the rediscover_segments job to freeze a new pair"
        )
    frozen = load_artifact(classifier["artifact_path"])
    if not isinstance(frozen, FrozenSegmentation) or frozen.version != classifier["version"]:
        raise ValueError(
            f"{classifier['artifact_path']} is not the frozen segmentation {classifier['version']}"
        )
    return frozen
