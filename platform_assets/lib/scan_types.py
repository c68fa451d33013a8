"""A scan's result with the column types DuckDB gives its query, whichever engine ran it.

A scan on Spark (``lib/engine_queries.py``) returns Spark's types: a sum of integers is a bigint there
and a HUGEINT (a 38-digit decimal in a frame) in DuckDB, a sum of decimals has another precision, a
timestamp has a zone. Code downstream computes with the frame (a decimal divides differently from an
integer in polars), so the same answers need the same types: ``typed_scan`` casts each column of the
result to the type DuckDB binds the query to (binding reads no row).
"""

from __future__ import annotations

from collections.abc import Iterable

import duckdb

from platform_assets.lib.engine_queries import Scan


def typed_scan(
    conn: duckdb.DuckDBPyConnection,
    scan: Scan,
    duckdb_sql: str,
    reads: Iterable[str] = (),
    spark_sql: str | None = None,
) -> str:
    """``scan(duckdb_sql, reads, spark_sql)``, each column cast to its type in ``duckdb_sql`` on
    ``conn`` (same names, same order); on DuckDB the query itself."""
    result = scan(duckdb_sql, reads, spark_sql=spark_sql)
    if result == duckdb_sql:
        return result
    bound = conn.sql(duckdb_sql)
    casts = ", ".join(
        f'cast("{name}" as {dtype}) as "{name}"'
        for name, dtype in zip(bound.columns, bound.types, strict=True)
    )
    return f"select {casts} from ({result})"
