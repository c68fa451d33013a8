"""Weekly demand per store and department for the coming weeks, with intervals, backtested each run."""

import dagster as dg

from platform_assets.forecasts.assets import demand_weekly
from platform_assets.forecasts.checks import CHECKS

defs = dg.Definitions(assets=[demand_weekly], asset_checks=CHECKS)
