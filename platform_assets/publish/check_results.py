"""The run's check results as a table, ``ops.check_results``: one line per check the run evaluated (asset,
check, kind, blocking, outcome), written by the publication step just before it builds the files, so
the analyst file and the cockpits' data-health page say how many checks passed, warned and failed
and of which kind (no data in it: names and outcomes only). A run whose blocking check failed
publishes nothing, so a published run shows no failed blocking check.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from platform_assets.landing.keys import PRIMARY_KEY
from platform_assets.lib.tables import comment_table
from platform_assets.quality.reconciliation import QUARANTINE, RECONCILIATION
from platform_assets.quality.table_checks import CRITICAL, PROFILE, WARNING

TABLE = "ops.check_results"
LANDING_CHECKS = (RECONCILIATION, QUARANTINE, PRIMARY_KEY)
KINDS = ("landing contract", "dbt test", "GX suite", "profile", "SQL gate")
OUTCOMES = ("passed", "warned", "failed")
COLUMNS = {
    "run_id": ("varchar", "Dagster run that evaluated the check (the publishing run)."),
    "asset_key": ("varchar", "Asset the check is on (schema/table)."),
    "check_name": ("varchar", "Name of the check."),
    "check_kind": (
        "varchar",
        "landing contract (reconciliation, quarantine, primary key of a raw table), dbt test, GX suite "
        "(expectations_critical / expectations_warning), profile (row counts and volume vs earlier runs) "
        "or SQL gate (a Python-built table's blocking rules).",
    ),
    "blocking": ("boolean", "Whether a failure stops everything downstream and the publication."),
    "outcome": (
        "varchar",
        "passed; warned (failed with WARN severity: published anyway); failed (ERROR severity: the run "
        "publishes nothing, so a published file never shows one).",
    ),
}


@dataclass(frozen=True)
class CheckResult:
    asset_key: str
    check_name: str
    kind: str
    blocking: bool
    outcome: str


def kind_of(check_name: str, on_dbt_asset: bool) -> str:
    """Which mechanism a check is (quality/README.md's layers), from its name and whether dbt defines it."""
    if check_name in LANDING_CHECKS:
        return "landing contract"
    if check_name in (CRITICAL, WARNING):
        return "GX suite"
    if check_name == PROFILE:
        return "profile"
    return "dbt test" if on_dbt_asset else "SQL gate"


def outcome_of(passed: bool, error_severity: bool) -> str:
    return "passed" if passed else "failed" if error_severity else "warned"


def record(conn: duckdb.DuckDBPyConnection, run_id: str, results: list[CheckResult]) -> int:
    """Replaces ``ops.check_results`` with this run's results (documented as DuckDB comments, which
    the publication copies). Returns the lines written."""
    conn.execute("create schema if not exists ops")
    columns = ", ".join(f"{name} {type_}" for name, (type_, _) in COLUMNS.items())
    conn.execute(f"create or replace table {TABLE} ({columns})")
    comment_table(
        conn,
        TABLE,
        "Checks of the last publishing run: one line per check evaluated (asset checks: landing contracts, "
        "dbt tests, GX suites, profiles, SQL gates) with its outcome.",
        {name: text for name, (_, text) in COLUMNS.items()},
    )
    if results:  # a run of the publication alone evaluates no check: the table is then empty
        conn.executemany(
            f"insert into {TABLE} values (?, ?, ?, ?, ?, ?)",
            [(run_id, r.asset_key, r.check_name, r.kind, r.blocking, r.outcome) for r in results],
        )
    return len(results)
