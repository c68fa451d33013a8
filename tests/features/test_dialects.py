"""The profile's SQL per engine (features/dialects.py, ``profile.profile_query``), without an engine:
how fragment calls are spelled, and what Spark's query is made of. The values both engines give are
compared in tests/spark (``make test-spark``)."""

from datetime import date

import duckdb
import pytest

from platform_assets.features import dialects, profile

REF = date(2026, 11, 1)
DEPARTMENTS = [("Garden", "dept_garden"), ("Tools", "dept_tools")]


def test_a_nested_call_is_spelled_for_each_engine():
    sql = "select $days($item(two, 1), $item(two, 2)) as gap, $ref as r from t"
    assert dialects.render(sql, "duckdb") == "select ((two[1]) - (two[2])) as gap, $ref as r from t"
    assert dialects.render(sql, "spark") == (
        "select cast(datediff(try_element_at(two, 1), try_element_at(two, 2)) as bigint) as gap, $ref as r from t"
    )


def test_arguments_keep_their_parentheses_and_quoted_commas():
    sql = "$ratio(coalesce(a, 0) - b, nullif(c, ',)'))"
    assert dialects.render(sql, "duckdb") == "((coalesce(a, 0) - b) / (nullif(c, ',)')))"
    assert dialects.render(sql, "spark") == "(cast((coalesce(a, 0) - b) as double) / (nullif(c, ',)')))"


def test_first_by_orders_descending_keys_negated_and_nulls_last_on_spark():
    sql = "$first_by(store_id, purchases desc, store_id)"
    assert dialects.render(sql, "duckdb") == "first(store_id order by purchases desc, store_id)"
    assert dialects.render(sql, "spark") == (
        "min(named_struct('n0', (purchases) is null, 'k0', -(purchases), "
        "'n1', (store_id) is null, 'k1', store_id, 'v', store_id)).v"
    )


def test_an_unknown_dialect_or_an_unclosed_call_is_refused():
    with pytest.raises(ValueError, match="unknown SQL dialect 'postgres'"):
        dialects.render("select 1", "postgres")
    with pytest.raises(ValueError, match="unbalanced parentheses"):
        dialects.render("select $days(a, b", "spark")
    with pytest.raises(ValueError, match="unknown SQL dialect"):
        profile.profile_query(REF, DEPARTMENTS, dialect="postgres")


def test_the_spark_query_is_one_statement_without_duckdb_only_constructs():
    sql = profile.profile_query(REF, DEPARTMENTS, dialect="spark")
    assert "$" not in sql
    # the DuckDB query's temp tables are CTEs (the lines pass) or not needed (the numbered campaigns)
    assert "feat_lines as (" in sql and "join feat_email_campaigns" not in sql and "temp table" not in sql
    for duckdb_only in (
        "bitstring_agg",
        "hugeint",
        "epoch_us",
        "date_sub(",
        "//",
        "replace (",
        "list_distinct",
    ):
        assert duckdb_only not in sql
    assert "dept_tools" in sql and "date '2026-11-01'" in sql and "timestamp '2026-11-01'" in sql


def test_the_duckdb_query_reads_the_temp_tables_customer_profile_writes():
    sql = profile.profile_query(REF, DEPARTMENTS, campaigns=3)
    assert "$" not in sql
    assert "left join feat_lines as lt" in sql and "left join feat_email_campaigns as c" in sql
    assert "bitstring_agg(c.campaign_bit, 0, 2)" in sql
    lines = profile.lines_query(REF, DEPARTMENTS, products=5)
    assert "bitstring_agg(p.product_bit, 0, 4)" in lines and "$" not in lines


def test_absent_sources_null_their_indicators_in_the_columns_order_on_spark():
    absent = ("emailing_events", "web_events")
    nulled = profile.null_indicators(absent)
    full = profile.profile_query(REF, DEPARTMENTS, dialect="spark")
    columns = profile.output_columns(full)
    assert columns[:4] == ["customer_id", "reference_date", "business_unit", "currency_code"]
    assert columns[-2:] == ["dept_garden", "dept_tools"] and set(nulled) < set(columns)
    sql = profile.profile_query(REF, DEPARTMENTS, absent, dialect="spark")
    selected = ", ".join(f"case when false then {c} end as {c}" if c in nulled else c for c in columns)
    assert sql.startswith(f"select {selected} from (")
    assert "case when false then email_open_rate_12m end as email_open_rate_12m" in selected


def test_duckdb_reads_the_fragments_duckdb_spelling():
    """Every fragment's DuckDB spelling runs, on values whose answer is known."""
    sql = dialects.render(
        "select $days(date '2024-03-01', date '2024-02-28'), $is_weekend(date '2026-12-06'), "
        "$item($max_two(d), 2), $div(7, 2), cast(1 as $int128()), $epoch_us(timestamp '1970-01-01 00:00:01'), "
        "$years_between(date '2000-02-29', date '2026-02-28'), $any_value(d), $ratio(1.00, 4.00), "
        "$round_cents(1.005::double), $first_by(d, d desc) from (select unnest([1, 3, 2]) as d)",
        "duckdb",
    )
    assert duckdb.sql(sql).fetchall()[0][:7] == (2, True, 2, 3, 1, 1_000_000, 26)
    assert duckdb.sql(sql).fetchall()[0][8:] == (0.25, 1.0, 3)


def test_the_spark_query_reads_the_warehouse_tables_it_declares_and_nothing_else():
    import sqlglot
    from sqlglot import exp

    tree = sqlglot.parse_one(profile.profile_query(REF, DEPARTMENTS, dialect="spark"), read="spark")
    ctes = {cte.alias for cte in tree.find_all(exp.CTE)}
    read = {f"{t.db}.{t.name}" if t.db else t.name for t in tree.find_all(exp.Table)} - ctes
    assert read == set(profile.INPUT_TABLES)
