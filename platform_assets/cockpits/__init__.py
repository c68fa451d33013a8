"""Cockpits: static pages per persona built from the published analyst file, after the publication."""

import dagster as dg

from platform_assets.cockpits.assets import cockpits_site

defs = dg.Definitions(assets=[cockpits_site])
