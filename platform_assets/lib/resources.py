"""The resources, built once from the environment: the only module that reads ``os.environ``.

The ``CDP_*`` variables, their defaults and meaning are the README's Configuration table; paths are
resolved here, tunables are validated by ``PlatformSettings``' typed fields (``TUNABLES`` below).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

from pydantic import ValidationError

from platform_assets.lib.engine import dbt_target, require
from platform_assets.lib.retailer import DEMO_RETAILER
from platform_assets.lib.settings import DBT_PROJECT_DIR, REPO_ROOT, PlatformSettings
from platform_assets.lib.warehouse import Warehouse

# environment variable -> settings field (values are validated by the resource's typed fields)
TUNABLES = {
    "CDP_REFERENCE_DATE": "reference_date",
    "CDP_MATCH_THRESHOLD": "match_threshold",
    "CDP_LOCK_TIMEOUT": "lock_timeout",
    "CDP_PUBLISHED_SNAPSHOTS": "snapshots_kept",
    "CDP_VOLUME_TOLERANCE": "volume_tolerance",
    "CDP_GX_MAX_ROWS": "gx_max_rows",
    "CDP_HOLDOUT_SALT": "holdout_salt",
    "CDP_HOLDOUT_SHARE": "holdout_share",
    "CDP_DAGSTER_UI_URL": "dagster_ui_url",
    "CDP_ENGINE": "engine",
    "CDP_SPARK_MASTER": "spark_master",
}


def _path(environ: Mapping[str, str], name: str, default: Path) -> str:
    return str(Path(environ.get(name) or default).resolve())


def settings_from_env(environ: Mapping[str, str] | None = None) -> PlatformSettings:
    """The platform settings from ``CDP_*`` variables; a bad value names its variable."""
    environ = os.environ if environ is None else environ
    data_dir = Path(_path(environ, "CDP_DATA_DIR", REPO_ROOT / "data"))
    landing = Path(_path(environ, "CDP_LANDING_DIR", data_dir / "demo" / "landing"))
    values = {name: environ[var] for var, name in TUNABLES.items() if environ.get(var)}
    try:
        return PlatformSettings(
            data_dir=str(data_dir),
            landing_dir=str(landing),
            published_dir=_path(environ, "CDP_PUBLISHED_DIR", data_dir / "published"),
            exports_dir=_path(environ, "CDP_EXPORTS_DIR", data_dir / "exports"),
            ground_truth_dir=_path(environ, "CDP_GROUND_TRUTH_DIR", landing.parent / "ground_truth"),
            retailer_config=_path(environ, "CDP_RETAILER_CONFIG", DEMO_RETAILER),
            spark_dir=_path(environ, "CDP_SPARK_DIR", data_dir / "spark"),
            **values,
        )
    except ValidationError as error:
        variables = {name: var for var, name in TUNABLES.items()}
        problems = "; ".join(
            f"{variables.get(str(e['loc'][0]), e['loc'][0])}: {e['msg']}" for e in error.errors()
        )
        raise ValueError(f"invalid platform configuration: {problems}") from None


def warehouse_from_env(environ: Mapping[str, str] | None = None, lock_timeout: float = 300) -> Warehouse:
    """The working file (``CDP_DUCKDB_PATH``); ``lock_timeout``: the settings' (``CDP_LOCK_TIMEOUT``)."""
    environ = os.environ if environ is None else environ
    data_dir = Path(_path(environ, "CDP_DATA_DIR", REPO_ROOT / "data"))
    database = _path(environ, "CDP_DUCKDB_PATH", data_dir / "warehouse" / "cdp.duckdb")
    return Warehouse(database=database, lock_timeout=lock_timeout)


def dbt_target_path(environ: Mapping[str, str] | None = None) -> str:
    """dbt's own ``DBT_TARGET_PATH`` (relative to the dbt project; ``target`` by default), which dbt and
    dagster-dbt's invocations also read: the manifest the code location loads is the one parsed there."""
    environ = os.environ if environ is None else environ
    return environ.get("DBT_TARGET_PATH") or "target"


def resources_from_env(environ: Mapping[str, str] | None = None) -> dict:
    """Every resource of the code location: ``platform`` (settings), ``warehouse``, ``dbt``."""
    from dagster_dbt import DbtCliResource

    settings = settings_from_env(environ)
    require(settings.engine)  # Spark asked for and not installed: say what to install, now
    if environ is None and settings.engine == "spark":
        # the profile's spark target reads CDP_SPARK_DIR in dbt's own process: the folder chosen here
        os.environ.setdefault("CDP_SPARK_DIR", str(settings.spark_path))
    return {
        "platform": settings,
        "warehouse": warehouse_from_env(environ, settings.lock_timeout),
        # The dbt of this environment, whether or not its bin/ is on PATH.
        "dbt": DbtCliResource(
            project_dir=str(DBT_PROJECT_DIR),
            profiles_dir=str(DBT_PROJECT_DIR),
            dbt_executable=str(Path(sys.executable).parent / "dbt"),
            # CDP_ENGINE: the profile's target of that engine (dev: DuckDB; spark)
            target=dbt_target(settings.engine),
        ),
    }
