"""Blocking gates of the profit engine's tables (``lib.gates``): keys, ranges and reconciliations."""

from __future__ import annotations

import dagster as dg

from platform_assets.lib.gates import between, gate, key_rules
from platform_assets.lib.metadata import check_description
from platform_assets.lib.warehouse import Warehouse
from platform_assets.profit import attribution, catchment, margin_matrix
from platform_assets.profit.assets import (
    customer_catchment,
    marketing_attribution,
    marketing_attribution_by_channel,
    product_margin_matrix,
    store_catchment,
)


def _in(column: str, values) -> str:
    return f"{column} is null or {column} not in (" + ", ".join(f"'{v}'" for v in values) + ")"


ATTRIBUTION_RULES = {
    **key_rules(["business_unit", "month", "model", "channel", "campaign_code"]),
    "unknown_model": _in("model", attribution.MODELS),
    "negative_or_over_touched": "attributed_orders < 0 or attributed_orders > touched_orders + 1e-9",
    "not_finite": "not isfinite(attributed_revenue) or not isfinite(attributed_gross_margin)",
    "null_reference_date": "reference_date is null",
    "no_currency": "currency_code is null",
}

BY_CHANNEL_RULES = {
    **key_rules(["business_unit", "month", "model", "channel"]),
    "unknown_model": _in("model", attribution.MODELS),
    "negative_spend": "marketing_spend < 0",
    "roas_without_spend": "(marketing_spend = 0) <> (roas is null) or (marketing_spend = 0) <> "
    "(margin_on_ad_spend is null)",
    "negative_orders": "attributed_orders < 0",
    "no_currency": "currency_code is null",
}

MATRIX_RULES = {
    **key_rules(["business_unit", "product_id"]),
    "unknown_quadrant": _in("quadrant", ("star", "traffic_builder", "niche", "to_review")),
    "unknown_action": _in("action_key", margin_matrix.ACTION_KEYS),
    "no_action": "recommended_action is null",
    "negative_units": "units_sold < 0 or units_returned < 0",
    "negative_velocity": "velocity < 0 or isnan(velocity)",
    "negative_return_rate": "return_rate < 0",
    "margin_rate_over_1": "margin_rate > 1",
    "discount_rate_outside_0_1": between("discount_rate", 0, 1),
    "quadrant_contradicts_flags": "(quadrant = 'star') <> (is_high_margin and is_fast) or "
    "(quadrant = 'traffic_builder') <> (not is_high_margin and is_fast and (margin_rate is not null "
    "or list_margin_rate is not null))",
    "action_contradicts_returns": "has_high_return_rate <> (action_key = 'high_returns')",
    "no_currency": "currency_code is null",
}


def _reference_date(table: str) -> str:
    return f"(select max(reference_date) from {table})"


@dg.asset_check(
    asset=marketing_attribution,
    blocking=True,
    pool="duckdb_writer",
    description=check_description(
        "(business_unit, month, model, channel, campaign_code) unique and not null; a known model; "
        "credits between 0 and the orders touched; every model credits each eligible order of "
        "sales.fct_orders exactly once (orders and revenue per business unit and month reconciled).",
        blocking=True,
    ),
)
def attribution_keys_and_reconciled(warehouse: Warehouse) -> dg.AssetCheckResult:
    with warehouse.connect() as conn:
        [(ref,)] = conn.execute(f"select max(reference_date) from {attribution.TABLE}").fetchall()
    extra = {} if ref is None else {"unreconciled_cells": attribution.reconciliation_sql(ref)}
    return gate(warehouse, attribution.TABLE, ATTRIBUTION_RULES, extra)


@dg.asset_check(
    asset=marketing_attribution_by_channel,
    blocking=True,
    pool="duckdb_writer",
    description=check_description(
        "(business_unit, month, model, channel) unique and not null; spend non-negative; ROAS and margin on "
        "ad spend null exactly when there is no spend; per business unit and model the attributed revenue "
        "equals marketing.attribution's.",
        blocking=True,
    ),
)
def attribution_by_channel_keys_and_reconciled(warehouse: Warehouse) -> dg.AssetCheckResult:
    agree = f"""
        select count(*) from (
            select business_unit, model, sum(attributed_revenue) as revenue
            from {attribution.TABLE} group by all
        ) as a
        full outer join (
            select business_unit, model, sum(attributed_revenue) as revenue
            from {attribution.BY_CHANNEL_TABLE} where attributed_orders > 0 or attributed_revenue <> 0
            group by all
        ) as c using (business_unit, model)
        where abs(coalesce(a.revenue, 0) - coalesce(c.revenue, 0)) > 0.01
        """
    return gate(
        warehouse, attribution.BY_CHANNEL_TABLE, BY_CHANNEL_RULES, {"revenue_differs_from_attribution": agree}
    )


@dg.asset_check(
    asset=product_margin_matrix,
    blocking=True,
    pool="duckdb_writer",
    description=check_description(
        "(business_unit, product_id) unique and not null; a known quadrant and action, and both agree with "
        "the row's flags; units, velocity and return rate non-negative, margin rate at most 1; units sold "
        "per business unit equal those of sales.fct_sales_lines in the window.",
        blocking=True,
    ),
)
def product_margin_matrix_keys_and_reconciled(warehouse: Warehouse) -> dg.AssetCheckResult:
    table = margin_matrix.TABLE
    units = f"""
        select count(*) from (
            select business_unit, sum(units_sold) as units from {table} group by all
        ) as m
        full outer join (
            select country_code as business_unit, sum(quantity) as units
            from sales.fct_sales_lines
            where not is_cancelled and not is_return
                and ordered_date >= {_reference_date(table)} - 7 * (select max(window_weeks) from {table})
                and ordered_date < {_reference_date(table)}
                and sold_date < {_reference_date(table)}
            group by all
        ) as s using (business_unit)
        where coalesce(m.units, 0) <> coalesce(s.units, 0)
        """
    return gate(warehouse, table, MATRIX_RULES, {"units_differ_from_sales_lines": units})


CUSTOMER_CATCHMENT_RULES = {
    **key_rules(["customer_id"]),
    "null_band": "distance_band is null",
    "band_contradicts_location": "(distance_band = 'unknown') <> (nearest_store_id is null) or "
    "(nearest_store_id is not null and not is_located)",
    "negative_distance": "distance_km < 0 or isnan(distance_km)",
}

STORE_CATCHMENT_RULES = {
    **key_rules(["store_id", "distance_band"]),
    "negative_counts": "nearest_customers < 0 or buying_customers < 0",
    "share_outside_0_1": between("revenue_share", -1e-9, 1 + 1e-9)
    + " or isnan(revenue_share) or "
    + between("located_revenue_share", -1e-9, 1 + 1e-9),
    "zone_flag_contradicts_band": "(is_outside_primary_zone is null) <> (distance_band in ('unknown', 'anonymous'))",
}


@dg.asset_check(
    asset=customer_catchment,
    blocking=True,
    pool="duckdb_writer",
    description=check_description(
        "customer_id unique and not null; one row per customer of referential.dim_customer (none dropped); "
        "unknown exactly when no store is found; distances non-negative.",
        blocking=True,
    ),
)
def customer_catchment_keys_and_reconciled(warehouse: Warehouse) -> dg.AssetCheckResult:
    every = f"""
        select count(*) from referential.dim_customer as d
        full outer join {catchment.CUSTOMER_TABLE} as c using (customer_id)
        where d.customer_id is null or c.customer_id is null
        """
    return gate(
        warehouse, catchment.CUSTOMER_TABLE, CUSTOMER_CATCHMENT_RULES, {"customers_not_one_row_each": every}
    )


@dg.asset_check(
    asset=store_catchment,
    blocking=True,
    pool="duckdb_writer",
    description=check_description(
        "(store_id, distance_band) unique and not null; counts non-negative, revenue shares in [0, 1] and "
        "adding up to 1 per store with revenue; the customers per store and band add up to "
        "features.customer_catchment's located customers.",
        blocking=True,
    ),
)
def store_catchment_keys_and_reconciled(warehouse: Warehouse) -> dg.AssetCheckResult:
    table = catchment.STORE_TABLE
    shares = f"""
        select count(*) from (
            select store_id, sum(revenue_share) as total from {table} group by store_id having sum(net_revenue) <> 0
        ) where abs(total - 1) > 1e-9
        """
    nearest = f"""
        select abs((select coalesce(sum(nearest_customers), 0) from {table})
                   - (select count(*) from {catchment.CUSTOMER_TABLE} where nearest_store_id is not null))
        """
    return gate(
        warehouse,
        table,
        STORE_CATCHMENT_RULES,
        {"shares_not_adding_to_1": shares, "nearest_customers_differ": nearest},
    )


CHECKS = [
    attribution_keys_and_reconciled,
    attribution_by_channel_keys_and_reconciled,
    product_margin_matrix_keys_and_reconciled,
    customer_catchment_keys_and_reconciled,
    store_catchment_keys_and_reconciled,
]
