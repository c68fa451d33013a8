"""A Python step's scans on the engine (lib/engine_queries.py): on DuckDB the query itself; on Spark the
query translated (or refused), reading each table from a view, from Spark's own files only when they
hold the working file's rows. Fast: no JVM (tests/spark runs scans on Spark)."""

import duckdb
import pytest
import sqlglot

from platform_assets.lib import engine, engine_queries


def test_on_duckdb_a_scan_is_the_query_itself(tmp_path):
    with duckdb.connect() as conn, engine_queries.scans(conn, "duckdb", tmp_path) as scan:
        assert scan("select 42 as answer", ["sales.fct_sales_lines"]) == "select 42 as answer"
        assert conn.sql(scan("select 42 as answer")).fetchall() == [(42,)]
    assert not engine_queries.scans_folder(tmp_path).exists()  # nothing written for DuckDB


def test_the_query_is_translated_to_spark_or_refused():
    spark = engine_queries.to_spark(
        "select customer_id, count(*) filter (where amount > 0) as n, sold_date::date as d "
        "from sales.fct_sales_lines where sold_date < date '2026-11-01' group by all"
    )
    assert "sales.fct_sales_lines" in spark and "GROUP BY ALL" in spark and "CAST(" in spark
    # DuckDB's top-n max has no Spark form: an error, not a query that means something else
    with pytest.raises(sqlglot.errors.UnsupportedError):
        engine_queries.to_spark("select max(sold_date, 2) from sales.fct_sales_lines")


def test_schema_qualified_tables_are_read_from_views_and_ctes_left_alone():
    sql = engine_queries.on_views(
        "with lines as (select * from sales.fct_sales_lines as l join referential.dim_product using (product_id)) "
        "select * from lines join sales.fct_orders o on lines.order_id = o.order_id where l.sold_date < date '2026-11-01'"
    )
    assert "FROM sales__fct_sales_lines AS l" in sql
    assert "JOIN referential__dim_product AS dim_product" in sql  # its columns still resolve by name
    assert "FROM lines JOIN sales__fct_orders AS o" in sql
    assert "sales." not in sql and "referential." not in sql and "CAST('2026-11-01' AS DATE)" in sql
    assert engine_queries.view_name("sales.fct_orders") == "sales__fct_orders"


def test_a_query_written_in_spark_sql_reads_its_tables_renamed_in_its_text():
    # sqlglot does not write every Spark construct back (an aggregate's filter after its null clause):
    # a hand-written query keeps its text, its tables renamed
    spark = (
        "SELECT any_value(x) IGNORE NULLS FILTER (WHERE y > 0) AS x FROM sales.fct_orders o "
        "JOIN sales.fct_orders_extra USING (order_id) JOIN mysales.fct_orders m USING (order_id)"
    )
    renamed = engine_queries.written_on_views(spark, ["sales.fct_orders", "sales.fct_orders_extra"])
    assert renamed.startswith(
        "SELECT any_value(x) IGNORE NULLS FILTER (WHERE y > 0) AS x FROM sales__fct_orders o "
    )
    assert "JOIN sales__fct_orders_extra USING" in renamed and "JOIN mysales.fct_orders m" in renamed


def _spark_files(spark_dir, table, rows):
    files = engine.spark_table_files(spark_dir, table)
    files.mkdir(parents=True)
    with duckdb.connect() as conn:
        conn.execute(f"copy (select range as id from range({rows})) to '{files / 'part-0.parquet'}'")


def test_spark_reads_its_own_files_only_when_they_hold_the_working_files_rows(tmp_path):
    spark_dir, copies = tmp_path / "spark", tmp_path / "copies"
    with duckdb.connect() as conn:
        conn.execute("create schema sales")
        conn.execute("create table sales.fct_orders as select range as id from range(3)")
        conn.execute("create table sales.fct_sales_lines as select range as id from range(5)")
        conn.execute("create view sales.recent as select * from sales.fct_orders where id > 0")
        _spark_files(spark_dir, "sales.fct_orders", 3)  # built on Spark, read back unchanged
        _spark_files(spark_dir, "sales.fct_sales_lines", 4)  # not what the working file holds now
        assert engine_queries.spark_table(conn, "sales.fct_orders", spark_dir, copies) == (
            engine.spark_table_files(spark_dir, "sales.fct_orders")
        )
        for table, rows in (("sales.fct_sales_lines", 5), ("sales.recent", 2)):  # copied, views too
            files = engine_queries.spark_table(conn, table, spark_dir, copies)
            assert files == copies / "sales" / table.split(".")[1]
            assert conn.execute(f"select count(*) from read_parquet('{files}/*.parquet')").fetchall() == [
                (rows,)
            ]


TYPED_QUERY = (
    "select customer_id, sum(lines) as lines, sum(amount) as amount, max(seen_at) as seen_at "
    "from facts group by customer_id"
)


def test_a_scans_result_is_read_with_the_types_duckdb_gives_the_query(tmp_path):
    """As Spark returns it: the sum of integers a bigint (DuckDB: a HUGEINT), the sum of decimals of
    another precision, the time with a zone; read back with DuckDB's types, the same values."""
    with duckdb.connect() as conn:
        conn.execute(
            "create table facts as select * from (values ('A', 2, 1.25::decimal(14, 2), timestamp '2026-10-01 08:00'), "
            "('A', 3, 2.50::decimal(14, 2), timestamp '2026-10-02 09:30'), ('B', 1, 4.00::decimal(14, 2), null)) "
            "as t(customer_id, lines, amount, seen_at)"
        )
        conn.execute(
            f"copy (select customer_id, sum(lines)::bigint as lines, sum(amount)::decimal(24, 2) as amount, "
            f"max(seen_at)::timestamptz as seen_at from facts group by all) to '{tmp_path}/r.parquet'"
        )
        result = f"select * from read_parquet('{tmp_path}/r.parquet')"
        typed = conn.sql(engine_queries.with_types_of(conn, TYPED_QUERY, result)).pl()
        expected, untyped = conn.sql(TYPED_QUERY).pl(), conn.sql(result).pl()
    assert untyped.schema != expected.schema  # what the cast is for
    assert typed.schema == expected.schema
    assert typed.sort("customer_id").equals(expected.sort("customer_id"))
