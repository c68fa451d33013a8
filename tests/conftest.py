"""Session setup: quiet tools, and the dbt manifest built before anything imports the code location."""

import os
import shutil
import tempfile
from datetime import date
from pathlib import Path

import pytest

from tests.dbt_parse import parse_dbt

REPO_ROOT = Path(__file__).resolve().parents[1]
DBT_DIR = REPO_ROOT / "dbt_project"

os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "yes")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
# `make test` runs the suite in two pytest-xdist workers: each parses the dbt project for its own
# session warehouse into its own target folder (dbt, dagster-dbt and the code location read it there),
# so one worker's parse never rewrites the manifest the other is running from.
if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ["DBT_TARGET_PATH"] = f"target/{os.environ['PYTEST_XDIST_WORKER']}"


# The session's warehouse path is chosen before the manifest is parsed with it (tests/dbt_parse.py).
SESSION_WAREHOUSE = Path(tempfile.mkdtemp(prefix="cdp-e2e-warehouse-")) / "cdp.duckdb"


def pytest_sessionstart(session):
    if session.config.getoption("numprocesses", None) and not hasattr(session.config, "workerinput"):
        return  # the controller of pytest-xdist's workers runs no test: each worker parses its own
    parse_dbt(SESSION_WAREHOUSE)


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(SESSION_WAREHOUSE.parent, ignore_errors=True)


# The whole graph, materialised once per session on a small generated retailer, shared by
# tests/test_end_to_end.py and the domain modules that assert on its warehouse.
E2E_CUSTOMERS = 600
E2E_REFERENCE_DATE = "2026-11-01"


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory) -> Path:
    from platform_assets.demo.generator import generate

    out = tmp_path_factory.mktemp("demo")
    generate(out, customers=E2E_CUSTOMERS, seed=11, start=date(2023, 11, 1), end=date(2026, 10, 31))
    return out


@pytest.fixture(scope="session")
def refreshed(demo_dir, tmp_path_factory):
    import dagster as dg

    from platform_assets.definitions import build_defs
    from platform_assets.lib.resources import resources_from_env
    from platform_assets.lib.settings import REFERENCE_DATE_TAG

    db = SESSION_WAREHOUSE
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CDP_LANDING_DIR", str(demo_dir / "landing"))
        mp.setenv("CDP_DUCKDB_PATH", str(db))
        mp.setenv("CDP_DATA_DIR", str(demo_dir))
        defs = build_defs(resources_from_env())
        result = defs.resolve_job_def("daily_refresh").execute_in_process(
            instance=dg.DagsterInstance.ephemeral(), tags={REFERENCE_DATE_TAG: E2E_REFERENCE_DATE}
        )
    return result, db
