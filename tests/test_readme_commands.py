"""The README's command lines work: every ``bash`` block marked ``<!-- runnable -->`` runs as written,
from the repository root, against a copy of the session's warehouse (fixture ``refreshed``, 600
customers) with a Dagster instance of its own. Only paths differ from a user's shell, through the
environment variables the README documents (``DAGSTER_HOME``, ``CDP_*``)."""

import os
import shutil
import subprocess
import sys

import dagster as dg
import duckdb
import pytest

from tests.conftest import E2E_REFERENCE_DATE, REPO_ROOT
from tests.readme import runnable_blocks

SUPERSEDED = "SupersessionWarning"


@pytest.fixture(scope="module")
def shell_env(refreshed, demo_dir, tmp_path_factory) -> dict[str, str]:
    result, db = refreshed
    assert result.success
    root = tmp_path_factory.mktemp("readme")
    warehouse = root / "warehouse" / "cdp.duckdb"
    warehouse.parent.mkdir()
    shutil.copy(db, warehouse)
    home = root / "dagster_home"
    home.mkdir()
    shutil.copy(REPO_ROOT / "platform_assets" / "dagster_instance.yaml", home / "dagster.yaml")
    bin_dir = root / "bin"
    bin_dir.mkdir()
    if shutil.which("uv") is None:  # the Makefile's fallback: uv installed as a module of this Python
        (bin_dir / "uv").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m uv "$@"\n')
        (bin_dir / "uv").chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k != "CDP_REFERENCE_DATE"}
    return {
        **env,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "DAGSTER_HOME": str(home),
        "CDP_DATA_DIR": str(root / "data"),
        "CDP_LANDING_DIR": str(demo_dir / "landing"),
        "CDP_DUCKDB_PATH": str(warehouse),
        "CDP_PUBLISHED_DIR": str(root / "published"),
        "CDP_EXPORTS_DIR": str(root / "exports"),
    }


def commands(text: str) -> list[str]:
    """The block's command lines (a trailing backslash continues a line; comments are left to bash)."""
    joined = text.replace("\\\n", " ")
    return [line for line in joined.splitlines() if line.strip() and not line.strip().startswith("#")]


def test_the_readme_marks_its_command_lines():
    lines = [c for block in runnable_blocks("bash") for c in commands(block.text)]
    assert any("dg launch" in c and "--assets" in c for c in lines)
    assert any("dg launch" in c and "--job" in c for c in lines)


def test_every_runnable_readme_command_runs_without_a_supersession_warning(shell_env):
    ran = 0
    for block in runnable_blocks("bash"):
        for command in commands(block.text):
            done = subprocess.run(
                ["bash", "-euo", "pipefail", "-c", command],
                cwd=REPO_ROOT,
                env=shell_env,
                capture_output=True,
                text=True,
                timeout=600,
            )
            output = done.stdout + done.stderr
            assert done.returncode == 0, f"{block.where}: {command}\n{output[-4000:]}"
            assert SUPERSEDED not in output, f"{block.where}: {command}\n{output[-2000:]}"
            ran += 1
    assert ran >= 3
    # the runs are in the instance DAGSTER_HOME names (so the UI shows them), and wrote the warehouse
    with dg.DagsterInstance.from_config(shell_env["DAGSTER_HOME"]) as instance:
        runs = {r.job_name: r for r in instance.get_runs()}
    assert {"__ASSET_JOB", "rediscover_segments"} <= set(runs)
    assert all(r.status == dg.DagsterRunStatus.SUCCESS for r in runs.values())
    # launched with no tag and no CDP_REFERENCE_DATE: as of the session's full refresh, like the rest
    assert {r.tags.get("cdp/reference_date") for r in runs.values()} == {E2E_REFERENCE_DATE}
    with duckdb.connect(shell_env["CDP_DUCKDB_PATH"], read_only=True) as conn:
        [(metrics,)] = conn.execute(
            "select count(*) from ops.model_metrics where run_id = ?", [runs["rediscover_segments"].run_id]
        ).fetchall()
    assert metrics > 0
