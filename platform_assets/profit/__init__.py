"""Profit engine: multi-touch attribution with ROAS and margin on ad spend, the product margin matrix."""

import dagster as dg

from platform_assets.profit.assets import (
    marketing_attribution,
    marketing_attribution_by_channel,
    product_margin_matrix,
)
from platform_assets.profit.checks import CHECKS

defs = dg.Definitions(
    assets=[marketing_attribution, marketing_attribution_by_channel, product_margin_matrix],
    asset_checks=CHECKS,
)
