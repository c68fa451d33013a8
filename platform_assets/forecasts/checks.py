"""Blocking checks of forecasts.demand_weekly: keys, ordered non-negative intervals, weeks after the
last known one, and every series forecast for every week of the horizon."""

import dagster as dg

from platform_assets.forecasts.assets import TABLE
from platform_assets.lib.gates import gate, key_rules
from platform_assets.lib.metadata import check_description
from platform_assets.lib.settings import PlatformSettings
from platform_assets.lib.warehouse import Warehouse


def rules(horizon_weeks: int) -> dict[str, str]:
    return {
        **key_rules(["business_unit", "store_id", "department_name", "week_start"]),
        "interval_not_ordered": "not (0 <= units_low and units_low <= units_forecast and units_forecast <= units_high)",
        "week_not_after_the_last_known": f"week_start <> last_known_week + 7 * horizon_weeks or "
        f"horizon_weeks not between 1 and {horizon_weeks}",
        "series_missing_a_week": "count(*) over (partition by business_unit, store_id, department_name) "
        f"<> {horizon_weeks}",
        "no_model_version": "model_version is null",
    }


@dg.asset_check(
    asset=dg.AssetKey(TABLE.split(".")),
    blocking=True,
    pool="duckdb_writer",
    description=check_description(
        "store, department and week unique and not null; 0 <= low <= forecast <= high; each week the "
        "horizon's after the last known one; every series forecast for every week of the horizon.",
        blocking=True,
    ),
)
def demand_weekly_keys_and_ranges(platform: PlatformSettings, warehouse: Warehouse) -> dg.AssetCheckResult:
    return gate(warehouse, TABLE, rules(platform.retailer.forecast.horizon_weeks))


CHECKS = [demand_weekly_keys_and_ranges]
