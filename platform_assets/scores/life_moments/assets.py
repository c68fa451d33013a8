"""The life-moments asset: covariates and entries from the sales, Cox models, scores, metrics, registry."""

import time

import dagster as dg

from platform_assets.governance.ownership import SCORES
from platform_assets.lib import layers
from platform_assets.lib.metadata import asset_metadata, markdown_table, missing_inputs
from platform_assets.lib.model_metrics import write_model_metrics
from platform_assets.lib.reference_date import run_reference_date
from platform_assets.lib.retailer import RetailerConfigError
from platform_assets.lib.settings import PlatformSettings
from platform_assets.lib.step_output import library_output_to_debug, summary
from platform_assets.lib.tables import (
    not_delivered,
    replace_table_from_frame,
    replace_with_empty,
)
from platform_assets.lib.warehouse import Warehouse
from platform_assets.scores.columns import described
from platform_assets.scores.life_moments import columns
from platform_assets.scores.registry import save_and_register

TABLE = "scores.customer_life_moments"
# The moments are read from what customers buy, by product department: without the catalogue
# there is nothing to detect them from.
NEEDS = ("catalog_products", "catalog_categories")


@dg.asset(
    key=["scores", "customer_life_moments"],
    deps=[
        dg.AssetKey(["sales", "fct_sales_lines"]),
        dg.AssetKey(["referential", "dim_product"]),
        dg.AssetKey(["referential", "dim_customer"]),
        dg.AssetKey(["referential", "customer_xref"]),
        # browsing, when the web analytics export is delivered (as of each cutoff, lib.web_events)
        dg.AssetKey(["staging", "stg_web__events"]),
        dg.AssetKey(["referential", "cookie_xref"]),
    ],
    group_name=layers.SCORES,
    owners=SCORES.owners,
    kinds={"duckdb", "python"},
    metadata=asset_metadata(
        SCORES,
        TABLE,
        "one row per customer with a purchase in the last two years and moment",
        described(columns.TYPES, columns.DESCRIPTIONS),
    ),
    pool="duckdb_writer",
)
def customer_life_moments(
    context: dg.AssetExecutionContext, platform: PlatformSettings, warehouse: Warehouse
) -> dg.MaterializeResult:
    """Probability of entering each life moment (moving home, renovation project, new garden) within
    the next 90 days: Cox proportional hazards on behavioural signals (purchases, and browsing with a
    web source) with Kaplan-Meier baselines,
    backtested every run on an earlier cutoff, against the demo's ground truth when it is there."""
    # imported when the asset runs: keeps the code location fast
    from platform_assets.scores.life_moments import report, scoring, signals

    ref = run_reference_date(context, platform, warehouse)
    catalogue = platform.retailer.life_moments
    reason = None
    if missing := platform.retailer.undelivered(NEEDS):
        reason = not_delivered(missing, platform.retailer_config, "purchases by product department")
    elif catalogue is None:
        reason = (
            f"no life moment configured: life_moments (the catalogue's categories of each moment) is "
            f"absent from the retailer configuration {platform.retailer_config}"
        )
    if reason:
        with warehouse.connect() as conn:
            rows = replace_with_empty(conn, TABLE, described(columns.TYPES, columns.DESCRIPTIONS), reason)
        context.log.info(f"{TABLE} skipped: {reason}")
        return dg.MaterializeResult(
            metadata={"dagster/row_count": rows, "reference_date": str(ref), "skipped": reason}
        )
    started = time.perf_counter()
    moments = signals.moments(catalogue)
    with (
        warehouse.connect() as conn,
        platform.scans(conn) as scan,
        library_output_to_debug(context),  # lifelines' fitting notes
    ):
        if unknown := signals.unknown_names(conn, moments):
            raise RetailerConfigError(
                f"{platform.retailer_config}: life_moments names the catalogue (referential.dim_product) "
                f"does not have: {'; '.join(unknown)}"
            )
        units = tuple(platform.retailer.units_by_code)
        result = scoring.run(conn, ref, platform.ground_truth_path, units, moments, scan)
        rows = replace_table_from_frame(conn, TABLE, result.scores)
        write_model_metrics(conn, context.run_id, ref, report.MODELS, result.metrics)
        for fitted, entry in report.model_versions(result, context.run_id):
            save_and_register(conn, platform.models_path, fitted, entry)
    summary(
        context,
        TABLE,
        rows,
        customers=result.scores["customer_id"].n_unique(),
        entries_detected=result.entries.height,
    )
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": rows,
            "reference_date": str(ref),
            "plans": dg.MetadataValue.json(
                {
                    m: {k: v if isinstance(v, bool | int) else str(v) for k, v in p.items()}
                    for m, p in result.plans.items()
                }
            ),
            **missing_inputs(platform.retailer.absent_sources),
            "model_versions": dg.MetadataValue.json({k: m.version for k, m in result.models.items()}),
            "uses_browsing": result.browsing,
            "follow_days": dg.MetadataValue.json({m: p["follow_days"] for m, p in result.plans.items()}),
            "covariates": dg.MetadataValue.json({k: m.covariates for k, m in result.models.items()}),
            "season_profiles": dg.MetadataValue.json(report.season_profiles(result)),
            **report.headline(result),
            "backtest": dg.MetadataValue.md(markdown_table(report.backtest_table(result))),
            "baseline_survival": dg.MetadataValue.md(report.survival_chart(result)),
            "entries_detected": result.entries.height,
            "notes": dg.MetadataValue.json(result.notes),
            "run_seconds": round(time.perf_counter() - started, 1),
        }
    )
