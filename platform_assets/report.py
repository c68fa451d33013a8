"""What `make demo` prints at the end: where the published analyst warehouse is, what it holds, how to use it."""

from __future__ import annotations

import sys

import duckdb

from platform_assets.lib.resources import settings_from_env


def warehouse_tables(conn: duckdb.DuckDBPyConnection) -> list[tuple[str, str, int]]:
    tables = conn.execute(
        "select schema_name, table_name, estimated_size from duckdb_tables() "
        "where not internal and schema_name not like 'temp%' order by schema_name, table_name"
    ).fetchall()
    return [
        (schema, table, conn.execute(f'select count(*) from "{schema}"."{table}"').fetchall()[0][0])
        for schema, table, _ in tables
    ]


def main() -> int:
    cfg = settings_from_env()
    path = cfg.analyst_path
    if not path.exists():
        print(
            f"no published analyst file at {path}: run `make demo` first (or see the run's errors)",
            file=sys.stderr,
        )
        return 1
    with duckdb.connect(str(path), read_only=True) as conn:
        rows = warehouse_tables(conn)
        [(run_id, reference_date)] = conn.execute(
            "select run_id, reference_date from ops.publication"
        ).fetchall()
    size_mb = path.stat().st_size / 1e6
    print(
        f"\nAnalyst warehouse: {path} ({size_mb:,.0f} MB, {len(rows)} tables, "
        f"run {run_id[:8]} as of {reference_date}; no direct identifiers)\n"
    )
    for schema, table, count in rows:
        print(f"  {schema + '.' + table:<45} {count:>12,}")
    print(
        "\nQuery it read-only, even while the next refresh runs (it replaces the file atomically):\n"
        f"  uv run python -c \"import duckdb; print(duckdb.connect('{path}', read_only=True)"
        ".sql('select country_code, count(*) from referential.dim_customer group by all'))\"\n"
        f"Data dictionary: {cfg.published_path / 'data_dictionary.md'} (also table ops.data_dictionary)\n"
        f"Personal data (referential and activation teams only): {cfg.restricted_path}\n"
        f"Earlier publications: {cfg.published_path / 'snapshots'}\n"
        "\nOpen the Dagster UI (lineage by layer, owners, checks, run history):\n"
        "  make dev   then browse http://localhost:3000\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
