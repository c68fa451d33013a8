"""The published files open in the newest released DuckDB CLI (dev dependency ``duckdb-cli``), not only
in the DuckDB 2.0 that wrote them: the README's example queries (blocks marked ``<!-- runnable -->``)
run there against the end-to-end publication (fixture ``refreshed``) and each returns rows."""

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from platform_assets.publish.builder import STORAGE_VERSION
from tests.readme import runnable_blocks, sql_statements

CLI = Path(sys.executable).parent / "duckdb"  # the launcher duckdb-cli installs beside this Python


def cli(path: Path, sql: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(CLI), "-readonly", "-json", str(path), "-c", sql], capture_output=True, text=True, timeout=60
    )


@pytest.fixture(scope="module")
def published(refreshed, demo_dir) -> Path:
    result, _ = refreshed
    assert result.success
    return demo_dir / "published"


def test_the_cli_is_a_released_1_x_and_the_python_module_stays_2_x():
    version = subprocess.run([str(CLI), "-version"], capture_output=True, text=True, check=True).stdout
    assert version.startswith("v1."), version
    assert duckdb.__version__.startswith("2."), duckdb.__version__


@pytest.mark.parametrize("kind", ["analyst", "restricted"])
def test_both_files_are_written_in_the_1_5_storage_format(published, kind):
    with duckdb.connect() as conn:
        conn.execute(f"attach '{published / f'{kind}.duckdb'}' as f (read_only)")
        [(tags,)] = conn.execute("select tags from duckdb_databases() where database_name = 'f'").fetchall()
    assert tags["storage_version"] == f"{STORAGE_VERSION}+"


def test_the_readme_queries_run_in_the_released_cli(published):
    blocks = runnable_blocks("sql")
    assert len(blocks) >= 3, "the README's example queries are no longer marked <!-- runnable -->"
    ran = []
    for block in blocks:
        file_name, statements = sql_statements(block)
        for sql in statements:
            done = cli(published / file_name, sql)
            assert done.returncode == 0, f"{block.where} ({file_name}): {sql}\n{done.stderr}"
            rows = json.loads(done.stdout or "[]")
            assert rows, f"{block.where} ({file_name}): no row from\n{sql}"
            ran.append(sql)
    assert any("activation.campaign_results" in sql for sql in ran)


def test_campaign_results_reach_the_analyst_file_without_customer_ids(published):
    done = cli(
        published / "analyst.duckdb",
        "select count(*) as n, count(*) filter (where column_name like '%customer_id%') as ids "
        "from duckdb_columns() where schema_name = 'activation' and table_name = 'campaign_results'",
    )
    assert done.returncode == 0, done.stderr
    [row] = json.loads(done.stdout)
    assert row["n"] > 20 and row["ids"] == 0
    with duckdb.connect(str(published / "analyst.duckdb"), read_only=True) as conn:
        tables = conn.execute(
            "select table_name from duckdb_tables() where schema_name = 'activation' order by 1"
        ).fetchall()
    assert tables == [
        ("audience_summary",),
        ("campaign_results",),
        ("campaign_results_by_model_arm",),
        ("contact_pressure",),
        ("contact_pressure_distribution",),
    ]  # ANALYST_TABLES
