"""The churn asset: read the profile, run the model per business unit, write scores, register, report."""

import time

import dagster as dg

from platform_assets.governance.ownership import SCORES
from platform_assets.lib import layers
from platform_assets.lib.metadata import asset_metadata, markdown_table, missing_inputs
from platform_assets.lib.model_metrics import write_model_metrics
from platform_assets.lib.reference_date import run_reference_date
from platform_assets.lib.settings import PlatformSettings
from platform_assets.lib.step_output import library_output_to_debug, summary
from platform_assets.lib.tables import replace_table_from_frame, replace_with_empty, require_as_of
from platform_assets.lib.warehouse import Warehouse
from platform_assets.scores.churn import columns
from platform_assets.scores.columns import described
from platform_assets.scores.registry import save_and_register

TABLE = "scores.customer_churn"
PROFILE = "features.customer_profile"


@dg.asset(
    key=["scores", "customer_churn"],
    deps=[
        dg.AssetKey(["features", "customer_profile"]),
        dg.AssetKey(["sales", "fct_sales_lines"]),
        # browsing drivers, when the web analytics export is delivered (as of each cutoff, lib.web_events)
        dg.AssetKey(["staging", "stg_web__events"]),
        dg.AssetKey(["referential", "cookie_xref"]),
    ],
    group_name=layers.SCORES,
    owners=SCORES.owners,
    kinds={"duckdb", "scikitlearn"},
    metadata=asset_metadata(
        SCORES,
        TABLE,
        "one row per customer with a buying habit to lose: at least three purchase days, the latest "
        "within the business unit's horizon, an own mean gap of at most a third of it (about one "
        "customer in seven in the demo); one-time, slower and already silent buyers are not scored "
        "(the RFM segments cover them)",
        described(columns.TYPES, columns.DESCRIPTIONS),
    ),
    pool="duckdb_writer",
)
def customer_churn(
    context: dg.AssetExecutionContext, platform: PlatformSettings, warehouse: Warehouse
) -> dg.MaterializeResult:
    """Churn risk 0-100 of the customers who have a buying habit to lose (calibrated probability of no
    purchase within the business unit's horizon), the playbook's band and action, and the top three
    drivers in words. Trained per business unit on a time split and backtested every run on an earlier
    cutoff (ops.model_metrics)."""
    # imported when the asset runs: keeps the code location fast
    from platform_assets.scores.churn import report, scoring
    from platform_assets.scores.churn.model import TooFewOutcomes

    ref = run_reference_date(context, platform, warehouse)
    started = time.perf_counter()
    with warehouse.connect() as conn:
        require_as_of(conn, PROFILE, ref)
        profile = conn.sql(f"select * from {PROFILE}").pl()
        try:
            with library_output_to_debug(context):  # scikit-learn's convergence notes
                result = scoring.run(conn, ref, profile, platform.retailer.churn)
        except TooFewOutcomes as untrainable:  # e.g. a history shorter than the horizon and its backtest
            reason = f"the churn model cannot be trained on this history: {untrainable}"
            rows = replace_with_empty(conn, TABLE, described(columns.TYPES, columns.DESCRIPTIONS), reason)
            context.log.info(f"{TABLE} skipped: {reason}")
            return dg.MaterializeResult(
                metadata={"dagster/row_count": rows, "reference_date": str(ref), "skipped": reason}
            )
        rows = replace_table_from_frame(conn, TABLE, result.scores)
        write_model_metrics(conn, context.run_id, ref, [report.MODEL], report.metric_rows(result))
        for fitted, entry in report.model_versions(result, context.run_id):
            save_and_register(conn, platform.models_path, fitted, entry)
    summary(
        context,
        TABLE,
        rows,
        of_customers_profiled=profile.height,
        **{f"backtest_auc_{bu}": round(float(m["auc"]), 3) for bu, m in result.backtest.items()},
    )
    cutoffs = {bu: platform.retailer.churn.of(bu).band_cutoffs for bu in result.horizons}
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": rows,
            "reference_date": str(ref),
            "horizon_days": dg.MetadataValue.json(result.horizons),
            "band_cutoffs": dg.MetadataValue.json({bu: list(c) for bu, c in cutoffs.items()}),
            **missing_inputs(platform.retailer.absent_sources, profile),
            "model_versions": dg.MetadataValue.json({bu: m.version for bu, m in result.models.items()}),
            # browsing drivers with a web source whose history covers the training cutoff
            "uses_browsing": bool(result.group_measures.get("uses_browsing", 0.0)),
            "features": dg.MetadataValue.json(
                next(iter(result.models.values())).features if result.models else []
            ),
            **report.headline(result),
            "backtest": dg.MetadataValue.md(markdown_table(report.backtest_table(result))),
            "calibration_chart": dg.MetadataValue.md(
                report.calibration_chart(result.backtest_predictions, cutoffs)
            ),
            "bands": dg.MetadataValue.md(markdown_table(report.bands_table(result.scores))),
            "run_seconds": round(time.perf_counter() - started, 1),
        }
    )
