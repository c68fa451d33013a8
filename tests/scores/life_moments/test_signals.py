"""The entry rule and the covariates on a hand-made warehouse: a burst is an entry, a steady habit is not."""

from datetime import date, timedelta

import duckdb
import pytest

from platform_assets.scores.life_moments import signals

START = date(2025, 1, 1)


@pytest.fixture
def conn():
    conn = duckdb.connect()
    conn.execute("create schema sales; create schema referential")
    conn.execute(
        "create table referential.dim_product as select * from (values "
        "('P1', 'Garden & outdoor', 'Garden furniture'), ('P2', 'Garden & outdoor', 'Seeds & plants'), "
        "('P3', 'Kitchen', 'Kitchen units')) as t(product_id, department_name, category_name)"
    )
    conn.execute(
        "create table referential.dim_customer as select * from (values "
        "('A', 'FR', date '1980-01-01', timestamp '2024-01-01'), ('B', 'GB', null, timestamp '2024-06-01')) "
        "as t(customer_id, country_code, birth_date, created_at)"
    )
    rows = []
    # A: a garden purchase every two months for a year, then five garden days within three weeks.
    rows += [("A", START + timedelta(days=60 * i), "P1") for i in range(6)]
    burst = date(2026, 4, 1)
    rows += [("A", burst + timedelta(days=d), "P1") for d in (0, 4, 9, 15, 20)]
    rows += [("A", burst - timedelta(days=10), "P2")]  # a signal purchase before it: not the burst
    # B: buys in the kitchen every 8 days all along: busy, but no change of pace.
    rows += [("B", START + timedelta(days=8 * i), "P3") for i in range(80)]
    conn.execute(
        "create table sales.fct_sales_lines (customer_id varchar, order_id varchar, sold_date date, "
        "product_id varchar, net_amount decimal(18, 2), is_cancelled boolean, is_return boolean)"
    )
    conn.executemany(
        "insert into sales.fct_sales_lines values (?, ?, ?, ?, 50, false, false)",
        [(c, f"{c}-{i}", d, p) for i, (c, d, p) in enumerate(rows)],
    )
    return conn


def test_a_burst_in_the_moment_departments_is_one_entry_and_a_steady_habit_none(conn):
    entries = signals.entries(conn, date(2026, 11, 1))
    assert entries.rows() == [("A", "new_garden", date(2026, 4, 1))]


def test_covariates_count_signals_before_the_cutoff_only(conn):
    cov = signals.covariates(conn, date(2026, 4, 1)).sort("customer_id")
    a = cov.row(0, named=True)
    assert a["new_garden_signal_lines_30d"] == 1 and a["moving_signal_lines_30d"] == 0
    assert a["visits_90d"] == 1  # the signal purchase; the burst starts on the cutoff, not before
    assert a["business_unit"] == "FR" and a["age_years"] == 46
    assert cov.row(1, named=True)["age_years"] is None
