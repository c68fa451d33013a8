"""Blocking checks of scores.customer_churn: key, score range, bands coherent with scores and with the
business unit's settings, drivers."""

import dagster as dg

from platform_assets.lib.gates import between, gate, key_rules
from platform_assets.lib.metadata import check_description
from platform_assets.lib.retailer import ChurnSettings
from platform_assets.lib.settings import PlatformSettings
from platform_assets.lib.warehouse import Warehouse
from platform_assets.scores.churn.assets import TABLE
from platform_assets.scores.churn.playbook import BANDS

# The band each score must fall in, read with the row's own cut-offs (band_cutoffs[1] starts BANDS[1]).
_BAND_CASE = (
    "case "
    + " ".join(
        f"when churn_score >= band_cutoffs[{i}] then '{BANDS[i][0]}'" for i in range(len(BANDS) - 1, 0, -1)
    )
    + f" else '{BANDS[0][0]}' end"
)


def _by_unit(units: list[str], settings: ChurnSettings, violation) -> str:
    """One unit's violation per configured business unit (a unit not configured violates)."""
    cases = " ".join(f"when '{bu}' then {violation(settings.of(bu))}" for bu in units)
    return f"case business_unit {cases} else true end"


def rules(units: list[str], settings: ChurnSettings) -> dict[str, str]:
    """Row rules of the table for the retailer's ``units`` and churn ``settings``."""

    def horizon(unit) -> str:
        if unit.horizon_days is not None:
            return f"horizon_days <> {unit.horizon_days}"
        return f"({between('horizon_days', *unit.horizon_bounds_days)})"

    return {
        **key_rules(["customer_id"]),
        "null_reference_date": "reference_date is null",
        "null_business_unit": "business_unit is null",
        "probability_outside_0_1": f"churn_probability is null or {between('churn_probability', 0, 1)}",
        "score_outside_0_100": f"churn_score is null or {between('churn_score', 0, 100)}",
        "score_not_probability_in_percent": "abs(churn_score - 100 * churn_probability) > 0.51",
        "cutoffs_not_the_units_settings": "band_cutoffs is null or "
        + _by_unit(units, settings, lambda u: f"band_cutoffs <> {list(u.band_cutoffs)}"),
        "band_does_not_match_score": f"churn_band is null or churn_band <> {_BAND_CASE}",
        "no_action": "churn_action is null",
        "missing_driver": "driver_1 is null or driver_2 is null or driver_3 is null",
        "no_model_version": "model_version is null",
        "horizon_not_the_units_settings": "horizon_days is null or " + _by_unit(units, settings, horizon),
    }


@dg.asset_check(
    asset=dg.AssetKey(TABLE.split(".")),
    blocking=True,
    pool="duckdb_writer",
    description=check_description(
        "customer_id unique and not null; probability in [0, 1], score 0-100 = probability in %; "
        "band matches the score and the unit's band cut-offs; action, three drivers and model version "
        "present; horizon the unit's configured one or within its bounds.",
        blocking=True,
    ),
)
def customer_churn_keys_and_ranges(platform: PlatformSettings, warehouse: Warehouse) -> dg.AssetCheckResult:
    retailer = platform.retailer
    return gate(warehouse, TABLE, rules([u.code for u in retailer.business_units], retailer.churn))


CHECKS = [customer_churn_keys_and_ranges]
