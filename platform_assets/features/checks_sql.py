"""Blocking gates of the features layer: keys and value ranges, as SQL counts of violating rows.

Pure: a table name and rules in, violation counts out; ``checks.py`` turns them into asset checks.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb


def key_rules(keys: Sequence[str]) -> dict[str, str]:
    """Rows with a null key part, and rows beyond the first for a duplicated key."""
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
    """Rule name -> rows of ``table`` breaking it (a rule is a SQL condition true on a bad row;
    window functions are allowed)."""
    flags = ", ".join(f'coalesce(({condition}), false) as "{name}"' for name, condition in rules.items())
    sums = ", ".join(f'count(*) filter (where "{name}")' for name in rules)
    [counts] = conn.execute(
        f"with flagged as (select {flags} from {table}) select {sums} from flagged"
    ).fetchall()
    return dict(zip(rules, (int(c) for c in counts), strict=True))
