"""Blocking gates of tables built in Python: SQL counts of rows breaking each rule, on the whole table.

A rule is a SQL condition true on a bad row (window functions allowed); ``gate`` turns the counts into
a blocking asset check result. Uniqueness and not-null are always counted on every row, never a sample.
"""

from __future__ import annotations

from collections.abc import Sequence

import dagster as dg
import duckdb

from platform_assets.lib.tables import empty_by_design


def key_rules(keys: Sequence[str]) -> dict[str, str]:
    """Rows with a null key part, and rows of a duplicated key."""
    cols = ", ".join(keys)
    return {
        "null_key": " or ".join(f"{k} is null" for k in keys),
        "duplicate_key": f"count(*) over (partition by {cols}) > 1",
    }


def between(column: str, low: float | None, high: float | None) -> str:
    """Violation of ``low <= column <= high`` (nulls allowed: not-null is its own rule)."""
    parts = []
    if low is not None:
        parts.append(f"{column} < {low}")
    if high is not None:
        parts.append(f"{column} > {high}")
    return " or ".join(parts)


def violations(conn: duckdb.DuckDBPyConnection, table: str, rules: dict[str, str]) -> dict[str, int]:
    """Rule name -> rows of ``table`` breaking it."""
    flags = ", ".join(f'coalesce(({condition}), false) as "{name}"' for name, condition in rules.items())
    sums = ", ".join(f'count(*) filter (where "{name}")' for name in rules)
    [counts] = conn.execute(
        f"with flagged as (select {flags} from {table}) select {sums} from flagged"
    ).fetchall()
    return dict(zip(rules, (int(c) for c in counts), strict=True))


def gate(
    warehouse, table: str, rules: dict[str, str], extra_sql: dict[str, str] | None = None
) -> dg.AssetCheckResult:
    """The blocking check of a Python-built table: row rules plus table-level counts that must be zero
    (``extra_sql``: name -> a query returning one count); an empty table fails too, unless it is
    empty by design (``lib.tables.replace_with_empty``: the data it needs is not there)."""
    with warehouse.connect() as conn:
        counts = violations(conn, table, rules)
        [(rows,)] = conn.execute(f"select count(*) from {table}").fetchall()
        by_design = None if rows else empty_by_design(conn, table)
        # the table-level counts compare the table with others: moot for a table empty by design
        for name, sql in {} if by_design else (extra_sql or {}).items():
            [(counts[name],)] = conn.execute(sql).fetchall()
    failed = {name: int(n) for name, n in counts.items() if n}
    return dg.AssetCheckResult(
        passed=(rows > 0 or by_design is not None) and not failed,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={"rows": int(rows), "rules": len(counts), "failed_rules": dg.MetadataValue.json(failed)},
        description=None if rows else by_design or f"{table} is empty",
    )
