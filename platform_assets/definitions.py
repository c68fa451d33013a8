"""The code location: every domain's Definitions, merged once, with the resources built from the
environment (``lib/resources.py``). ``build_defs`` takes other resources (tests, benchmarks)."""

import dagster as dg

from platform_assets import (
    activation,
    cockpits,
    features,
    forecasts,
    landing,
    privacy,
    profit,
    publish,
    quality,
    referential,
)
from platform_assets.lib.recovery import run_recovery
from platform_assets.lib.resources import resources_from_env
from platform_assets.lib.retailer import RetailerConfigError
from platform_assets.lib.settings import PlatformSettings
from platform_assets.schedules import daily_refresh, daily_refresh_schedule
from platform_assets.scores import appetence, champion_challenger, churn, life_moments, local, segments

DOMAINS = (
    landing,
    referential,
    features,
    profit,
    segments,
    churn,
    life_moments,
    appetence,
    activation,
    champion_challenger,
    forecasts,
)


def build_defs(resources: dict) -> dg.Definitions:
    """Every domain's assets and checks; the publication last (it depends on all of them), then the
    cockpits built from it; the quality domain's profile and suite checks on every asset; the daily job
    and its schedule."""
    upstream = dg.Definitions.merge(*(domain.defs for domain in DOMAINS))
    upstream = dg.Definitions.merge(upstream, local_scores(resources.get("platform"), upstream))
    upstream = dg.Definitions.merge(upstream, privacy.defs_for(upstream))  # the register reads them all
    return dg.Definitions.merge(
        upstream,
        publish.defs_for(upstream),
        cockpits.defs,
        quality.checks_for([upstream]),
        dg.Definitions(
            jobs=[daily_refresh],
            schedules=[daily_refresh_schedule],
            sensors=[run_recovery],
            resources=resources,
            # DuckDB has one writer per file, so steps run one at a time: in one process, with no
            # per-step start-up (a forked step cost ~2.6 s, 160 s of a 1M refresh's 62 steps).
            executor=dg.in_process_executor,
        ),
    )


def local_scores(platform, upstream: dg.Definitions) -> dg.Definitions:
    """The retailer's declared local scores (none without a ``platform`` resource or a ``local_scores``
    folder); a refused declaration is left out and reported (platform_assets/scores/local/README.md)."""
    if not isinstance(platform, PlatformSettings):
        return dg.Definitions()
    try:
        units = tuple(u.code for u in platform.retailer.business_units)
    except RetailerConfigError:  # the first step that reads it stops with the file, line and key
        return dg.Definitions()
    return local.defs_for(platform.local_scores_path, units, upstream)


defs = build_defs(resources_from_env())
