"""Profit engine assets: read the facts, run the set-based SQL of the pure modules, write, report."""

import time

import dagster as dg

from platform_assets.governance.ownership import MARKETING, SALES
from platform_assets.lib import layers
from platform_assets.lib.metadata import asset_metadata, markdown_table
from platform_assets.lib.reference_date import run_reference_date
from platform_assets.lib.settings import PlatformSettings
from platform_assets.lib.step_output import summary
from platform_assets.lib.tables import replace_table, require_as_of
from platform_assets.lib.warehouse import Warehouse
from platform_assets.profit import attribution, catchment, columns, margin_matrix

ORDERS = dg.AssetKey(["sales", "fct_orders"])
SALES_LINES = dg.AssetKey(["sales", "fct_sales_lines"])
# DuckDB spills to disk beyond this (the 1M benchmark's 6 GB per step leaves room for the rest)
DUCKDB_MEMORY_LIMIT = "4GB"


@dg.asset(
    key=["marketing", "attribution"],
    deps=[
        ORDERS,
        dg.AssetKey(["marketing", "fct_email_events"]),
        dg.AssetKey(["marketing", "fct_web_events"]),
        dg.AssetKey(["marketing", "dim_customer_acquisition"]),
    ],
    group_name=layers.FEATURES,
    owners=MARKETING.owners,
    kinds={"duckdb", "sql"},
    metadata=asset_metadata(
        MARKETING,
        attribution.TABLE,
        "one row per business unit, month, attribution model, channel and campaign",
        columns.ATTRIBUTION,
    ),
    pool="duckdb_writer",
)
def marketing_attribution(
    context: dg.AssetExecutionContext, platform: PlatformSettings, warehouse: Warehouse
) -> dg.MaterializeResult:
    """Orders credited to the marketing touches (e-mail clicks, web sessions with a UTM, paid
    acquisitions) of their customer's look-back window: position-based, last-touch and linear side by
    side; orders with no touch kept as no_touch. Attributed orders, revenue and gross margin."""
    ref = run_reference_date(context, platform, warehouse)
    settings = platform.retailer.attribution
    started = time.perf_counter()
    with warehouse.connect(memory_limit=DUCKDB_MEMORY_LIMIT) as conn:
        with platform.scans(conn) as scan:  # per order: the scan of the orders and touches
            credits = scan(attribution.credits_sql(settings, ref), attribution.CREDITS_READS)
            conn.execute(f"create or replace temp table {attribution.CREDITS} as {credits}")
        rows = replace_table(conn, attribution.TABLE, attribution.attribution_sql(ref))
        touches = conn.sql(
            # each order's position-based credits add up to 1: their sum counts the orders
            f"select n_touches, round(sum(position_based))::bigint as orders "
            f"from {attribution.CREDITS} group by n_touches order by n_touches"
        ).pl()
        channels = conn.sql(
            f"select business_unit, channel, round(sum(attributed_orders), 1) as orders, "
            f"round(sum(attributed_gross_margin)) as gross_margin from {attribution.TABLE} "
            "where model = 'position_based' group by all order by business_unit, gross_margin desc"
        ).pl()
    seconds = round(time.perf_counter() - started, 2)
    orders = int(touches["orders"].sum()) if touches.height else 0
    untouched = int(touches.filter(touches["n_touches"] == 0)["orders"].sum()) if touches.height else 0
    summary(context, attribution.TABLE, rows, orders=orders, orders_without_touch=untouched, seconds=seconds)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": rows,
            "reference_date": str(ref),
            "orders": orders,
            "orders_without_touch": untouched,
            "lookback_days": settings.lookback_days,
            "position_weights": dg.MetadataValue.json(settings.position_weights.model_dump()),
            "orders_by_touches": dg.MetadataValue.md(markdown_table(touches)),
            "position_based_by_channel": dg.MetadataValue.md(markdown_table(channels)),
            "run_seconds": seconds,
        }
    )


@dg.asset(
    key=["marketing", "attribution_by_channel"],
    deps=[dg.AssetKey(["marketing", "attribution"]), dg.AssetKey(["marketing", "fct_marketing_spend"])],
    group_name=layers.FEATURES,
    owners=MARKETING.owners,
    kinds={"duckdb", "sql"},
    metadata=asset_metadata(
        MARKETING,
        attribution.BY_CHANNEL_TABLE,
        "one row per business unit, month, attribution model and channel (with attributed orders or spend)",
        columns.ATTRIBUTION_BY_CHANNEL,
    ),
    pool="duckdb_writer",
)
def marketing_attribution_by_channel(
    context: dg.AssetExecutionContext, platform: PlatformSettings, warehouse: Warehouse
) -> dg.MaterializeResult:
    """Attributed orders, revenue and gross margin per channel beside the channel's marketing spend:
    ROAS and margin on ad spend, per business unit, month and attribution model."""
    ref = run_reference_date(context, platform, warehouse)
    with warehouse.connect() as conn:
        rows = replace_table(conn, attribution.BY_CHANNEL_TABLE, attribution.by_channel_sql(ref))
        paid = conn.sql(
            "select business_unit, channel, round(sum(attributed_revenue) / sum(marketing_spend), 2) as roas, "
            "round(sum(attributed_gross_margin) / sum(marketing_spend), 2) as margin_on_ad_spend "
            f"from {attribution.BY_CHANNEL_TABLE} where model = 'position_based' group by all "
            "having sum(marketing_spend) > 0 order by business_unit, margin_on_ad_spend desc"
        ).pl()
    summary(context, attribution.BY_CHANNEL_TABLE, rows, paid_channels=paid.height)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": rows,
            "reference_date": str(ref),
            "position_based_return_on_spend": dg.MetadataValue.md(markdown_table(paid)),
        }
    )


@dg.asset(
    key=["sales", "product_margin_matrix"],
    deps=[
        SALES_LINES,
        dg.AssetKey(["referential", "dim_product"]),
        dg.AssetKey(["referential", "dim_product_price"]),
    ],
    group_name=layers.FEATURES,
    owners=SALES.owners,
    kinds={"duckdb", "sql"},
    metadata=asset_metadata(
        SALES,
        margin_matrix.TABLE,
        "one row per business unit and product priced or sold there",
        columns.PRODUCT_MARGIN_MATRIX,
    ),
    pool="duckdb_writer",
)
def product_margin_matrix(
    context: dg.AssetExecutionContext, platform: PlatformSettings, warehouse: Warehouse
) -> dg.MaterializeResult:
    """The Profit Optimizer: per product and business unit, gross margin rate net of returns and
    discounts, velocity and return rate over the configured window, the quadrant (star, traffic
    builder, niche, to review) and marketing's recommended action."""
    ref = run_reference_date(context, platform, warehouse)
    settings = platform.retailer.margin_matrix
    started = time.perf_counter()
    with warehouse.connect(memory_limit=DUCKDB_MEMORY_LIMIT) as conn, platform.scans(conn) as scan:
        rows = replace_table(conn, margin_matrix.TABLE, margin_matrix.margin_matrix_sql(settings, ref, scan))
        quadrants = conn.sql(
            "select business_unit, action_key, count(*) as products, round(sum(net_revenue)) as net_revenue, "
            f"round(sum(gross_margin)) as gross_margin from {margin_matrix.TABLE} group by all order by all"
        ).pl()
    seconds = round(time.perf_counter() - started, 2)
    summary(context, margin_matrix.TABLE, rows, seconds=seconds)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": rows,
            "reference_date": str(ref),
            "window_weeks": settings.window_weeks,
            "products_by_action": dg.MetadataValue.md(markdown_table(quadrants)),
            "run_seconds": seconds,
        }
    )


CENTROIDS = dg.AssetKey(["staging", "stg_reference__postcode_centroids"])


@dg.asset(
    key=["features", "customer_catchment"],
    deps=[CENTROIDS, dg.AssetKey(["referential", "dim_customer"]), dg.AssetKey(["referential", "dim_store"])],
    group_name=layers.FEATURES,
    owners=SALES.owners,
    kinds={"duckdb", "sql"},
    metadata=asset_metadata(
        SALES, catchment.CUSTOMER_TABLE, "one row per customer of the referential", columns.CUSTOMER_CATCHMENT
    ),
    pool="duckdb_writer",
)
def customer_catchment(
    context: dg.AssetExecutionContext, platform: PlatformSettings, warehouse: Warehouse
) -> dg.MaterializeResult:
    """Each customer's nearest store and distance band, from the postcode centroids of the retailer's
    reference file; a customer without a known postcode is unknown, not dropped."""
    ref = run_reference_date(context, platform, warehouse)
    settings = platform.retailer.catchment
    started = time.perf_counter()
    with warehouse.connect(memory_limit=DUCKDB_MEMORY_LIMIT) as conn, platform.scans(conn) as scan:
        nearest = scan(catchment.customer_catchment_sql(settings, ref), catchment.CUSTOMER_READS)
        rows = replace_table(
            conn, catchment.CUSTOMER_TABLE, f"select * from ({nearest}) order by customer_id"
        )
        bands = conn.sql(
            f"select business_unit, distance_band, count(*) as customers from {catchment.CUSTOMER_TABLE} "
            "group by all order by all"
        ).pl()
        [(located,)] = conn.execute(
            f"select count(*) filter (where is_located) from {catchment.CUSTOMER_TABLE}"
        ).fetchall()
    seconds = round(time.perf_counter() - started, 2)
    summary(context, catchment.CUSTOMER_TABLE, rows, located=located, seconds=seconds)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": rows,
            "reference_date": str(ref),
            "located_customers": located,
            "distance_bands_km": dg.MetadataValue.json(list(settings.distance_bands_km)),
            "customers_by_band": dg.MetadataValue.md(markdown_table(bands)),
            "run_seconds": seconds,
        }
    )


@dg.asset(
    key=["sales", "store_catchment"],
    deps=[
        dg.AssetKey(["features", "customer_catchment"]),
        CENTROIDS,
        ORDERS,
        dg.AssetKey(["referential", "dim_store"]),
    ],
    group_name=layers.FEATURES,
    owners=SALES.owners,
    kinds={"duckdb", "sql"},
    metadata=asset_metadata(
        SALES,
        catchment.STORE_TABLE,
        "one row per physical store and distance band (unknown and anonymous included)",
        columns.STORE_CATCHMENT,
    ),
    pool="duckdb_writer",
)
def store_catchment(
    context: dg.AssetExecutionContext, platform: PlatformSettings, warehouse: Warehouse
) -> dg.MaterializeResult:
    """Per store and distance band: the customers it is nearest to, and its buyers and net revenue of
    the window by their distance to it; the revenue share from outside the primary zone."""
    ref = run_reference_date(context, platform, warehouse)
    settings = platform.retailer.catchment
    with warehouse.connect(memory_limit=DUCKDB_MEMORY_LIMIT) as conn, platform.scans(conn) as scan:
        require_as_of(conn, catchment.CUSTOMER_TABLE, ref)
        by_store = scan(catchment.store_catchment_sql(settings, ref), catchment.STORE_READS)
        rows = replace_table(
            conn, catchment.STORE_TABLE, f"select * from ({by_store}) order by store_id, band_order"
        )
        outside = conn.sql(
            "select business_unit, store_id, round(sum(revenue_share) filter (where is_outside_primary_zone), 3) "
            f"as share_outside_primary_zone from {catchment.STORE_TABLE} group by all order by all"
        ).pl()
    summary(context, catchment.STORE_TABLE, rows, stores=outside.height)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": rows,
            "reference_date": str(ref),
            "revenue_share_outside_primary_zone": dg.MetadataValue.md(markdown_table(outside)),
        }
    )
