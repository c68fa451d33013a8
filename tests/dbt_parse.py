"""``dbt parse`` for a given warehouse: dbt re-parses only what changed when a run's profile (its DuckDB
path) is the one the manifest was parsed with, and everything otherwise (about 5 s per dbt step)."""

import os
import subprocess
import sys
from pathlib import Path

DBT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"


def dbt_target_dir() -> Path:
    """Where this session's dbt invocations write (a worker's own folder under pytest-xdist)."""
    from platform_assets.lib.resources import dbt_target_path

    return DBT_DIR / dbt_target_path()


def parse_dbt(duckdb_path: Path) -> None:
    dbt = Path(sys.executable).parent / "dbt"
    env = {**os.environ, "CDP_DUCKDB_PATH": str(duckdb_path)}
    subprocess.run([str(dbt), "parse", "--quiet"], cwd=DBT_DIR, env=env, check=True)
