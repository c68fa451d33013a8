"""The rows identity resolution stores, from the clusters and their ids: the crosswalk (each record, its
customer id and the rule that linked it), the ids issued, the merges and splits. Frames in, frames out."""

from dataclasses import replace
from datetime import datetime

import polars as pl

from platform_assets.referential.identity.schema import XREF_COLUMNS
from platform_assets.referential.identity.stable_ids import IdAssignment

RULE_PRIORITY = {
    "loyalty_card": 0,
    "email": 1,
    "phone": 2,
    "name_birth_date": 3,
    "name_address": 4,
    "probabilistic": 5,
}


def link_rules(edges: pl.DataFrame) -> pl.DataFrame:
    """For each record, the strongest link that ties it to its cluster (and its best probability)."""
    ends = pl.concat(
        [
            edges.select(pl.col("record_id_l").alias("record_id"), "rule", "match_probability"),
            edges.select(pl.col("record_id_r").alias("record_id"), "rule", "match_probability"),
        ]
    ).with_columns(pl.col("rule").replace_strict(RULE_PRIORITY, return_dtype=pl.Int64).alias("priority"))
    return (
        ends.sort(
            ["record_id", "priority", "match_probability"], descending=[False, False, True], nulls_last=True
        )
        .group_by("record_id", maintain_order=True)
        .first()
        .select("record_id", pl.col("rule").alias("match_rule"), "match_probability")
    )


def without_erased(ids: IdAssignment, erased: set[str]) -> IdAssignment:
    """The id assignment with the erased customers gone: no crosswalk row, no new id, no history."""
    kept = sorted(erased)
    return replace(
        ids,
        assignments=ids.assignments.filter(~pl.col("customer_id").is_in(kept)),
        issued=ids.issued.filter(~pl.col("customer_id").is_in(kept)),
        history=ids.history.filter(
            ~pl.col("old_customer_id").is_in(kept) & ~pl.col("new_customer_id").is_in(kept)
        ),
        retired=[c for c in ids.retired if c not in erased],
    )


def crosswalk(
    assignments: pl.DataFrame, edges: pl.DataFrame, flags: pl.DataFrame, run_id: str, now: datetime
) -> pl.DataFrame:
    """``referential.customer_xref``: every assigned record with its source, customer id and the rule that
    linked it (``first_record`` when it is alone, ``too_little_identity`` when it could not be matched).
    ``flags``: record_id, has_too_little_identity."""
    too_little = pl.col("has_too_little_identity").fill_null(False)
    split = pl.col("record_id").str.splitn(":", 2).struct
    return (
        assignments.join(link_rules(edges), on="record_id", how="left")
        .join(flags, on="record_id", how="left")
        .with_columns(
            split.field("field_0").alias("source_system"),
            split.field("field_1").alias("source_id"),
            too_little.alias("is_too_little_identity"),
            pl.when(pl.col("match_rule").is_null() & too_little)
            .then(pl.lit("too_little_identity"))
            .otherwise(pl.col("match_rule").fill_null("first_record"))
            .alias("match_rule"),
            pl.lit(run_id).alias("linked_run_id"),
            pl.lit(now).alias("linked_at"),
        )
        .select(XREF_COLUMNS)
    )


def issued_ids(issued: pl.DataFrame, registry: pl.DataFrame, run_id: str, now: datetime) -> pl.DataFrame:
    """Rows of ``referential.customer_ids`` for the ids issued by this run, numbered after the registry's."""
    next_seq = int(registry["issued_seq"].max() or 0) + 1 if registry.height else 1
    return issued.with_row_index("offset").select(
        "customer_id",
        (pl.col("offset").cast(pl.Int64) + next_seq).alias("issued_seq"),
        pl.lit(run_id).alias("issued_run_id"),
        pl.lit(now).alias("issued_at"),
        "anchor_record_id",
    )


def id_changes(history: pl.DataFrame, run_id: str, now: datetime) -> pl.DataFrame:
    """Rows of ``referential.customer_id_history``: this run's merges and splits."""
    return history.with_columns(
        pl.col("records").cast(pl.Int64), pl.lit(run_id).alias("run_id"), pl.lit(now).alias("changed_at")
    )
