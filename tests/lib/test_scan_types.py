"""A scan's result with DuckDB's types (lib/scan_types.py). Fast: a scan stands in for Spark's (the
Spark tests run the real one, tests/spark)."""

import duckdb
import polars as pl

from platform_assets.lib.engine_queries import on_duckdb
from platform_assets.lib.scan_types import typed_scan

QUERY = (
    "select customer_id, sum(lines) as lines, sum(amount) as amount, max(seen_at) as seen_at "
    "from facts group by customer_id"
)


def _conn() -> duckdb.DuckDBPyConnection:
    conn = duckdb.connect()
    conn.execute(
        "create table facts as select * from (values ('A', 2, 1.25::decimal(14, 2), timestamp '2026-10-01 08:00'), "
        "('A', 3, 2.50::decimal(14, 2), timestamp '2026-10-02 09:30'), ('B', 1, 4.00::decimal(14, 2), null)) "
        "as t(customer_id, lines, amount, seen_at)"
    )
    return conn


def test_on_duckdb_the_scan_is_the_query_itself():
    with _conn() as conn:
        assert typed_scan(conn, on_duckdb, QUERY, ["main.facts"]) == QUERY


def test_a_result_of_other_types_is_read_with_the_types_duckdb_gives_the_query(tmp_path):
    """As Spark returns it: the sum of integers a bigint (DuckDB: a HUGEINT), the sum of decimals of
    another precision, the time with a zone; read back with DuckDB's types, the same values."""
    with _conn() as conn:
        conn.execute(
            f"copy (select customer_id, sum(lines)::bigint as lines, sum(amount)::decimal(24, 2) as amount, "
            f"max(seen_at)::timestamptz as seen_at from facts group by all) to '{tmp_path}/r.parquet'"
        )
        asked = []

        def spark_like(sql, reads=(), spark_sql=None):
            asked.append((sql, tuple(reads), spark_sql))
            return f"select * from read_parquet('{tmp_path}/r.parquet')"

        typed = conn.sql(typed_scan(conn, spark_like, QUERY, ["main.facts"], spark_sql="-- spark")).pl()
        expected = conn.sql(QUERY).pl()
        untyped = conn.sql(spark_like(QUERY)).pl()
    assert asked[0] == (QUERY, ("main.facts",), "-- spark")
    assert untyped.schema != expected.schema  # what the cast is for
    assert typed.schema == expected.schema
    assert typed.sort("customer_id").equals(expected.sort("customer_id"))
    assert typed.schema["lines"] == expected.schema["lines"] != pl.Int64
