"""Above gx_max_rows GX reads a repeatable sample; not-null, unique and row count are counted on
every row, so a duplicate or a null outside the sample still fails the blocking check."""

from pathlib import Path

import dagster as dg
import duckdb

from platform_assets.quality.suites import Suite
from platform_assets.quality.table_checks import CRITICAL, Limits, evaluate_table, plain_column, suite_frame

LIMITS = Limits(gx_max_rows=2_000, volume_tolerance=0.5)
SUITE = Suite(
    "sales.t",
    Path("expectations/sales.t.json"),
    (
        {
            "type": "expect_column_values_to_be_unique",
            "kwargs": {"column": "id"},
            "meta": {"severity": "critical"},
        },
        {
            "type": "expect_column_values_to_not_be_null",
            "kwargs": {"column": "other"},
            "meta": {"severity": "critical"},
        },
        {
            "type": "expect_column_values_to_be_between",
            "kwargs": {"column": "other", "min_value": 0, "max_value": 6},
            "meta": {"severity": "critical"},
        },
    ),
)


def _table(rows: int) -> duckdb.DuckDBPyConnection:
    conn = duckdb.connect()
    conn.execute("create schema sales")
    conn.execute(f"create table sales.t as select range as id, range % 7 as other from range({rows})")
    return conn


def _critical(conn) -> dg.AssetCheckResult:
    [result] = evaluate_table(conn, dg.AssetKey(["sales", "t"]), SUITE, {CRITICAL}, "run-1", LIMITS)
    return result


def test_a_big_table_is_sampled_repeatably():
    conn = _table(50_000)
    first = suite_frame(conn, "sales.t", SUITE, plain_column, LIMITS.gx_max_rows)
    again = suite_frame(conn, "sales.t", SUITE, plain_column, LIMITS.gx_max_rows)
    assert first.sampled and first.table_rows == 50_000
    assert list(first.frame.columns) == ["other"]  # only the columns GX reads: not the key
    assert 1_700 <= len(first.frame) <= 2_300  # about gx_max_rows (a hash share, not exact)
    assert first.frame["other"].tolist() == again.frame["other"].tolist()


def test_a_small_table_is_read_whole():
    frame = suite_frame(_table(1_500), "sales.t", SUITE, plain_column, LIMITS.gx_max_rows)
    assert not frame.sampled and len(frame.frame) == 1_500


def test_a_clean_big_table_passes_on_every_row():
    result = _critical(_table(50_000))
    assert (
        result.passed and result.metadata["sampled"].value and result.metadata["table_rows"].value == 50_000
    )


def test_a_duplicate_key_beyond_the_sample_is_caught_on_the_whole_table():
    conn = _table(50_000)
    # a copy of a row the sample leaves out (its hashed position is above the share): GX alone
    # would never see it
    per_million = 1_000_000 * LIMITS.gx_max_rows // 50_000
    [(outside,)] = conn.execute(
        f"select min(id) from sales.t where hash(rowid + 42) % 1000000 >= {per_million}"
    ).fetchall()
    conn.execute(f"insert into sales.t select id, other from sales.t where id = {outside}")
    result = _critical(conn)
    assert not result.passed and result.metadata["sampled"].value
    assert result.metadata["failing_rows"].value == 2  # both copies
    assert "expect_column_values_to_be_unique" in result.metadata["failures"].value


def test_a_null_beyond_the_sample_is_caught_on_the_whole_table():
    conn = _table(50_000)
    conn.execute(
        "update sales.t set other = null where id in (select id from sales.t order by id desc limit 3)"
    )
    result = _critical(conn)
    assert not result.passed and result.metadata["failing_rows"].value == 3
