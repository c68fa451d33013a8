"""The CLV inputs on a tiny real DuckDB warehouse: purchase days, weeks, repeat value, backtest split."""

from datetime import date, timedelta

import duckdb
import numpy as np
import polars as pl
import pytest

from platform_assets.features import clv, lifetime_value
from platform_assets.lib.retailer import ClvSettings

REF = date(2026, 11, 1)
# the demo's settings: weeks, a 365-day horizon, the calibration end left to its default
DEMO_PERIODS = lifetime_value.clv_periods(ClvSettings(time_unit="week", horizon=365 / 7), REF)

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
    summaries = lifetime_value.customer_summaries(conn, DEMO_PERIODS)
    now, then = summaries.now, summaries.history
    rows = {r["customer_id"]: r for r in now.iter_rows(named=True)}
    assert set(rows) == {"A", "B"}
    a = rows["A"]
    assert a["x"] == 2  # three purchase days: 2025-01-01, 2025-06-04, 2026-03-05
    assert a["t_x"] == pytest.approx((date(2026, 3, 5) - date(2025, 1, 1)).days / 7)
    # T counts to the last day known (the calibration end), not to the reference date
    assert a["T"] == pytest.approx((date(2026, 10, 31) - date(2025, 1, 1)).days / 7)
    assert a["m"] == pytest.approx((30 + 50) / 2)
    assert (rows["B"]["x"], rows["B"]["t_x"], rows["B"]["m"]) == (0, 0, 0)
    # by default the models are fitted on everything known: the fit frame is the prediction frame
    assert summaries.fit.equals(now)
    # a year earlier only A had bought; what A did since is the backtest's truth
    assert then["customer_id"].to_list() == ["A"]
    [b] = then.iter_rows(named=True)
    assert (b["x"], b["m"], b["actual_purchases"], b["actual_value"]) == (1, 30.0, 1, 50.0)
    assert b["T"] == pytest.approx((date(2025, 10, 31) - date(2025, 1, 1)).days / 7)


def test_the_calibration_end_defaults_to_the_day_before_the_reference_date():
    periods = DEMO_PERIODS
    assert (periods.last_day, periods.calibration_end) == (date(2026, 10, 31), date(2026, 10, 31))
    # the backtest fits one horizon (365 days) earlier and predicts the 365 days that followed
    assert periods.backtest_end == date(2025, 10, 31)
    assert periods.holdout_units == pytest.approx(365 / 7)


def test_a_configured_calibration_end_is_the_backtest_of_the_period_after_it():
    settings = ClvSettings(time_unit="week", horizon=52, calibration_end=date(1997, 9, 30))
    periods = lifetime_value.clv_periods(settings, date(1998, 7, 1))
    assert (periods.calibration_end, periods.backtest_end) == (date(1997, 9, 30), date(1997, 9, 30))
    assert periods.last_day == date(1998, 6, 30)
    assert periods.holdout_units == 39  # CDNOW's holdout: weeks 40-78
    assert periods.horizon == 52


def test_a_calibration_end_on_or_after_the_reference_date_is_refused():
    settings = ClvSettings(calibration_end=date(2026, 11, 1))
    with pytest.raises(ValueError, match="not before the reference date 2026-11-01"):
        lifetime_value.clv_periods(settings, REF)


def test_t_counts_to_the_calibration_end_and_later_buyers_are_predicted_not_fitted(conn):
    conn.execute("insert into sales.fct_orders values (90, 'B', '2025-06-04', 12.00, false, false)")
    settings = ClvSettings(time_unit="day", horizon=30, calibration_end=date(2025, 6, 4))
    periods = lifetime_value.clv_periods(settings, REF)
    summaries = lifetime_value.customer_summaries(conn, periods)
    fit = {r["customer_id"]: r for r in summaries.fit.iter_rows(named=True)}
    # A: purchases of 2025-01-01 and 2025-06-04 (the calibration end, included), T in days to it
    assert (fit["A"]["x"], fit["A"]["t_x"], fit["A"]["T"]) == (1, 154, 154)
    # B first bought on the calibration end: T = 0, a valid customer who adds nothing to the fit
    assert (fit["B"]["x"], fit["B"]["t_x"], fit["B"]["T"]) == (0, 0, 0)
    # the configured calibration end is also the backtest's: the same buyers, and what A did since
    assert summaries.history["customer_id"].to_list() == summaries.fit["customer_id"].to_list()
    [a_then] = summaries.history.filter(pl.col("customer_id") == "A").iter_rows(named=True)
    assert (a_then["actual_purchases"], a_then["actual_value"]) == (1, 50.0)
    now = {r["customer_id"]: r for r in summaries.now.iter_rows(named=True)}
    assert now["A"]["T"] == (date(2026, 10, 31) - date(2025, 1, 1)).days
    assert clv.bgnbd_log_likelihood(np.array([0.5, 3.0, 1.0, 2.0]), *(np.zeros(1),) * 3) == 0


def test_months_are_a_twelfth_of_a_julian_year(conn):
    periods = lifetime_value.clv_periods(ClvSettings(time_unit="month", horizon=12), REF)
    now = lifetime_value.customer_summaries(conn, periods).now
    [a] = now.filter(pl.col("customer_id") == "A").iter_rows(named=True)
    assert a["T"] == pytest.approx((date(2026, 10, 31) - date(2025, 1, 1)).days / (365.25 / 12))
    assert periods.backtest_end == date(2026, 10, 31) - timedelta(days=365)


def test_a_business_unit_without_buyers_in_the_calibration_period_is_refused(conn):
    settings = ClvSettings(calibration_end=date(2024, 12, 31))
    periods = lifetime_value.clv_periods(settings, REF)
    with pytest.raises(ValueError, match="no customer bought by the calibration end 2024-12-31"):
        lifetime_value.customer_clv(lifetime_value.customer_summaries(conn, periods), periods)


def test_value_tiers_split_each_business_unit_by_rank():
    frame = pl.DataFrame(
        {
            "business_unit": ["FR"] * 200 + ["PL"] * 100,
            "expected_value": np.concatenate([np.arange(200.0), np.arange(100.0) * 1000]),
        }
    )
    tiers = lifetime_value.value_tiers(frame).group_by("business_unit", "value_tier").len()
    counts = {(r["business_unit"], r["value_tier"]): r["len"] for r in tiers.iter_rows(named=True)}
    assert counts[("FR", "top 1%")] == 2 and counts[("PL", "top 1%")] == 1
    assert counts[("FR", "top 5%")] == 8 and counts[("FR", "bottom 50%")] == 100


def test_clv_refuses_a_warehouse_without_buyers(conn):
    conn.execute("delete from sales.fct_sales_lines")
    conn.execute("delete from sales.fct_orders")
    summaries = lifetime_value.customer_summaries(conn, DEMO_PERIODS)
    with pytest.raises(ValueError, match="no customer bought before 2026-11-01"):
        lifetime_value.customer_clv(summaries, DEMO_PERIODS)


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


def test_a_business_unit_predicts_over_its_own_horizon_and_records_it(conn):
    conn.execute("update referential.dim_customer set country_code = 'GB' where customer_id = 'B'")
    conn.executemany(  # enough repeat buyers in each unit to fit spend
        "insert into sales.fct_orders values (?, ?, ?, ?, false, false)",
        [
            (
                100 + 3 * i + k,
                f"{bu}{i}",
                date(2025, 1, 1) + timedelta(days=37 * k + 11 * i),
                20.0 + i,
            )
            for bu in ("FR", "GB")
            for i in range(15)
            for k in range(3)
        ],
    )
    conn.executemany(
        "insert into referential.dim_customer values (?, ?)",
        [(f"{bu}{i}", bu) for bu in ("FR", "GB") for i in range(15)],
    )
    group = ClvSettings(time_unit="week", horizon=52)
    own = ClvSettings(time_unit="week", horizon=52, by_business_unit={"GB": {"horizon": 13}})
    summaries = lifetime_value.customer_summaries(conn, lifetime_value.clv_periods(group, REF))
    year, _ = lifetime_value.customer_clv(summaries, lifetime_value.clv_periods(group, REF))
    mixed, _ = lifetime_value.customer_clv(summaries, lifetime_value.clv_periods(own, REF))
    joined = year.join(mixed, on="customer_id", suffix="_own")
    fr, gb = (joined.filter(pl.col("business_unit") == bu) for bu in ("FR", "GB"))
    assert set(fr["horizon_days_own"]) == {364} and set(gb["horizon_days_own"]) == {91}
    assert (fr["expected_value_own"] == fr["expected_value"]).all()
    assert (gb["expected_purchases_own"] < gb["expected_purchases"]).all()  # a quarter, not a year
    assert (gb["p_alive_own"] == gb["p_alive"]).all()  # the same fitted model
