"""The expectations that need every row (not-null, unique, compound unique, row count), counted in
SQL on the whole table: GX reads a sample of a big table, and a duplicate or a null outside the
sample would pass. Same meaning and result fields as GX's (``suites.Failure``).
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb

from platform_assets.lib.gates import violations
from platform_assets.quality.suites import EXAMPLES, Failure

# Column expression, per column name (raw tables: typed from text, ``rules.typed_columns``).
ColumnSql = Callable[[str], str]


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _columns(expectation: dict) -> list[str]:
    kwargs = expectation.get("kwargs", {})
    return kwargs.get("column_list") or ([kwargs["column"]] if "column" in kwargs else [])


def _condition(expectation: dict) -> str | None:
    """True on a row that breaks the expectation; None for a table-level one (row count)."""
    kind, columns = expectation["type"], [quoted(c) for c in _columns(expectation)]
    if kind == "expect_column_values_to_not_be_null":
        return f"{columns[0]} is null"
    if kind in ("expect_column_values_to_be_unique", "expect_compound_columns_to_be_unique"):
        # GX skips a row whose key is all missing, and counts every copy of a repeated key
        present = " or ".join(f"{c} is not null" for c in columns)
        return f"({present}) and count(*) over (partition by {', '.join(columns)}) > 1"
    return None


def failures(
    conn: duckdb.DuckDBPyConnection, table: str, expectations: list[dict], column_sql: ColumnSql = quoted
) -> list[Failure]:
    """The failed ``expectations`` (``suites.WHOLE_TABLE`` types) on every row of ``table``;
    ``column_sql`` gives a column's expression (raw tables: parsed from text)."""
    if not expectations:
        return []
    columns = list(dict.fromkeys(c for e in expectations for c in _columns(e)))
    select = ", ".join(f"{column_sql(c)} as {quoted(c)}" for c in columns) or "1 as _row"
    source = f"(select {select} from {table}) as checked"
    rules = {f"e{n}": cond for n, e in enumerate(expectations) if (cond := _condition(e))}
    counts = violations(conn, source, rules) if rules else {}
    [(rows,)] = conn.execute(f"select count(*) from {table}").fetchall()
    found = []
    for n, expectation in enumerate(expectations):
        kwargs = expectation.get("kwargs", {})
        if f"e{n}" not in counts:  # row count
            low, high = kwargs.get("min_value"), kwargs.get("max_value")
            if (low is not None and rows < low) or (high is not None and rows > high):
                found.append(Failure(expectation["type"], "", None, None, [], rows))
            continue
        bad = counts[f"e{n}"]
        mostly = kwargs.get("mostly")
        if bad == 0 or (mostly is not None and rows and (rows - bad) / rows >= mostly):
            continue
        examples = _examples(conn, source, rules[f"e{n}"], _columns(expectation))
        found.append(
            Failure(
                expectation["type"], ", ".join(_columns(expectation)), bad, 100 * bad / rows, examples, None
            )
        )
    return found


def _examples(conn: duckdb.DuckDBPyConnection, source: str, condition: str, columns: list[str]) -> list:
    select = ", ".join(quoted(c) for c in columns)
    rows = conn.execute(
        f"select {select} from (select {select}, coalesce(({condition}), false) as _bad from {source}) "
        f"where _bad limit {EXAMPLES}"
    ).fetchall()
    return [row[0] if len(row) == 1 else list(row) for row in rows]
