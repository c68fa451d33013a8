"""Life-moment propensities (moving, renovation, new garden) from Cox models, backtested each run."""

import dagster as dg

from platform_assets.scores.life_moments.assets import customer_life_moments
from platform_assets.scores.life_moments.checks import CHECKS

defs = dg.Definitions(assets=[customer_life_moments], asset_checks=CHECKS)
