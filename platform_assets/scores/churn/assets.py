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
from platform_assets.lib.tables import replace_tables_from_frames, replace_with_empty, require_as_of
from platform_assets.lib.warehouse import Warehouse
from platform_assets.scores.champion_challenger.store import promoted_champion
from platform_assets.scores.churn import columns
from platform_assets.scores.columns import described
from platform_assets.scores.registry import save_and_register

TABLE = "scores.customer_churn"
VERSIONS = "scores.customer_churn_versions"
PROFILE = "features.customer_profile"
DEPS = [
    dg.AssetKey(["features", "customer_profile"]),
    dg.AssetKey(["sales", "fct_sales_lines"]),
    # browsing drivers, when the web analytics export is delivered (as of each cutoff, lib.web_events)
    dg.AssetKey(["staging", "stg_web__events"]),
    dg.AssetKey(["referential", "cookie_xref"]),
]


def _spec(table: str, description: str, grain: str, schema: dict) -> dg.AssetSpec:
    return dg.AssetSpec(
        key=table.split("."),
        deps=DEPS,
        description=description,
        group_name=layers.SCORES,
        owners=SCORES.owners,
        kinds={"duckdb", "scikitlearn"},
        metadata=asset_metadata(SCORES, table, grain, schema),
    )


SCORES_SPEC = _spec(
    TABLE,
    "Churn risk 0-100 of the customers who have a buying habit to lose (calibrated probability of no "
    "purchase within the business unit's horizon), the playbook's band and action, and the top three "
    "drivers in words, from the version (champion or challenger) that drives the customer. Trained on a "
    "time split and backtested every run on an earlier cutoff (ops.model_metrics).",
    "one row per customer with a buying habit to lose: at least three purchase days, the latest "
    "within the business unit's horizon, an own mean gap of at most a third of it (about one "
    "customer in seven in the demo); one-time, slower and already silent buyers are not scored "
    "(the RFM segments cover them)",
    described(columns.TYPES, columns.DESCRIPTIONS),
)
VERSIONS_SPEC = _spec(
    VERSIONS,
    "Every version of the churn model scoring every scored customer: the champion and, when the "
    "retailer declares one (churn.challenger), the challenger, with the arm that drives the customer.",
    "one row per scored customer and model version (champion, challenger)",
    described(columns.VERSION_TYPES, columns.VERSION_DESCRIPTIONS),
)


@dg.multi_asset(specs=[SCORES_SPEC, VERSIONS_SPEC], pool="duckdb_writer", name="customer_churn")
def customer_churn(context: dg.AssetExecutionContext, platform: PlatformSettings, warehouse: Warehouse):
    """Churn risk 0-100 of the customers who have a buying habit to lose (calibrated probability of no
    purchase within the business unit's horizon), the playbook's band and action, and the top three
    drivers in words. Trained per business unit on a time split and backtested every run on an earlier
    cutoff (ops.model_metrics)."""
    # imported when the asset runs: keeps the code location fast
    from platform_assets.scores.churn import report, scoring
    from platform_assets.scores.churn.model import TooFewOutcomes

    ref = run_reference_date(context, platform, warehouse)
    started = time.perf_counter()
    settings = platform.retailer.churn
    with warehouse.connect() as conn, platform.scans(conn) as scan:
        require_as_of(conn, PROFILE, ref)
        profile = conn.sql(f"select * from {PROFILE}").pl()
        promoted = promoted_champion(conn, report.MODEL)
        try:
            with library_output_to_debug(context):  # scikit-learn's convergence notes
                result = scoring.run(conn, ref, profile, settings, promoted, scan)
        except TooFewOutcomes as untrainable:  # e.g. a history shorter than the horizon and its backtest
            reason = f"the churn model cannot be trained on this history: {untrainable}"
            context.log.info(f"{TABLE} skipped: {reason}")
            for table, types, texts in (
                (TABLE, columns.TYPES, columns.DESCRIPTIONS),
                (VERSIONS, columns.VERSION_TYPES, columns.VERSION_DESCRIPTIONS),
            ):
                rows = replace_with_empty(conn, table, described(types, texts), reason)
                yield dg.MaterializeResult(
                    asset_key=table.split("."),
                    metadata={"dagster/row_count": rows, "reference_date": str(ref), "skipped": reason},
                )
            return
        written = replace_tables_from_frames(conn, {TABLE: result.scores, VERSIONS: result.versions})
        rows = written[TABLE]
        versions = [(report.MODEL, result)]
        if result.challenger is not None:
            versions.append((report.CHALLENGER_MODEL, result.challenger))
        write_model_metrics(
            conn,
            context.run_id,
            ref,
            [name for name, _ in versions] + [report.CHALLENGER_MODEL],
            [row for name, run in versions for row in report.metric_rows(run, name)],
        )
        for name, run in versions:
            for fitted, entry in report.model_versions(run, context.run_id, name):
                save_and_register(conn, platform.models_path, fitted, entry)
    summary(
        context,
        TABLE,
        rows,
        of_customers_profiled=profile.height,
        **{f"backtest_auc_{bu}": round(float(m["auc"]), 3) for bu, m in result.backtest.items()},
    )
    cutoffs = {bu: settings.of(bu).band_cutoffs for bu in result.horizons}
    champion = next(iter(result.models.values())).estimator if result.models else None
    yield dg.MaterializeResult(
        asset_key=TABLE.split("."),
        metadata={
            "dagster/row_count": rows,
            "reference_date": str(ref),
            "horizon_days": dg.MetadataValue.json(result.horizons),
            "band_cutoffs": dg.MetadataValue.json({bu: list(c) for bu, c in cutoffs.items()}),
            **missing_inputs(platform.retailer.absent_sources, profile),
            "model_versions": dg.MetadataValue.json({bu: m.version for bu, m in result.models.items()}),
            "champion": str(champion),
            "champion_promoted": promoted is not None,
            "customers_by_arm": dg.MetadataValue.json(
                dict(result.scores.group_by("model_arm").len().sort("model_arm").iter_rows())
            ),
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
        },
    )
    challenger = result.challenger
    yield dg.MaterializeResult(
        asset_key=VERSIONS.split("."),
        metadata={
            "dagster/row_count": written[VERSIONS],
            "reference_date": str(ref),
            "champion": str(champion),
            "challenger": "none"
            if challenger is None
            else next(iter(challenger.models.values())).estimator
            if challenger.models
            else "none",
            "champion_backtest_auc": round(result.group_measures.get("backtest_auc", float("nan")), 4),
            "challenger_backtest_auc": None
            if challenger is None
            else round(challenger.group_measures.get("backtest_auc", float("nan")), 4),
        },
    )
