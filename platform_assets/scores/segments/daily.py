"""The daily assignment: every profiled customer's segment from the frozen classifier, its stability
against the previous day, and the rows and summaries the asset reports.

Pure but for ``day_to_day``, which reads the previous assignment before it is replaced.
"""

from __future__ import annotations

from datetime import date

import duckdb
import polars as pl

from platform_assets.lib.charts import figure_markdown, horizontal_bars
from platform_assets.lib.tables import table_exists
from platform_assets.scores.segments import names, prepare
from platform_assets.scores.segments.assignment import NO_PURCHASE, stability
from platform_assets.scores.segments.columns import SEGMENT_TABLE
from platform_assets.scores.segments.freeze import CLASSIFIER, SEGMENTATION, FreezeReport, FrozenSegmentation

ASSIGNMENT = "segment_assignment"
DISCOVERY_MODELS = [SEGMENTATION, CLASSIFIER]


def assign_all(frozen: FrozenSegmentation, profile: pl.DataFrame, ref: date) -> pl.DataFrame:
    """Every profiled customer's segment: buyers by the classifier, the others "no purchase yet"."""
    readable = prepare.readable(prepare.buyers(profile))
    segment_ids, probability = frozen.classifier.assign(readable)
    assigned = readable.select("customer_id").with_columns(
        pl.Series("segment_id", segment_ids, dtype=pl.Int64), pl.Series("segment_probability", probability)
    )
    overrides = names.read_overrides()
    labels = names.final_names(frozen.version, frozen.proposed_names, overrides)
    key = {s: names.segment_key(frozen.version, s) for s in labels}
    return (
        profile.select("customer_id", "business_unit")
        .join(assigned, on="customer_id", how="left")
        .with_columns(pl.col("segment_id").fill_null(NO_PURCHASE))
        .with_columns(
            pl.lit(ref).alias("reference_date"),
            pl.col("segment_id").replace_strict(key, return_dtype=pl.String).alias("segment_key"),
            pl.col("segment_id").replace_strict({s: n for s, (n, _) in labels.items()}).alias("segment_name"),
            pl.col("segment_id")
            .replace_strict({s: src for s, (_, src) in labels.items()})
            .alias("name_source"),
            pl.lit(frozen.version).alias("segmentation_version"),
        )
        .select(
            "customer_id",
            "reference_date",
            "business_unit",
            "segment_id",
            "segment_key",
            "segment_name",
            "name_source",
            "segment_probability",
            "segmentation_version",
        )
        .sort("customer_id")
    )


def day_to_day(conn: duckdb.DuckDBPyConnection, version: str, table: pl.DataFrame, ref: date) -> dict:
    """Stability of ``table`` against the assignment still in the warehouse when it is of the same
    segmentation version and an earlier day (``assignment.stability``); empty otherwise."""
    if not table_exists(conn, SEGMENT_TABLE):
        return {}
    previous = conn.sql(
        f"select customer_id, segment_id, segmentation_version, reference_date from {SEGMENT_TABLE}"
    ).pl()
    same = previous.filter((pl.col("segmentation_version") == version) & (pl.col("reference_date") != ref))
    if not same.height:
        return {}
    return {**stability(same, table), "previous_reference_date": str(same["reference_date"].max())}


def discovery_metric_rows(report: FreezeReport) -> list[dict]:
    """The discovery's candidates and the classifier's accuracy, for ops.model_metrics (group-wide)."""
    return [{"model": model, "metric": metric, "value": value} for model, metric, value in report.metric_rows]


def assignment_metric_rows(customers: int, stable: dict) -> list[dict]:
    """Customers assigned and the day-to-day stability, for ops.model_metrics (group-wide)."""
    values = {"customers": float(customers)}
    values |= {
        k: v for k, v in stable.items() if k in ("changed_share", "adjusted_rand", "customers_compared")
    }
    return [{"model": ASSIGNMENT, "metric": k, "value": v} for k, v in values.items()]


def summary(table: pl.DataFrame) -> pl.DataFrame:
    """Customers and their share per segment."""
    return (
        table.group_by("segment_id", "segment_name", "name_source")
        .agg(pl.len().alias("customers"))
        .with_columns((pl.col("customers") / table.height).round(4).alias("share"))
        .sort("segment_id")
    )


def sizes_chart(table: pl.DataFrame) -> str:
    """Share of customers per segment, as a markdown image."""
    sizes = table.group_by("segment_id", "segment_name").len().sort("segment_id")
    share = (sizes["len"] / sizes["len"].sum()).round(3).to_list()
    labels = [f"{s}. {n}"[:60] for s, n in sizes.select("segment_id", "segment_name").iter_rows()]
    return figure_markdown(
        horizontal_bars(labels, share, "Customers per behavioural segment", "share of customers"),
        "segment sizes",
    )
