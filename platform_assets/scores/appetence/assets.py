"""The appetence asset: customer x department rows, backtest, model, scores, metrics, registry."""

import time

import dagster as dg

from platform_assets.governance.ownership import SCORES
from platform_assets.lib import layers
from platform_assets.lib.metadata import asset_metadata, markdown_table, missing_inputs
from platform_assets.lib.model_metrics import write_model_metrics
from platform_assets.lib.reference_date import run_reference_date
from platform_assets.lib.settings import PlatformSettings
from platform_assets.lib.step_output import library_output_to_debug, summary
from platform_assets.lib.tables import not_delivered, replace_tables_from_frames, replace_with_empty
from platform_assets.lib.warehouse import Warehouse
from platform_assets.scores.appetence import columns
from platform_assets.scores.columns import described
from platform_assets.scores.registry import save_and_register

TABLE = "scores.customer_appetence"
DEPARTMENTS = "scores.customer_department_appetence"
SCHEMAS = {
    TABLE: described(columns.TYPES, columns.DESCRIPTIONS),
    DEPARTMENTS: described(columns.DEPARTMENT_TYPES, columns.DEPARTMENT_DESCRIPTIONS),
}
# Departments come from the catalogue: without it there is nothing to rank.
NEEDS = ("catalog_products", "catalog_categories")
DEPS = [
    dg.AssetKey(["sales", "fct_sales_lines"]),
    dg.AssetKey(["referential", "dim_product"]),
    dg.AssetKey(["referential", "dim_customer"]),
    # browsing, when the web analytics export is delivered (recomputed as of each cut-off from these)
    dg.AssetKey(["features", "customer_department_browsing"]),
    dg.AssetKey(["staging", "stg_web__events"]),
    dg.AssetKey(["referential", "cookie_xref"]),
]
GRAIN = "every customer with a purchase in the two years before the reference date"


def _spec(table: str, description: str, grain: str) -> dg.AssetSpec:
    return dg.AssetSpec(
        key=table.split("."),
        description=description,
        group_name=layers.SCORES,
        owners=SCORES.owners,
        kinds={"duckdb", "scikitlearn"},
        deps=DEPS,
        metadata=asset_metadata(SCORES, table, grain, SCHEMAS[table]),
    )


@dg.multi_asset(
    specs=[
        _spec(
            TABLE,
            "Next-best category: each customer's three departments most likely bought in within 30 days "
            "of the reference date, with their probabilities (gradient boosting on purchase history per "
            "department, and browsing when the web source is delivered), backtested each run against "
            "the departments' popularity (ops.model_metrics, model appetence).",
            f"one row per customer: {GRAIN}",
        ),
        _spec(
            DEPARTMENTS,
            "The appetence of every customer for every department: probability of a purchase in it "
            "within 30 days of the reference date, its rank for the customer, and the baseline "
            "(the department's popularity in the business unit).",
            f"one row per customer and department: {GRAIN}, times every department of the catalogue",
        ),
    ],
    pool="duckdb_writer",
    can_subset=False,
)
def customer_appetence(context: dg.AssetExecutionContext, platform: PlatformSettings, warehouse: Warehouse):
    # imported when the asset runs: keeps the code location fast
    from platform_assets.scores.appetence import report, scoring
    from platform_assets.scores.appetence.model import TooFewOutcomes

    ref = run_reference_date(context, platform, warehouse)
    started = time.perf_counter()
    with warehouse.connect() as conn, platform.scans(conn) as scan:
        try:
            if missing := platform.retailer.undelivered(NEEDS):
                raise TooFewOutcomes(not_delivered(missing, platform.retailer_config, "product departments"))
            with library_output_to_debug(context):
                result = scoring.run(conn, ref, scan)
        except TooFewOutcomes as untrainable:
            reason = f"the appetence model cannot be trained: {untrainable}"
            for table, schema in SCHEMAS.items():
                replace_with_empty(conn, table, schema, reason)
            context.log.info(f"{TABLE} skipped: {reason}")
            for table in SCHEMAS:
                yield dg.MaterializeResult(
                    asset_key=table.split("."),
                    metadata={"dagster/row_count": 0, "reference_date": str(ref), "skipped": reason},
                )
            return
        rows = replace_tables_from_frames(conn, {TABLE: result.scores, DEPARTMENTS: result.departments})
        write_model_metrics(conn, context.run_id, ref, [report.MODEL], report.metric_rows(result))
        save_and_register(conn, platform.models_path, *report.model_version(result, context.run_id))
    measures = result.backtest["ALL"]
    summary(
        context,
        TABLE,
        rows[TABLE],
        features=result.scores["features_used"][0] if result.scores.height else "none",
        backtest_precision_at_3=round(measures["model_precision_at_3"], 3),
        backtest_lift=round(measures["lift_precision_at_3"], 2),
    )
    common = {"reference_date": str(ref), "model_version": result.model.version}
    yield dg.MaterializeResult(
        asset_key=TABLE.split("."),
        metadata={
            "dagster/row_count": rows[TABLE],
            **common,
            "features_used": "purchases and browsing"
            if result.uses_browsing
            else "purchases only (no browsing table)",
            "cutoffs": dg.MetadataValue.json({k: str(v) for k, v in result.cutoffs.items()}),
            **missing_inputs(platform.retailer.absent_sources),
            **report.headline(result),
            f"lift_target_{report.TARGET_LIFT}x_met": bool(
                measures["lift_precision_at_3"] >= report.TARGET_LIFT
            ),
            "backtest": dg.MetadataValue.md(markdown_table(report.backtest_table(result))),
            "top_departments": dg.MetadataValue.md(markdown_table(report.top_departments(result))),
            "run_seconds": round(time.perf_counter() - started, 1),
        },
    )
    yield dg.MaterializeResult(
        asset_key=DEPARTMENTS.split("."), metadata={"dagster/row_count": rows[DEPARTMENTS], **common}
    )
