"""The code location: every domain's Definitions, merged once, with the shared resources."""

import sys
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource

from platform_assets import activation, features, landing, publish, quality, referential
from platform_assets.config import DBT_PROJECT_DIR
from platform_assets.resources import Warehouse
from platform_assets.schedules import daily_refresh, daily_refresh_schedule
from platform_assets.scores import churn, life_moments, segments

DOMAINS = (landing, referential, features, segments, churn, life_moments, activation)


def with_publication(*domain_defs: dg.Definitions) -> dg.Definitions:
    """Every domain's assets, then the publication, which depends on each of them (so it runs last)."""
    upstream = dg.Definitions.merge(*domain_defs)
    return dg.Definitions.merge(upstream, publish.defs_for(upstream))


RESOURCES = {
    "warehouse": Warehouse(),
    # The dbt of this environment, whether or not its bin/ is on PATH.
    "dbt": DbtCliResource(
        project_dir=str(DBT_PROJECT_DIR),
        profiles_dir=str(DBT_PROJECT_DIR),
        dbt_executable=str(Path(sys.executable).parent / "dbt"),
    ),
}

defs = dg.Definitions.merge(
    with_publication(*(domain.defs for domain in DOMAINS)),
    # Profiles and expectation suites (expectations/*.json) as checks on every domain's assets.
    quality.checks_for(domain.defs for domain in DOMAINS),
    dg.Definitions(
        jobs=[daily_refresh],
        schedules=[daily_refresh_schedule],
        resources=RESOURCES,
        # DuckDB has one writer per file, so steps run one at a time: in one process, with no
        # per-step start-up (a forked step cost ~2.6 s, 160 s of a 1M refresh's 62 steps).
        executor=dg.in_process_executor,
    ),
)
