"""Activation: consent-aware audiences with deterministic holdouts, exports, and measured uplift."""

import dagster as dg

from platform_assets.activation.assets import (
    audience_exports,
    audience_summary,
    audiences,
    campaign_results,
    contact_pressure_distribution,
)
from platform_assets.activation.checks import CHECKS

defs = dg.Definitions(
    assets=[audiences, audience_exports, audience_summary, contact_pressure_distribution, campaign_results],
    asset_checks=CHECKS,
)
