"""Profit engine: multi-touch attribution with ROAS and margin on ad spend, the product margin matrix,
catchment areas."""

import dagster as dg

from platform_assets.profit.assets import (
    customer_catchment,
    marketing_attribution,
    marketing_attribution_by_channel,
    product_margin_matrix,
    store_catchment,
)
from platform_assets.profit.checks import CHECKS

defs = dg.Definitions(
    assets=[
        marketing_attribution,
        marketing_attribution_by_channel,
        product_margin_matrix,
        customer_catchment,
        store_catchment,
    ],
    asset_checks=CHECKS,
)
