"""Table profiles (row count, null rate and distinct count per column) and the volume rule.

Profiles are computed in DuckDB (approximate distinct counts: HyperLogLog, a few % off on large
columns), kept per run in ``ops.table_profiles``, and compared with the previous run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

HISTORY_RUNS = 7  # "recent average" = mean row count of the last runs that profiled the table

PROFILES_DDL = (
    "create table if not exists ops.table_profiles (run_id varchar, profiled_at timestamp, "
    "table_name varchar, column_name varchar, row_count bigint, null_count bigint, distinct_count bigint)"
)
# Written once (profiles run as concurrent checks: no catalog write when the comments are there).
PROFILES_COMMENTS = (
    "comment on table ops.table_profiles is 'Column profiles per run: one row per run, table and column.';"
    "comment on column ops.table_profiles.run_id is 'Dagster run that profiled the table.';"
    "comment on column ops.table_profiles.profiled_at is 'When the table was profiled (UTC).';"
    "comment on column ops.table_profiles.table_name is 'Profiled table, schema.table.';"
    "comment on column ops.table_profiles.column_name is 'Profiled column of the table.';"
    "comment on column ops.table_profiles.row_count is 'Rows of the table at profiling time.';"
    "comment on column ops.table_profiles.null_count is 'Rows where the column is null.';"
    "comment on column ops.table_profiles.distinct_count is 'Distinct non-null values of the column.'"
)


@dataclass(frozen=True)
class ColumnProfile:
    column: str
    rows: int
    nulls: int
    distinct: int

    @property
    def null_rate(self) -> float:
        return self.nulls / self.rows if self.rows else 0.0


def table_columns(conn: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    schema, name = table.split(".")
    return [
        r[0]
        for r in conn.execute(
            "select column_name from duckdb_columns() where schema_name = ? and table_name = ? "
            "order by column_index",
            [schema, name],
        ).fetchall()
    ]


def profile_table(conn: duckdb.DuckDBPyConnection, table: str, where: str = "true") -> list[ColumnProfile]:
    """One scan of the table for every column's nulls and distinct values."""
    columns = table_columns(conn, table)
    parts = ["count(*)"]
    for c in columns:
        quoted = '"' + c.replace('"', '""') + '"'
        parts += [f"count(*) - count({quoted})", f"approx_count_distinct({quoted})"]
    [row] = conn.execute(f"select {', '.join(parts)} from {table} where {where}").fetchall()
    rows = row[0]
    return [ColumnProfile(c, rows, row[1 + 2 * i], row[2 + 2 * i]) for i, c in enumerate(columns)]


def _ensure_profiles_table(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute(PROFILES_DDL)
    [(comment,)] = conn.execute(
        "select comment from duckdb_tables() where database_name = current_database() "
        "and schema_name = 'ops' and table_name = 'table_profiles'"
    ).fetchall()
    if comment is None:
        conn.execute(PROFILES_COMMENTS)


def previous_profile(conn: duckdb.DuckDBPyConnection, table: str, run_id: str) -> dict[str, ColumnProfile]:
    """The table's profile from the last other run that profiled it (empty when none did)."""
    conn.execute("create schema if not exists ops")
    _ensure_profiles_table(conn)
    rows = conn.execute(
        "select column_name, row_count, null_count, distinct_count from ops.table_profiles "
        "where table_name = ? and run_id = (select run_id from ops.table_profiles where table_name = ? "
        "and run_id <> ? order by profiled_at desc limit 1)",
        [table, table, run_id],
    ).fetchall()
    return {r[0]: ColumnProfile(r[0], r[1], r[2], r[3]) for r in rows}


def recent_row_counts(conn: duckdb.DuckDBPyConnection, table: str, run_id: str) -> list[int]:
    _ensure_profiles_table(conn)
    rows = conn.execute(
        "select any_value(row_count) from ops.table_profiles where table_name = ? and run_id <> ? "
        "group by run_id order by max(profiled_at) desc limit ?",
        [table, run_id, HISTORY_RUNS],
    ).fetchall()
    return [r[0] for r in rows]


def record_profile(
    conn: duckdb.DuckDBPyConnection, table: str, run_id: str, at: datetime, profile: list[ColumnProfile]
) -> None:
    conn.execute("create schema if not exists ops")
    _ensure_profiles_table(conn)
    conn.execute("delete from ops.table_profiles where table_name = ? and run_id = ?", [table, run_id])
    conn.executemany(
        "insert into ops.table_profiles values (?, ?, ?, ?, ?, ?, ?)",
        [(run_id, at, table, p.column, p.rows, p.nulls, p.distinct) for p in profile],
    )


@dataclass(frozen=True)
class VolumeVerdict:
    passed: bool
    rows: int
    recent_average: float | None
    change: float | None  # share of the recent average, signed
    message: str


def volume_verdict(rows: int, recent: list[int], tolerance: float) -> VolumeVerdict:
    """Warn when the row count moves more than ``tolerance`` (a share) from its recent average."""
    if not recent:
        return VolumeVerdict(True, rows, None, None, "no earlier run to compare with")
    average = sum(recent) / len(recent)
    change = (rows - average) / average if average else (0.0 if rows == 0 else float("inf"))
    passed = abs(change) <= tolerance
    verb = "within" if passed else "outside"
    return VolumeVerdict(
        passed,
        rows,
        average,
        change,
        f"{rows:,} rows, {change:+.1%} vs the average of the last {len(recent)} run(s) "
        f"({average:,.0f}): {verb} ±{tolerance:.0%}",
    )


def profile_markdown(profile: list[ColumnProfile], previous: dict[str, ColumnProfile]) -> str:
    def delta(now: float, before: float | None, pct: bool = False) -> str:
        if before is None:
            return "new"
        diff = now - before
        return f"{diff:+.1%}" if pct else f"{diff:+,}"

    lines = ["| column | null rate | Δ null rate | distinct | Δ distinct |", "|---|---|---|---|---|"]
    for p in profile:
        before = previous.get(p.column)
        lines.append(
            f"| {p.column} | {p.null_rate:.2%} | {delta(p.null_rate, before.null_rate if before else None, True)} "
            f"| {p.distinct:,} | {delta(p.distinct, before.distinct if before else None)} |"
        )
    return "\n".join(lines)
