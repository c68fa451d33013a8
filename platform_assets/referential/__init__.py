"""Referential: the dbt project (staging, identity resolution, golden records, unified facts)."""

import dagster as dg

from platform_assets.referential.assets import dbt_models

defs = dg.Definitions(assets=[dbt_models])
