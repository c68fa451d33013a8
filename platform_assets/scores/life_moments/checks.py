"""Blocking checks of scores.customer_life_moments: (customer, moment) key, probabilities in range."""

import dagster as dg

from platform_assets.lib.gates import between, gate, key_rules
from platform_assets.lib.metadata import check_description
from platform_assets.lib.warehouse import Warehouse
from platform_assets.scores.life_moments.assets import TABLE, customer_life_moments
from platform_assets.scores.life_moments.signals import MOMENT_NAMES

RULES = {
    **key_rules(["customer_id", "moment"]),
    "unknown_moment": "moment not in (" + ", ".join(f"'{name}'" for name in MOMENT_NAMES) + ")",
    "null_reference_date": "reference_date is null",
    "null_business_unit": "business_unit is null",
    "probability_outside_0_1": f"probability_90d is null or isnan(probability_90d) or {between('probability_90d', 0, 1)}",
    "baseline_outside_0_1": between("baseline_probability_90d", 0, 1),
    "rank_share_outside_0_1": f"propensity_rank_share is null or {between('propensity_rank_share', 0, 1)}",
    "no_model_version": "model_version is null",
}


@dg.asset_check(
    asset=customer_life_moments,
    blocking=True,
    pool="duckdb_writer",
    description=check_description(
        "(customer_id, moment) unique and not null; known moments; probabilities and rank shares "
        "in [0, 1]; model version present.",
        blocking=True,
    ),
)
def customer_life_moments_keys_and_ranges(warehouse: Warehouse) -> dg.AssetCheckResult:
    return gate(warehouse, TABLE, RULES)


CHECKS = [customer_life_moments_keys_and_ranges]
