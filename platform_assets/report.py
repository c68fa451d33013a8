"""What `make demo` prints at the end: where the warehouse is, what it holds, how to use it."""

from __future__ import annotations

import sys

import duckdb

from platform_assets.config import settings


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
    path = settings().duckdb_path
    if not path.exists():
        print(f"no warehouse at {path}: run `make demo` first", file=sys.stderr)
        return 1
    with duckdb.connect(str(path), read_only=True) as conn:
        rows = warehouse_tables(conn)
    size_mb = path.stat().st_size / 1e6
    print(f"\nWarehouse: {path} ({size_mb:,.0f} MB, {len(rows)} tables)\n")
    for schema, table, count in rows:
        print(f"  {schema + '.' + table:<45} {count:>12,}")
    print(
        "\nQuery it (close the connection before the next refresh: DuckDB lets no reader stay open\n"
        "while the pipeline writes):\n"
        f"  uv run python -c \"import duckdb; print(duckdb.connect('{path}', read_only=True)"
        ".sql('select country_code, count(*) from referential.dim_customer group by all'))\"\n"
        "\nOpen the Dagster UI (graph by domain, owners, checks, run history):\n"
        "  make dev   then browse http://localhost:3000\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
