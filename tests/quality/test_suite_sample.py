"""Above CDP_GX_MAX_ROWS a suite reads a repeatable sample of about that many rows."""

from pathlib import Path

import duckdb

from platform_assets.quality.checks import _plain_column, suite_frame
from platform_assets.quality.suites import Suite

SUITE = Suite(
    "sales.t",
    Path("expectations/sales.t.json"),
    ({"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "id"}},),
)


def _table(rows: int) -> duckdb.DuckDBPyConnection:
    conn = duckdb.connect()
    conn.execute("create schema sales")
    conn.execute(f"create table sales.t as select range as id, range % 7 as other from range({rows})")
    return conn


def test_a_big_table_is_sampled_repeatably(monkeypatch):
    monkeypatch.setenv("CDP_GX_MAX_ROWS", "2000")
    conn = _table(50_000)
    first = suite_frame(conn, "sales.t", SUITE, _plain_column)
    again = suite_frame(conn, "sales.t", SUITE, _plain_column)
    assert first.sampled and first.table_rows == 50_000
    assert list(first.frame.columns) == ["id"]  # only the columns the suite reads
    assert 1_700 <= len(first.frame) <= 2_300  # about CDP_GX_MAX_ROWS (a hash share, not exact)
    assert first.frame["id"].tolist() == again.frame["id"].tolist()
    # spread over the table, not its first rows
    assert first.frame["id"].max() > 40_000 and first.frame["id"].min() < 10_000


def test_a_small_table_is_read_whole(monkeypatch):
    monkeypatch.setenv("CDP_GX_MAX_ROWS", "2000")
    frame = suite_frame(_table(1_500), "sales.t", SUITE, _plain_column)
    assert not frame.sampled and len(frame.frame) == 1_500
