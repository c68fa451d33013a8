"""Blocking checks of scores.customer_churn: key, score range, bands coherent with scores, drivers."""

import dagster as dg

from platform_assets.lib.gates import between, gate, key_rules
from platform_assets.lib.metadata import check_description
from platform_assets.lib.warehouse import Warehouse
from platform_assets.scores.churn.assets import TABLE, customer_churn
from platform_assets.scores.churn.playbook import BANDS, HORIZON_BOUNDS

# The band each score must fall in, as SQL (the playbook's bounds, from playbook.BANDS).
_BAND_CASE = (
    "case "
    + " ".join(
        f"when churn_score >= {low} then '{name}'" for name, low, _ in sorted(BANDS, key=lambda b: -b[1])
    )
    + " end"
)

RULES = {
    **key_rules(["customer_id"]),
    "null_reference_date": "reference_date is null",
    "null_business_unit": "business_unit is null",
    "probability_outside_0_1": f"churn_probability is null or {between('churn_probability', 0, 1)}",
    "score_outside_0_100": f"churn_score is null or {between('churn_score', 0, 100)}",
    "score_not_probability_in_percent": "abs(churn_score - 100 * churn_probability) > 0.51",
    "band_does_not_match_score": f"churn_band is null or churn_band <> {_BAND_CASE}",
    "no_action": "churn_action is null",
    "missing_driver": "driver_1 is null or driver_2 is null or driver_3 is null",
    "no_model_version": "model_version is null",
    "horizon_outside_bounds": between("horizon_days", *HORIZON_BOUNDS),
}


@dg.asset_check(
    asset=customer_churn,
    blocking=True,
    pool="duckdb_writer",
    description=check_description(
        "customer_id unique and not null; probability in [0, 1], score 0-100 = probability in %; "
        "band matches the score; action, three drivers and model version present; horizon within its bounds.",
        blocking=True,
    ),
)
def customer_churn_keys_and_ranges(warehouse: Warehouse) -> dg.AssetCheckResult:
    return gate(warehouse, TABLE, RULES)


CHECKS = [customer_churn_keys_and_ranges]
