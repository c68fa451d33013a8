"""Referential: the dbt project (staging, standardisation, marts) and identity resolution."""

import dagster as dg

from platform_assets.referential.assets import dbt_models
from platform_assets.referential.identity_assets import identity_resolution, record_standardisation
from platform_assets.referential.retailer_assets import retailer_referential
from platform_assets.referential.web_assets import web_stitch_quality

defs = dg.Definitions(
    assets=[dbt_models, record_standardisation, identity_resolution, retailer_referential, web_stitch_quality]
)
