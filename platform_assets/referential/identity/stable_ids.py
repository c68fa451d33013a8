"""Stable customer ids across runs.

Rules (documented in the referential README):
- A new person gets ``CUS-`` + the first 12 hex digits of sha256 of their anchor record id (the
  smallest record id in the cluster): reproducible, and not derived from row order. If that id was
  ever issued, ``#1``, ``#2``… is appended to the anchor before hashing.
- A cluster whose records already had ids keeps one of them: each previous id goes to the cluster
  that holds most of its records (ties: the cluster with the smallest anchor record id).
- Merge: a cluster owning several previous ids keeps the one issued first (ties: the smallest id);
  the others are recorded as merged into it.
- Split: a cluster holding records of an id it does not own gets its own id (kept or new), and the
  move is recorded as a split from the old id.
- An id whose records are all gone is retired. No id is ever reused for another person.
"""

import hashlib
from dataclasses import dataclass

import polars as pl

ID_PREFIX = "CUS-"


@dataclass(frozen=True)
class IdAssignment:
    assignments: pl.DataFrame  # record_id, cluster_id, customer_id
    history: pl.DataFrame  # old_customer_id, new_customer_id, reason, records
    issued: pl.DataFrame  # customer_id, anchor_record_id (ids issued by this run)
    retired: list[str]  # ids whose records are all gone


def new_customer_id(anchor_record_id: str, taken: set[str]) -> str:
    salt = 0
    while True:
        key = anchor_record_id if salt == 0 else f"{anchor_record_id}#{salt}"
        candidate = ID_PREFIX + hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]
        if candidate not in taken:
            return candidate
        salt += 1


def assign_customer_ids(
    clusters: pl.DataFrame,
    previous: pl.DataFrame,
    registry: pl.DataFrame,
) -> IdAssignment:
    """Give every cluster a customer id.

    clusters: record_id, cluster_id (any label, only grouping matters).
    previous: record_id, customer_id from the last run's crosswalk (empty on the first run).
    registry: customer_id, issued_seq (order of issue: smaller = earlier) of every id ever issued.
    """
    anchors = clusters.group_by("cluster_id").agg(pl.col("record_id").min().alias("anchor"))
    claims = (
        clusters.join(previous.select("record_id", "customer_id"), on="record_id", how="inner")
        .group_by("cluster_id", "customer_id")
        .agg(pl.len().alias("records"))
        .join(anchors, on="cluster_id")
    )
    # each previous id goes to the cluster holding most of its records (ties: smallest anchor)
    owners = (
        claims.sort(["customer_id", "records", "anchor"], descending=[False, True, False])
        .group_by("customer_id", maintain_order=True)
        .first()
        .select("customer_id", "cluster_id")
    )
    issued_seq = registry.select("customer_id", "issued_seq")
    survivors = (
        owners.join(issued_seq, on="customer_id", how="left")
        .sort(["cluster_id", "issued_seq", "customer_id"], nulls_last=True)
        .group_by("cluster_id", maintain_order=True)
        .agg(pl.col("customer_id").first().alias("survivor"), pl.col("customer_id").alias("owned"))
    )
    taken = set(registry["customer_id"].to_list())
    needing_ids = anchors.join(survivors, on="cluster_id", how="anti").sort("anchor")
    fresh = []
    for cluster_id, anchor in needing_ids.select("cluster_id", "anchor").iter_rows():
        customer_id = new_customer_id(anchor, taken)
        taken.add(customer_id)
        fresh.append((cluster_id, customer_id, anchor))
    fresh_df = pl.DataFrame(
        fresh,
        schema={
            "cluster_id": clusters.schema["cluster_id"],
            "customer_id": pl.String,
            "anchor_record_id": pl.String,
        },
        orient="row",
    )
    cluster_ids = pl.concat(
        [
            survivors.select("cluster_id", pl.col("survivor").alias("customer_id")),
            fresh_df.select("cluster_id", "customer_id"),
        ]
    )
    assignments = clusters.join(cluster_ids, on="cluster_id", how="left").select(
        "record_id", "cluster_id", "customer_id"
    )

    merges = (
        survivors.explode("owned")
        .filter(pl.col("owned") != pl.col("survivor"))
        .join(
            claims.select("cluster_id", pl.col("customer_id").alias("owned"), "records"),
            on=["cluster_id", "owned"],
        )
        .select(
            pl.col("owned").alias("old_customer_id"),
            pl.col("survivor").alias("new_customer_id"),
            pl.lit("merge").alias("reason"),
            "records",
        )
    )
    splits = (
        claims.join(owners.rename({"cluster_id": "owner_cluster"}), on="customer_id")
        .filter(pl.col("cluster_id") != pl.col("owner_cluster"))
        .join(cluster_ids.rename({"customer_id": "new_customer_id"}), on="cluster_id")
        .select(
            pl.col("customer_id").alias("old_customer_id"),
            "new_customer_id",
            pl.lit("split").alias("reason"),
            "records",
        )
    )
    history = pl.concat([merges, splits]).sort("old_customer_id", "new_customer_id")
    kept = set(cluster_ids["customer_id"].to_list())
    previously_live = set(previous["customer_id"].unique().to_list())
    merged_away = set(merges["old_customer_id"].to_list())
    retired = sorted(previously_live - kept - merged_away)
    return IdAssignment(assignments, history, fresh_df.select("customer_id", "anchor_record_id"), retired)
