"""Behavioural segment assets: read the profile, assign with the frozen model, write, report.

``scores.customer_segment`` never re-clusters on its own: it assigns with the active frozen
classifier of ``ops.model_registry``. It discovers (and freezes a new version) only when asked
(``rediscover: true``, the ``rediscover_segments`` job) or when no segmentation was ever frozen
(first run), and says so in its metadata.
"""

import time
from typing import TYPE_CHECKING

import dagster as dg

from platform_assets.governance.ownership import SCORES
from platform_assets.lib import layers
from platform_assets.lib.metadata import asset_metadata, markdown_table, missing_inputs
from platform_assets.lib.model_metrics import write_model_metrics
from platform_assets.lib.reference_date import run_reference_date
from platform_assets.lib.settings import PlatformSettings
from platform_assets.lib.step_output import library_output_to_debug, summary
from platform_assets.lib.tables import (
    EMPTY_BY_DESIGN,
    empty_by_design,
    not_delivered,
    replace_table_from_frame,
    replace_with_empty,
    require_as_of,
)
from platform_assets.lib.warehouse import Warehouse
from platform_assets.scores.segments import columns
from platform_assets.scores.segments.columns import SEGMENT_TABLE

if TYPE_CHECKING:
    from platform_assets.scores.segments.freeze import FreezeReport

PROFILE = dg.AssetKey(["features", "customer_profile"])
RFM = dg.AssetKey(["features", "customer_rfm"])
CUSTOMER_SEGMENT = dg.AssetKey(["scores", "customer_segment"])
PROFILE_TABLE = "features.customer_profile"
SEGMENT_PROFILE = "scores.segment_profile"
CROSSTAB = "scores.segment_rfm_crosstab"
# Segments are discovered on what customers buy, by product department: no catalogue, no segments.
NEEDS = ("catalog_products", "catalog_categories")


def _skipped(context, conn, table: str, columns_, reason: str, ref) -> dg.MaterializeResult:
    """An empty ``table`` that says why (the data the segments need is not there)."""
    rows = replace_with_empty(conn, table, columns_, reason)
    context.log.info(f"{table} skipped: {reason}")
    return dg.MaterializeResult(
        metadata={"dagster/row_count": rows, "reference_date": str(ref), "skipped": reason}
    )


class SegmentationConfig(dg.Config):
    rediscover: bool = False  # True: discover and freeze a new segmentation version first


def _discovery_metadata(report: "FreezeReport | None", trigger: str) -> dict:
    if report is None:
        return {}
    return {
        "discovery_trigger": trigger,
        "discovery_comparison": dg.MetadataValue.md(markdown_table(report.comparison)),
        "discovery_choice": report.reason,
        "classifier_choice": report.classifier_reason,
        "holdout_accuracy": round(report.holdout_accuracy, 4),
        "discovery_seconds": round(report.seconds, 1),
    }


@dg.asset(
    key=CUSTOMER_SEGMENT,
    deps=[PROFILE],
    group_name=layers.SCORES,
    owners=SCORES.owners,
    kinds={"scikitlearn", "duckdb"},
    metadata=asset_metadata(SCORES, SEGMENT_TABLE, "one row per profiled customer", columns.CUSTOMER_SEGMENT),
    pool="duckdb_writer",
)
def customer_segment(
    context: dg.AssetExecutionContext,
    config: SegmentationConfig,
    platform: PlatformSettings,
    warehouse: Warehouse,
) -> dg.MaterializeResult:
    """Each customer's behavioural segment as of the reference date, assigned by the frozen
    segmentation's classifier (ops.model_registry: segmentation + segment_classifier), so segments
    don't reshuffle overnight. Discovers a new version only when asked (rediscover_segments) or on
    the very first run."""
    # imported when the asset runs: keeps the code location fast
    from platform_assets.scores.segments import daily, prepare
    from platform_assets.scores.segments.freeze import freeze, load_frozen

    ref = run_reference_date(context, platform, warehouse)
    if missing := platform.retailer.undelivered(NEEDS):
        reason = not_delivered(missing, platform.retailer_config, "purchases by product department")
        with warehouse.connect() as conn:
            return _skipped(context, conn, SEGMENT_TABLE, columns.CUSTOMER_SEGMENT, reason, ref)
    started = time.perf_counter()
    with warehouse.connect() as conn, library_output_to_debug(context):  # scikit-learn's notes
        require_as_of(conn, PROFILE_TABLE, ref)
        profile = conn.sql(f"select * from {PROFILE_TABLE}").pl()
        frozen, report = (None if config.rediscover else load_frozen(conn)), None
        trigger = "rediscover requested" if config.rediscover else "no frozen segmentation (first run)"
        if frozen is None:
            context.log.info(f"discovering a new behavioural segmentation: {trigger}")
            readable = prepare.readable(prepare.buyers(profile))
            frozen, report = freeze(conn, readable, ref, context.run_id, platform.models_path)
            write_model_metrics(
                conn, context.run_id, ref, daily.DISCOVERY_MODELS, daily.discovery_metric_rows(report)
            )
        assign_started = time.perf_counter()
        table = daily.assign_all(frozen, profile, ref)
        assign_seconds = time.perf_counter() - assign_started
        stable = daily.day_to_day(conn, frozen.version, table, ref)
        rows = replace_table_from_frame(conn, SEGMENT_TABLE, table)
        metrics = daily.assignment_metric_rows(rows, stable)
        write_model_metrics(conn, context.run_id, ref, [daily.ASSIGNMENT], metrics)
    summary(
        context,
        SEGMENT_TABLE,
        rows,
        segmentation=frozen.version,
        segments=table["segment_key"].n_unique(),
        discovered_in_this_run=report is not None,
    )
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": rows,
            "reference_date": str(ref),
            "segmentation_version": frozen.version,
            **missing_inputs(platform.retailer.absent_sources, profile),
            "discovered_in_this_run": report is not None,
            **_discovery_metadata(report, trigger),
            "classifier": frozen.classifier.method,
            "segments": dg.MetadataValue.md(markdown_table(daily.summary(table))),
            "segment_sizes": dg.MetadataValue.md(daily.sizes_chart(table)),
            "stability_vs_previous_run": dg.MetadataValue.json(stable or {"compared": "no earlier day"}),
            "assign_seconds": round(assign_seconds, 2),
            "run_seconds": round(time.perf_counter() - started, 1),
        }
    )


@dg.asset(
    key=["scores", "segment_profile"],
    deps=[CUSTOMER_SEGMENT, PROFILE],
    group_name=layers.SCORES,
    owners=SCORES.owners,
    kinds={"polars", "duckdb"},
    metadata=asset_metadata(
        SCORES, SEGMENT_PROFILE, "one row per business unit (and ALL) and segment", columns.SEGMENT_PROFILE
    ),
    pool="duckdb_writer",
)
def segment_profile(
    context: dg.AssetExecutionContext, platform: PlatformSettings, warehouse: Warehouse
) -> dg.MaterializeResult:
    """Per behavioural segment and business unit: size, share of the last 12 months' value, the
    indicators that set it apart (lift and distance against the whole base) and its name (proposed
    from them at discovery, or marketing's, segment_names.csv)."""
    from platform_assets.scores.segments import tables

    ref = run_reference_date(context, platform, warehouse)
    with warehouse.connect() as conn:
        if reason := empty_by_design(conn, SEGMENT_TABLE):
            return _skipped(
                context,
                conn,
                SEGMENT_PROFILE,
                columns.SEGMENT_PROFILE,
                reason.removeprefix(EMPTY_BY_DESIGN),
                ref,
            )
        require_as_of(conn, SEGMENT_TABLE, ref)
        require_as_of(conn, PROFILE_TABLE, ref)
        segments = conn.sql(f"select * from {SEGMENT_TABLE}").pl()
        profile = conn.sql(f"select * from {PROFILE_TABLE}").pl()
        table = tables.profile_table(segments, profile, ref)
        rows = replace_table_from_frame(conn, SEGMENT_PROFILE, table)
    summary(context, SEGMENT_PROFILE, rows)
    group = tables.group_summary(table)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": rows,
            "reference_date": str(ref),
            "segments": dg.MetadataValue.md(markdown_table(group)),
            "names_from_marketing": int((group["name_source"] == "marketing").sum()),
        }
    )


@dg.asset(
    key=["scores", "segment_rfm_crosstab"],
    deps=[CUSTOMER_SEGMENT, RFM],
    group_name=layers.SCORES,
    owners=SCORES.owners,
    kinds={"polars", "duckdb"},
    metadata=asset_metadata(
        SCORES,
        CROSSTAB,
        "one row per business unit (and ALL), behavioural and RFM segment",
        columns.SEGMENT_RFM_CROSSTAB,
    ),
    pool="duckdb_writer",
)
def segment_rfm_crosstab(
    context: dg.AssetExecutionContext, platform: PlatformSettings, warehouse: Warehouse
) -> dg.MaterializeResult:
    """Behavioural segments crossed with RFM segments (customers, share of each, lift): which
    behaviours the Champions, the At risk or the Lost show, to pick an offer per cell."""
    import polars as pl

    from platform_assets.scores.segments import tables

    ref = run_reference_date(context, platform, warehouse)
    with warehouse.connect() as conn:
        if reason := empty_by_design(conn, SEGMENT_TABLE):
            return _skipped(
                context,
                conn,
                CROSSTAB,
                columns.SEGMENT_RFM_CROSSTAB,
                reason.removeprefix(EMPTY_BY_DESIGN),
                ref,
            )
        require_as_of(conn, SEGMENT_TABLE, ref)
        segments = conn.sql(f"select * from {SEGMENT_TABLE}").pl()
        rfm = conn.sql("select customer_id, segment from features.customer_rfm").pl()
        table = tables.rfm_crosstab(segments, rfm).with_columns(pl.lit(ref).alias("reference_date"))
        rows = replace_table_from_frame(conn, CROSSTAB, table)
    summary(context, CROSSTAB, rows)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": rows,
            "reference_date": str(ref),
            "crosstab_customers": dg.MetadataValue.md(markdown_table(tables.crosstab_wide(table))),
        }
    )


rediscover_segments = dg.define_asset_job(
    "rediscover_segments",
    selection=dg.AssetSelection.assets(
        CUSTOMER_SEGMENT, ["scores", "segment_profile"], ["scores", "segment_rfm_crosstab"]
    ),
    config={"ops": {"scores__customer_segment": {"config": {"rediscover": True}}}},
    description=(
        "Discovers a new behavioural segmentation on today's profile and freezes it as a new version "
        "(ops.model_registry: segmentation + segment_classifier), then reassigns every customer. "
        "The daily refresh never does this on its own."
    ),
)
