"""The code location plus one benchmark-only job: every asset of daily_refresh, no asset check."""

import dagster as dg

from platform_assets import definitions

daily_refresh_without_checks = dg.define_asset_job(
    "daily_refresh_without_checks",
    selection=dg.AssetSelection.all() - dg.AssetSelection.all_asset_checks(),
    description="Benchmark only: the daily refresh without its quality checks.",
)

defs = dg.Definitions.merge(definitions.defs, dg.Definitions(jobs=[daily_refresh_without_checks]))
