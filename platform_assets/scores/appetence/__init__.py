"""Next-best category: each customer's departments most likely bought in within 30 days, backtested each run."""

import dagster as dg

from platform_assets.scores.appetence.assets import customer_appetence
from platform_assets.scores.appetence.checks import CHECKS

defs = dg.Definitions(assets=[customer_appetence], asset_checks=CHECKS)
