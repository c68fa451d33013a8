"""Landing: file contracts and the raw ingestion assets."""

import dagster as dg

from platform_assets.landing.assets import raw_sources

defs = dg.Definitions(assets=[raw_sources])
