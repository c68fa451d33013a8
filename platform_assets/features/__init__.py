"""Features: customer profile (50+ indicators), RFM segments, lifetime value, LTV/CAC by channel."""

import dagster as dg

from platform_assets.features.assets import (
    channel_ltv_cac,
    customer_clv,
    customer_department_browsing,
    customer_profile,
    customer_rfm,
)
from platform_assets.features.checks import CHECKS

defs = dg.Definitions(
    assets=[customer_profile, customer_department_browsing, customer_rfm, customer_clv, channel_ltv_cac],
    asset_checks=CHECKS,
)
