"""Features assets: read the referential, call the pure modules, write tables, report metadata."""

import time

import dagster as dg

from platform_assets.features import browsing, columns, ltv_cac, profile, rfm
from platform_assets.governance.ownership import FEATURES, MARKETING
from platform_assets.lib import layers
from platform_assets.lib.metadata import asset_metadata, markdown_table
from platform_assets.lib.model_metrics import write_model_metrics
from platform_assets.lib.reference_date import run_reference_date
from platform_assets.lib.settings import PlatformSettings
from platform_assets.lib.step_output import library_output_to_debug, summary
from platform_assets.lib.tables import (
    comment_table,
    not_delivered,
    replace_table,
    replace_table_from_frame,
    replace_with_empty,
    require_as_of,
)
from platform_assets.lib.warehouse import Warehouse

SALES_LINES = dg.AssetKey(["sales", "fct_sales_lines"])
SALES_ORDERS = dg.AssetKey(["sales", "fct_orders"])
DIM_CUSTOMER = dg.AssetKey(["referential", "dim_customer"])
BUSINESS_UNITS = dg.AssetKey(["referential", "business_units"])
RFM_CELLS = dg.AssetKey(["intermediate", "int_rfm_segment_cells"])  # marketing's playbook, per score cell
PROFILE_INPUTS = [
    SALES_LINES,
    SALES_ORDERS,
    DIM_CUSTOMER,
    BUSINESS_UNITS,
    dg.AssetKey(["referential", "dim_product"]),
    dg.AssetKey(["referential", "customer_xref"]),
    dg.AssetKey(["marketing", "fct_email_events"]),
    dg.AssetKey(["marketing", "dim_customer_acquisition"]),
    dg.AssetKey(["intermediate", "int_consent_choices"]),
    dg.AssetKey(["staging", "stg_loyalty__cards"]),
    dg.AssetKey(["marketing", "fct_web_events"]),
    dg.AssetKey(["features", "customer_catchment"]),
]


def without_web_events(conn, platform: PlatformSettings) -> str | None:
    """Why there is no browsing to compute from (None when there is): the retailer does not deliver
    the web analytics export, or it delivered no event (``when_no_files: empty``, see raw.web_events)."""
    if "web_events" in platform.retailer.absent_sources:
        return not_delivered(("web_events",), platform.retailer_config, "the web analytics export")
    [(events,)] = conn.execute(f"select count(*) from {browsing.WEB_EVENTS}").fetchall()
    return (
        None
        if events
        else f"no web event in {browsing.WEB_EVENTS} (raw.web_events is empty: see its load metadata)"
    )


# DuckDB spills to disk beyond this: with the Python side (the CLV frames) a features step stays
# under the 6 GB the 1M-customer benchmark allows, and other steps keep their memory.
DUCKDB_MEMORY_LIMIT = "4GB"


@dg.asset(
    key=["features", "customer_profile"],
    deps=PROFILE_INPUTS,
    group_name=layers.FEATURES,
    owners=FEATURES.owners,
    kinds={"duckdb", "sql"},
    metadata=asset_metadata(FEATURES, profile.TABLE, "one row per customer known before the reference date"),
    pool="duckdb_writer",
)
def customer_profile(
    context: dg.AssetExecutionContext, platform: PlatformSettings, warehouse: Warehouse
) -> dg.MaterializeResult:
    """50+ documented indicators per customer as of the run's reference date: recency, frequency,
    monetary (12 months and lifetime), baskets, category, channel and store shares, discounts,
    returns, purchase rhythm, recent trend, e-mail engagement, consents (platform_assets/features/indicators.py),
    and the catchment: nearest store, distance and band (features.customer_catchment)."""
    ref = run_reference_date(context, platform, warehouse)
    started = time.perf_counter()
    absent = platform.retailer.absent_sources
    with warehouse.connect(memory_limit=DUCKDB_MEMORY_LIMIT) as conn, platform.scans(conn) as scan:
        if "web_events" not in absent and without_web_events(conn, platform):
            absent += ("web_events",)  # configured, but nothing delivered: null, not 0
        relation = profile.customer_profile(conn, ref, absent, scan)
        departments = profile.departments(conn)
        rows = replace_table(conn, profile.TABLE, profile.with_catchment(conn, relation.sql_query()))
        comments = {**profile.column_comments(departments), **profile.CATCHMENT_COLUMNS}
        comment_table(conn, profile.TABLE, None, comments)
        buyers, indicators = profile.counts(conn)
    summary(context, profile.TABLE, rows, buyers=buyers, indicators=indicators, as_of=str(ref))
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": rows,
            "reference_date": str(ref),
            "buyers": buyers,
            "indicators": indicators,
            "departments": len(departments),
            "sources_not_delivered": ", ".join(absent) or "none",
            "indicators_null_for_missing_sources": ", ".join(profile.null_indicators(absent)) or "none",
            "run_seconds": round(time.perf_counter() - started, 1),
        }
    )


@dg.asset(
    key=browsing.TABLE.split("."),
    deps=[dg.AssetKey(["marketing", "fct_web_events"]), DIM_CUSTOMER],
    group_name=layers.FEATURES,
    owners=FEATURES.owners,
    kinds={"duckdb", "sql"},
    metadata=asset_metadata(
        FEATURES,
        browsing.TABLE,
        "one row per customer and department browsed in the 365 days before the reference date",
        [(name, type_, text) for name, (type_, text) in browsing.COLUMNS.items()],
    ),
    pool="duckdb_writer",
)
def customer_department_browsing(
    context: dg.AssetExecutionContext, platform: PlatformSettings, warehouse: Warehouse
) -> dg.MaterializeResult:
    """Per customer and department, as of the run's reference date: product views (30 and 90 days),
    category page views, cart adds, searches that led to the department, visits, days since the last
    view; from the web events stitched to customers (marketing.fct_web_events, bots left out).
    Without any web event the table is dropped, not left empty: a model reading it (the appetence
    score) trains on purchases alone when it does not exist."""
    ref = run_reference_date(context, platform, warehouse)
    with warehouse.connect(memory_limit=DUCKDB_MEMORY_LIMIT) as conn, platform.scans(conn) as scan:
        if reason := without_web_events(conn, platform):
            conn.execute(f"drop table if exists {browsing.TABLE}")
            context.log.info(f"{browsing.TABLE} not built: {reason}")
            return dg.MaterializeResult(
                metadata={"dagster/row_count": 0, "reference_date": str(ref), "skipped": reason}
            )
        rows = replace_table(conn, browsing.TABLE, browsing.department_browsing(conn, ref, scan).sql_query())
        comment_table(
            conn,
            browsing.TABLE,
            "Browsing per customer and department as of the reference date (web events before it).",
            {name: text for name, (_, text) in browsing.COLUMNS.items()},
        )
        [(customers,)] = conn.execute(f"select count(distinct customer_id) from {browsing.TABLE}").fetchall()
    summary(context, browsing.TABLE, rows, customers=customers, as_of=str(ref))
    return dg.MaterializeResult(
        metadata={"dagster/row_count": rows, "reference_date": str(ref), "customers": customers}
    )


@dg.asset(
    key=["features", "customer_rfm"],
    deps=[dg.AssetKey(["features", "customer_profile"]), RFM_CELLS],
    group_name=layers.FEATURES,
    owners=FEATURES.owners,
    kinds={"duckdb", "sql"},
    metadata=asset_metadata(
        FEATURES, rfm.TABLE, "one row per customer with a purchase", columns.CUSTOMER_RFM
    ),
    pool="duckdb_writer",
)
def customer_rfm(
    context: dg.AssetExecutionContext, platform: PlatformSettings, warehouse: Warehouse
) -> dg.MaterializeResult:
    """R, F and M scored 1-5 within each business unit and the playbook's named segment of the cell
    (marketing.rfm_segment_rules, owned by marketing, resolved per cell by intermediate.int_rfm_segment_cells)."""
    ref = run_reference_date(context, platform, warehouse)
    with warehouse.connect(memory_limit=DUCKDB_MEMORY_LIMIT) as conn:
        require_as_of(conn, profile.TABLE, ref)
        rows = replace_table(conn, rfm.TABLE, rfm.customer_rfm(conn).sql_query())
        segments = rfm.segment_summary(conn)
    summary(context, rfm.TABLE, rows, segments_by_business_unit=segments.height)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": rows,
            "reference_date": str(ref),
            "segments": dg.MetadataValue.md(markdown_table(segments)),
        }
    )


@dg.asset(
    key=["features", "customer_clv"],
    deps=[SALES_ORDERS, DIM_CUSTOMER, BUSINESS_UNITS],
    group_name=layers.FEATURES,
    owners=FEATURES.owners,
    kinds={"duckdb", "scipy"},
    metadata=asset_metadata(
        FEATURES, columns.CLV_TABLE, "one row per customer with a purchase", columns.CUSTOMER_CLV
    ),
    pool="duckdb_writer",
)
def customer_clv(
    context: dg.AssetExecutionContext, platform: PlatformSettings, warehouse: Warehouse
) -> dg.MaterializeResult:
    """BG/NBD (purchases, P(alive)) and Gamma-Gamma (spend) fitted per business unit by maximum
    likelihood on the calibration period (the retailer's clv settings: time unit, horizon,
    calibration end, by default the day before the reference date): expected purchases and value
    over the horizon and a value tier. Each run backtests itself (fit on a period that ends before
    the last day known, predict what followed) into ops.model_metrics."""
    # numpy, polars and scipy load when the models run, not with the code location
    from platform_assets.features import lifetime_value

    ref = run_reference_date(context, platform, warehouse)
    periods = lifetime_value.clv_periods(platform.retailer.clv, ref)
    started = time.perf_counter()
    with (
        warehouse.connect(memory_limit=DUCKDB_MEMORY_LIMIT) as conn,
        library_output_to_debug(context),  # scipy's optimiser notes
    ):
        with platform.scans(conn) as scan:
            summaries = lifetime_value.customer_summaries(conn, periods, scan)
        predictions, models = lifetime_value.customer_clv(summaries, periods)
        fitted_s = time.perf_counter() - started
        backtest = lifetime_value.backtest(summaries.history, periods.holdout_units)
        table = lifetime_value.clv_table(predictions, lifetime_value.currencies(conn))
        rows = replace_table_from_frame(conn, lifetime_value.TABLE, table)
        metrics = lifetime_value.parameter_rows(models) + backtest
        write_model_metrics(conn, context.run_id, ref, lifetime_value.MODELS, metrics)
    backtest_table = lifetime_value.metrics_table(metrics, backtest=True)
    summary(context, lifetime_value.TABLE, rows, models_fitted=len(models), fit_seconds=round(fitted_s, 1))
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": rows,
            "reference_date": str(ref),
            **lifetime_value.period_metadata(periods),
            "parameters": dg.MetadataValue.md(
                markdown_table(lifetime_value.metrics_table(metrics, backtest=False))
            ),
            "backtest": dg.MetadataValue.md(
                markdown_table(backtest_table)
                if backtest_table is not None
                else "history too short before the backtest's end: no backtest"
            ),
            **lifetime_value.headline(backtest),
            "fit_seconds": round(fitted_s, 1),
            "run_seconds": round(time.perf_counter() - started, 1),
        }
    )


@dg.asset(
    key=["marketing", "channel_ltv_cac"],
    deps=[
        dg.AssetKey(["features", "customer_clv"]),
        SALES_LINES,
        BUSINESS_UNITS,
        dg.AssetKey(["marketing", "dim_customer_acquisition"]),
        dg.AssetKey(["marketing", "fct_marketing_spend"]),
    ],
    group_name=layers.FEATURES,
    owners=MARKETING.owners,
    kinds={"duckdb", "sql"},
    metadata=asset_metadata(
        MARKETING,
        ltv_cac.TABLE,
        "one row per business unit and acquisition channel",
        columns.CHANNEL_LTV_CAC,
    ),
    pool="duckdb_writer",
)
def channel_ltv_cac(
    context: dg.AssetExecutionContext, platform: PlatformSettings, warehouse: Warehouse
) -> dg.MaterializeResult:
    """Per acquisition channel and business unit: customers acquired, CAC from marketing spend,
    12-month realised LTV (the prior year's cohort) and predicted LTV (the last year's), LTV/CAC."""
    ref = run_reference_date(context, platform, warehouse)
    if missing := platform.retailer.undelivered(ltv_cac.NEEDS):
        reason = not_delivered(missing, platform.retailer_config, "each customer's acquisition channel")
        with warehouse.connect() as conn:
            rows = replace_with_empty(conn, ltv_cac.TABLE, columns.CHANNEL_LTV_CAC, reason)
        context.log.info(f"{ltv_cac.TABLE} skipped: {reason}")
        return dg.MaterializeResult(
            metadata={"dagster/row_count": rows, "reference_date": str(ref), "skipped": reason}
        )
    with warehouse.connect(memory_limit=DUCKDB_MEMORY_LIMIT) as conn:
        require_as_of(conn, columns.CLV_TABLE, ref, allow_empty=True)
        rows = replace_table(conn, ltv_cac.TABLE, ltv_cac.channel_ltv_cac(conn, ref).sql_query())
        paid = ltv_cac.paid_channels(conn)
    summary(context, ltv_cac.TABLE, rows, paid_channels_by_business_unit=paid.height)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": rows,
            "reference_date": str(ref),
            "paid_channels": dg.MetadataValue.md(markdown_table(paid)),
        }
    )
