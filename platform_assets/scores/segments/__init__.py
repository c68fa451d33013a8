"""Behavioural segments: discovered (k-means vs HDBSCAN), named, frozen as a versioned model and
assigned daily by a classifier; profile and cross-tab with RFM."""

import dagster as dg

from platform_assets.scores.segments.assets import (
    customer_segment,
    rediscover_segments,
    segment_profile,
    segment_rfm_crosstab,
)
from platform_assets.scores.segments.checks import CHECKS

defs = dg.Definitions(
    assets=[customer_segment, segment_profile, segment_rfm_crosstab],
    asset_checks=CHECKS,
    jobs=[rediscover_segments],
)
