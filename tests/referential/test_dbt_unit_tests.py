"""dbt ``unit_tests:`` (dim_customer survivorship, the RFM playbook's rules) run on the warehouse the session built: dbt reads the
input tables' column types from it. The refresh's ``dbt build`` leaves them out (fixed inputs: CI's job)."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from platform_assets.lib.settings import DBT_PROJECT_DIR
from tests.dbt_parse import dbt_target_dir


def test_every_dbt_unit_test_passes(refreshed, tmp_path):
    _, db = refreshed
    scratch = shutil.copy(db, tmp_path / "cdp.duckdb")  # dbt must not hold the session's file
    dbt = Path(sys.executable).parent / "dbt"
    done = subprocess.run(
        [str(dbt), "test", "--select", "test_type:unit", "--target-path", str(tmp_path / "target")],
        cwd=DBT_PROJECT_DIR,
        env={**os.environ, "CDP_DUCKDB_PATH": str(scratch)},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout[-3000:]
    results = json.loads((tmp_path / "target" / "run_results.json").read_text())["results"]
    # the project's on-run-start hook (sources registered on Spark; nothing on DuckDB) is no unit test
    results = [r for r in results if not r["unique_id"].startswith("operation.")]
    assert len(results) >= 5 and {r["status"] for r in results} == {"pass"}
    assert all(r["unique_id"].startswith("unit_test.") for r in results)
    models = {r["unique_id"].split(".")[2] for r in results}
    assert {"dim_customer", "int_rfm_segment_cells"} <= models


def test_the_refresh_builds_models_and_tests_but_leaves_unit_tests_to_ci(refreshed):
    result, _ = refreshed
    # each dbt step of the run wrote its own target folder: <op>-<run id[:7]>-<invocation>
    folders = list(dbt_target_dir().glob(f"dbt_models*-{result.run_id[:7]}-*"))
    ran = [
        r["unique_id"] for f in folders for r in json.loads((f / "run_results.json").read_text())["results"]
    ]
    assert any(u == "model.customer_scoring.dim_customer" for u in ran)
    assert any(u.startswith("test.") for u in ran)
    assert not [u for u in ran if u.startswith("unit_test.")]
