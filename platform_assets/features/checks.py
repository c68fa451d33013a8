"""Blocking asset checks of the features layer: every row rule (keys unique and not null, values in
range, accepted values, coherence between columns), counted in SQL on the whole table through
``lib.gates``. The suites in expectations/ hold only what these do not say (distributions, shares of
rows, warnings), run by the quality domain's runner.
"""

import dagster as dg

from platform_assets.features.assets import (
    channel_ltv_cac,
    customer_clv,
    customer_department_browsing,
    customer_profile,
    customer_rfm,
)
from platform_assets.features.browsing import TABLE as BROWSING_TABLE
from platform_assets.features.columns import BOTTOM_TIER, TIERS
from platform_assets.features.indicators import INDICATORS
from platform_assets.lib.gates import between, gate, key_rules
from platform_assets.lib.metadata import check_description
from platform_assets.lib.tables import table_exists
from platform_assets.lib.warehouse import Warehouse

SHARES = [i.name for i in INDICATORS if i.unit == "share 0-1"]
MIN_PROFILE_COLUMNS = 44  # the keys and at least 40 indicators

PROFILE_RULES = {
    **key_rules(["customer_id"]),
    "null_reference_date": "reference_date is null",
    **{f"{c}_outside_0_1": between(c, 0, 1) for c in SHARES},
    "recency_not_positive": "recency_days < 1",
    "negative_counts": " or ".join(
        f"{c} < 0"
        for c in (
            "frequency_lifetime",
            "frequency_12m",
            "purchase_days_lifetime",
            "tenure_days",
            "distinct_products",
            "emails_received_12m",
            "returned_orders",
        )
    ),
    "frequency_12m_above_lifetime": "frequency_12m > frequency_lifetime",
    "purchase_days_above_purchases": "purchase_days_lifetime > frequency_lifetime",
    "negative_gross_spend": "gross_spend_lifetime < 0 or avg_basket_value < 0",
    "negative_return_rate": "return_rate < 0",
    "buyer_without_dates": "frequency_lifetime > 0 and (first_purchase_date is null or last_purchase_date is null)",
    "purchase_on_or_after_reference_date": "last_purchase_date >= reference_date",
    "active_months_above_12": between("active_months_12m", 0, 12),
}

RFM_RULES = {
    **key_rules(["customer_id"]),
    **{f"{s}_score_outside_1_5": f"{s}_score is null or {between(f'{s}_score', 1, 5)}" for s in "rfm"},
    "rfm_cell_malformed": "not regexp_full_match(rfm_cell, '[1-5]-[1-5]-[1-5]')",
    "no_segment": "segment is null",
    "no_purchase": "frequency < 1",
    "recency_not_positive": "recency_days < 1",
    "null_business_unit": "business_unit is null",
}

VALUE_TIERS = (*(label for _, label in TIERS), BOTTOM_TIER)

CLV_RULES = {
    **key_rules(["customer_id"]),
    "p_alive_outside_0_1": f"p_alive is null or {between('p_alive', 0, 1)}",
    "expected_purchases_negative": "expected_purchases is null or expected_purchases < 0 or isnan(expected_purchases)",
    "expected_value_negative": "expected_value is null or expected_value < 0 or isnan(expected_value)",
    "expected_spend_not_positive": "expected_spend_per_purchase is null or expected_spend_per_purchase <= 0",
    "value_rank_share_outside_0_1": between("value_rank_share", 0, 1),
    "value_tier_unknown": "value_tier is null or value_tier not in ("
    + ", ".join(f"'{t}'" for t in VALUE_TIERS)
    + ")",
    "no_currency": "currency_code is null",
    "negative_repeat_purchases": "repeat_purchases < 0",
    "last_purchase_after_age": "weeks_first_to_last_purchase > weeks_since_first_purchase",
}

LTV_CAC_RULES = {
    **key_rules(["business_unit", "acquisition_channel"]),
    "negative_customers": "customers_acquired_12m < 0 or customers_acquired_prior_12m < 0",
    "negative_cac": "cac_12m < 0 or cac_prior_12m < 0",
    "negative_spend": "marketing_spend_12m < 0 or marketing_spend_prior_12m < 0",
    "negative_predicted_ltv": "predicted_ltv_12m < 0",
    "no_currency": "currency_code is null",
}


BROWSING_RULES = {
    **key_rules(["customer_id", "department_id"]),
    "null_reference_date": "reference_date is null",
    "negative_counts": " or ".join(
        f"{c} < 0"
        for c in (
            "product_views_30d",
            "category_page_views_90d",
            "cart_adds_90d",
            "searches_90d",
            "sessions_90d",
        )
    ),
    "views_30d_above_90d": "product_views_30d > product_views_90d",
    "no_activity": "product_views_90d + category_page_views_90d + cart_adds_90d + searches_90d = 0 "
    "and days_since_last_view is null",
    "view_on_or_after_reference_date": "days_since_last_view < 1",
}


@dg.asset_check(
    asset=customer_profile,
    blocking=True,
    pool="duckdb_writer",
    description=check_description(
        "customer_id unique and not null; shares in [0, 1]; counts, dates and amounts coherent; "
        f"at least {MIN_PROFILE_COLUMNS} columns.",
        blocking=True,
    ),
)
def customer_profile_keys_and_ranges(warehouse: Warehouse) -> dg.AssetCheckResult:
    too_few_columns = (
        f"select greatest(0, {MIN_PROFILE_COLUMNS} - count(*)) from duckdb_columns() "
        "where database_name = current_database() and schema_name = 'features' "
        "and table_name = 'customer_profile'"
    )
    return gate(warehouse, "features.customer_profile", PROFILE_RULES, {"too_few_columns": too_few_columns})


@dg.asset_check(
    asset=customer_rfm,
    blocking=True,
    pool="duckdb_writer",
    description=check_description(
        "customer_id unique and not null; R, F, M scores in 1-5 and their cell; a segment, a purchase, "
        "a positive recency and a business unit for every customer.",
        blocking=True,
    ),
)
def customer_rfm_keys_and_ranges(warehouse: Warehouse) -> dg.AssetCheckResult:
    return gate(warehouse, "features.customer_rfm", RFM_RULES)


@dg.asset_check(
    asset=customer_clv,
    blocking=True,
    pool="duckdb_writer",
    description=check_description(
        "customer_id unique and not null; P(alive) and rank share in [0, 1]; expectations finite and "
        "non-negative; a known value tier and a currency.",
        blocking=True,
    ),
)
def customer_clv_keys_and_ranges(warehouse: Warehouse) -> dg.AssetCheckResult:
    return gate(warehouse, "features.customer_clv", CLV_RULES)


@dg.asset_check(
    asset=channel_ltv_cac,
    blocking=True,
    pool="duckdb_writer",
    description=check_description(
        "(business_unit, acquisition_channel) unique and not null; counts, spend, CAC, LTV non-negative.",
        blocking=True,
    ),
)
def channel_ltv_cac_keys_and_ranges(warehouse: Warehouse) -> dg.AssetCheckResult:
    return gate(warehouse, "marketing.channel_ltv_cac", LTV_CAC_RULES)


@dg.asset_check(
    asset=customer_department_browsing,
    blocking=True,
    pool="duckdb_writer",
    description=check_description(
        "(customer_id, department_id) unique and not null; counts non-negative, 30-day views within "
        "90-day views, every row with an activity, no view on or after the reference date. Passes "
        "unevaluated when the table does not exist (no web event).",
        blocking=True,
    ),
)
def customer_department_browsing_keys_and_ranges(warehouse: Warehouse) -> dg.AssetCheckResult:
    with warehouse.connect() as conn:
        exists = table_exists(conn, BROWSING_TABLE)
    if not exists:
        return dg.AssetCheckResult(
            passed=True,
            description=f"not evaluated: {BROWSING_TABLE} does not exist (no web event)",
            metadata={"evaluated": False},
        )
    return gate(warehouse, BROWSING_TABLE, BROWSING_RULES)


CHECKS = [
    customer_department_browsing_keys_and_ranges,
    customer_profile_keys_and_ranges,
    customer_rfm_keys_and_ranges,
    customer_clv_keys_and_ranges,
    channel_ltv_cac_keys_and_ranges,
]
