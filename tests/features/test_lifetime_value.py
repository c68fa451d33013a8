"""The CLV inputs on a tiny real DuckDB warehouse: purchase days, weeks, repeat value, backtest split."""

from datetime import date

import duckdb
import numpy as np
import polars as pl
import pytest

from platform_assets.features import lifetime_value

REF = date(2026, 11, 1)

LINES = [  # customer, sold_date, net_amount, is_return, is_cancelled
    ("A", "2025-01-01", 10.00, False, False),
    ("A", "2025-01-01", 5.00, False, False),  # same day: one purchase of 15
    ("A", "2025-06-04", 30.00, False, False),
    ("A", "2025-06-04", -30.00, True, False),  # a return is not a purchase
    ("A", "2026-03-05", 50.00, False, False),  # after the backtest cutoff (2025-11-01)
    ("A", "2026-11-01", 99.00, False, False),  # on the reference date: not yet known
    ("B", "2026-10-04", 20.00, False, False),  # first bought after the cutoff
    ("B", "2026-10-11", 80.00, False, True),  # cancelled
    ("C", "2025-02-01", 40.00, False, False),  # no business unit: left out
]


@pytest.fixture
def conn(tmp_path):
    conn = duckdb.connect(str(tmp_path / "cdp.duckdb"))
    conn.execute("create schema sales; create schema referential")
    conn.execute(
        "create table sales.fct_sales_lines (customer_id varchar, sold_date date, net_amount decimal(14, 2), "
        "is_return boolean, is_cancelled boolean)"
    )
    conn.executemany("insert into sales.fct_sales_lines values (?, ?, ?, ?, ?)", LINES)
    # the order grain the summaries read, as dbt's fct_orders sums it (here one order per line)
    conn.execute(
        "create table sales.fct_orders as select row_number() over () as order_id, customer_id, "
        "sold_date as ordered_date, (case when is_return then 0 else net_amount end)::decimal(38, 2) "
        "as gross_amount, is_return as is_return_only, is_cancelled from sales.fct_sales_lines"
    )
    conn.execute("create table referential.dim_customer (customer_id varchar, country_code varchar)")
    conn.executemany(
        "insert into referential.dim_customer values (?, ?)", [("A", "FR"), ("B", "FR"), ("C", None)]
    )
    yield conn
    conn.close()


def test_summaries_count_purchase_days_in_weeks_with_the_mean_repeat_value(conn):
    now, then = lifetime_value.customer_summaries(conn, REF)
    rows = {r["customer_id"]: r for r in now.iter_rows(named=True)}
    assert set(rows) == {"A", "B"}
    a = rows["A"]
    assert a["x"] == 2  # three purchase days: 2025-01-01, 2025-06-04, 2026-03-05
    assert a["t_x"] == pytest.approx((date(2026, 3, 5) - date(2025, 1, 1)).days / 7)
    assert a["T"] == pytest.approx((REF - date(2025, 1, 1)).days / 7)
    assert a["m"] == pytest.approx((30 + 50) / 2)
    assert (rows["B"]["x"], rows["B"]["t_x"], rows["B"]["m"]) == (0, 0, 0)
    # a year earlier only A had bought; what A did since is the backtest's truth
    assert then["customer_id"].to_list() == ["A"]
    [b] = then.iter_rows(named=True)
    assert (b["x"], b["m"], b["actual_purchases"], b["actual_value"]) == (1, 30.0, 1, 50.0)
    assert b["T"] == pytest.approx((date(2025, 11, 1) - date(2025, 1, 1)).days / 7)


def test_value_tiers_split_each_business_unit_by_rank():
    frame = pl.DataFrame(
        {
            "business_unit": ["FR"] * 200 + ["PL"] * 100,
            "expected_value_12m": np.concatenate([np.arange(200.0), np.arange(100.0) * 1000]),
        }
    )
    tiers = lifetime_value.value_tiers(frame).group_by("business_unit", "value_tier").len()
    counts = {(r["business_unit"], r["value_tier"]): r["len"] for r in tiers.iter_rows(named=True)}
    assert counts[("FR", "top 1%")] == 2 and counts[("PL", "top 1%")] == 1
    assert counts[("FR", "top 5%")] == 8 and counts[("FR", "bottom 50%")] == 100


def test_clv_refuses_a_warehouse_without_buyers(conn):
    conn.execute("delete from sales.fct_sales_lines")
    conn.execute("delete from sales.fct_orders")
    now, _ = lifetime_value.customer_summaries(conn, REF)
    with pytest.raises(ValueError, match="no customer bought before 2026-11-01"):
        lifetime_value.customer_clv(now, REF)


def test_purchase_days_read_from_the_orders_equal_those_summed_from_the_lines(refreshed):
    """The summaries read sales.fct_orders: each purchase day's value must be what the sold lines add
    up to (an order's lines are booked on its date)."""
    _, db = refreshed
    with duckdb.connect(str(db), read_only=True) as conn:
        from_lines = conn.execute(
            "select customer_id, sold_date, sum(net_amount) from sales.fct_sales_lines "
            "where not is_return and not is_cancelled and customer_id is not null and sold_date < ? "
            "group by all order by all",
            [REF],
        ).fetchall()
        from_orders = conn.execute(
            "select customer_id, ordered_date, sum(gross_amount) from sales.fct_orders "
            "where not is_return_only and not is_cancelled and customer_id is not null and ordered_date < ? "
            "group by all order by all",
            [REF],
        ).fetchall()
    assert len(from_lines) > 100
    assert from_orders == from_lines
