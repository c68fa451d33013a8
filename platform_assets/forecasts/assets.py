"""The weekly demand forecast asset: read the weekly series, backtest, train, forecast, write, register."""

import time

import dagster as dg

from platform_assets.forecasts import columns
from platform_assets.governance.ownership import SALES
from platform_assets.lib import layers
from platform_assets.lib.metadata import asset_metadata, markdown_table
from platform_assets.lib.model_metrics import write_model_metrics
from platform_assets.lib.reference_date import run_reference_date
from platform_assets.lib.settings import PlatformSettings
from platform_assets.lib.step_output import summary
from platform_assets.lib.tables import casts, replace_table_from_frame, replace_with_empty
from platform_assets.lib.warehouse import Warehouse

TABLE = "forecasts.demand_weekly"
MODEL = "demand_forecast"


@dg.asset(
    key=TABLE.split("."),
    deps=[
        dg.AssetKey(["sales", "fct_sales_lines"]),
        dg.AssetKey(["referential", "dim_product"]),
        dg.AssetKey(["staging", "stg_campaigns__campaigns"]),
    ],
    group_name=layers.SCORES,
    owners=SALES.owners,
    kinds={"duckdb", "scikitlearn"},
    metadata=asset_metadata(
        SALES,
        TABLE,
        "one row per store, department and week of the next forecast.horizon_weeks after the last "
        "complete week, for every store x department with a year of sales behind the week",
        columns.COLUMNS,
    ),
    pool="duckdb_writer",
)
def demand_weekly(
    context: dg.AssetExecutionContext, platform: PlatformSettings, warehouse: Warehouse
) -> dg.MaterializeResult:
    """Units each store will sell per department in each of the next weeks, with an interval, from
    gradient boosting on lags, last year's weeks, the season and the campaign calendar; beside it the
    seasonal-naive baseline. Backtested every run on the last known weeks (ops.model_metrics)."""
    # imported when the asset runs: keeps the code location fast
    from platform_assets.forecasts import model, report, series
    from platform_assets.scores.registry import ModelVersion, save_and_register

    ref = run_reference_date(context, platform, warehouse)
    settings = platform.retailer.forecast
    started = time.perf_counter()
    with warehouse.connect() as conn, platform.scans(conn) as scan:
        weekly = series.weekly(conn, ref, settings.horizon_weeks, series.has_campaign_calendar(conn), scan)
        try:
            if not weekly.weeks:
                raise model.TooShort(
                    "no weekly sales by store and department: it needs sales with a store and products "
                    "with a department (catalog_products)"
                )
            if len(weekly.weeks) < settings.min_history_weeks:
                raise model.TooShort(
                    f"{len(weekly.weeks)} complete weeks of sales, forecast.min_history_weeks is "
                    f"{settings.min_history_weeks}"
                )
            measured, probe, rows = model.backtest(weekly, settings.backtest_weeks, settings.interval)
            last = len(weekly.weeks) - 1
            fitted = model.fit(weekly, last, settings.horizon_weeks, settings.interval)
            # the interval's dispersion from the backtest's own errors: weeks its model had not seen
            fitted.dispersion = model.dispersion(probe, weekly, measured.origin, settings.backtest_weeks)
            forecast = model.forecast(fitted, weekly, last, settings.horizon_weeks)
        except model.TooShort as short:
            reason = f"no demand forecast: {short}"
            context.log.info(f"{TABLE} skipped: {reason}")
            empty = replace_with_empty(conn, TABLE, columns.COLUMNS, reason)
            return dg.MaterializeResult(
                metadata={"dagster/row_count": empty, "reference_date": str(ref), "skipped": reason}
            )
        frame = report.forecast_frame(weekly, forecast, fitted, ref)
        written = replace_table_from_frame(conn, TABLE, frame, select=casts(columns.COLUMNS))
        metrics = report.metric_rows(weekly, measured, rows, fitted)
        write_model_metrics(conn, context.run_id, ref, [MODEL], metrics)
        save_and_register(
            conn,
            platform.models_path,
            fitted,
            ModelVersion(
                MODEL,
                fitted.version,
                "ALL",
                weekly.last_week,
                context.run_id,
                list(model.FEATURES),
                {m["metric"]: m["value"] for m in metrics if m["business_unit"] == "ALL"},
            ),
        )
    summary(
        context,
        TABLE,
        written,
        backtest_wape=measured.wape,
        seasonal_naive_wape=measured.wape_seasonal_naive,
        interval_coverage=measured.coverage,
    )
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": written,
            "reference_date": str(ref),
            "last_known_week": str(weekly.last_week),
            "series": weekly.keys.height,
            "backtest_wape": round(measured.wape, 4),
            "backtest_wape_seasonal_naive": round(measured.wape_seasonal_naive, 4),
            "backtest_wape_reduction": round(measured.wape_reduction, 4),
            "backtest_interval_coverage": round(measured.coverage, 4),
            "interval_dispersion": round(fitted.dispersion, 3),
            "backtest": dg.MetadataValue.md(markdown_table(report.backtest_table(metrics))),
            "run_seconds": round(time.perf_counter() - started, 1),
        }
    )
