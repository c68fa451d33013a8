"""Compare two published analyst files table by table: same tables, same columns, same rows.

    uv run python benchmarks/compare_published.py BEFORE.duckdb AFTER.duckdb

Rows are compared as multisets (order ignored). Floating-point values are compared to 9 significant
digits (parallel sums differ in the last digits). Columns that say when or in which run a row was
written (RUN_COLUMNS) differ between any two runs and are left out, and the report says so. Exit code 0
when every table matches.
"""

from __future__ import annotations

import argparse
import sys

import duckdb

RUN_COLUMNS = {
    "run_id",
    "issued_run_id",
    "issued_at",
    "_load_id",
    "load_id",  # ops.landing_files: the landing run's id
    "_loaded_at",
    "loaded_at",
    "published_at",
    "computed_at",
    "trained_at",
    "added_run_id",
    "added_at",
    "measured_at",
    "generated_at",
    "erased_run_id",
    "erased_at",
    "logged_at",
    "compared_at",  # ops.model_comparisons: when the champion and the challenger were compared
}
FLOAT_TYPES = {"DOUBLE", "FLOAT", "REAL"}


def tables(conn: duckdb.DuckDBPyConnection, catalog: str) -> dict[str, list[tuple[str, str]]]:
    rows = conn.execute(
        "select schema_name || '.' || table_name, column_name, data_type from duckdb_columns() "
        "where database_name = ? order by schema_name, table_name, column_index",
        [catalog],
    ).fetchall()
    out: dict[str, list[tuple[str, str]]] = {}
    for table, column, data_type in rows:
        out.setdefault(table, []).append((column, data_type))
    return out


def normalised(column: str, data_type: str) -> str:
    quoted = f'"{column}"'
    if data_type in FLOAT_TYPES:
        return f"case when {quoted} is null then null else printf('%.8e', {quoted}) end as {quoted}"
    if data_type.endswith("[]") or data_type.startswith(("STRUCT", "MAP")):
        return f"cast({quoted} as varchar) as {quoted}"
    return quoted


def compare(before: str, after: str, examples: int = 3) -> list[str]:
    """One line per table: 'same', or what differs. Empty list of differences means identical."""
    conn = duckdb.connect()
    conn.execute(f"attach '{before}' as b (read_only)")
    conn.execute(f"attach '{after}' as a (read_only)")
    old, new = tables(conn, "b"), tables(conn, "a")
    lines, differences = [], 0
    for table in sorted(old.keys() | new.keys()):
        if table not in new or table not in old:
            lines.append(f"{table}: only in {'before' if table in old else 'after'}")
            differences += 1
            continue
        old_cols, new_cols = dict(old[table]), dict(new[table])
        if list(old_cols) != list(new_cols) or old_cols != new_cols:
            lines.append(f"{table}: columns differ: before {old[table]} after {new[table]}")
            differences += 1
            continue
        compared = [(c, t) for c, t in old[table] if c not in RUN_COLUMNS]
        skipped = [c for c, _ in old[table] if c in RUN_COLUMNS]
        select = ", ".join(normalised(c, t) for c, t in compared)
        [(n_before,)] = conn.execute(f"select count(*) from b.{table}").fetchall()
        [(n_after,)] = conn.execute(f"select count(*) from a.{table}").fetchall()
        only_before = conn.execute(
            f"select {select} from b.{table} except all select {select} from a.{table}"
        ).fetchall()
        only_after = conn.execute(
            f"select {select} from a.{table} except all select {select} from b.{table}"
        ).fetchall()
        note = f" (run columns not compared: {', '.join(skipped)})" if skipped else ""
        if not only_before and not only_after:
            lines.append(f"{table}: same, {n_before} rows{note}")
            continue
        differences += 1
        lines.append(
            f"{table}: DIFFERS{note}: {n_before} rows before, {n_after} after; "
            f"{len(only_before)} rows only before, {len(only_after)} only after"
        )
        names = [c for c, _ in compared]
        for label, rows in (("before", only_before), ("after", only_after)):
            for row in rows[:examples]:
                changed = dict(zip(names, row, strict=True))
                lines.append(f"    {label}: {changed}")
    lines.append(f"{differences} of {len(old.keys() | new.keys())} tables differ")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before")
    parser.add_argument("after")
    parser.add_argument("--examples", type=int, default=3, help="differing rows shown per side and table")
    args = parser.parse_args()
    lines = compare(args.before, args.after, args.examples)
    print("\n".join(lines))
    return 0 if lines[-1].startswith("0 of") else 1


if __name__ == "__main__":
    sys.exit(main())
