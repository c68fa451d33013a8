"""The weekly demand forecast: series built from sales lines, the model against seasonal naive on
series whose truth is known, no week after the backtest's origin seen, and the session run's table."""

from datetime import date, timedelta

import duckdb
import numpy as np
import polars as pl
import pytest

from platform_assets.forecasts import model, series
from platform_assets.forecasts.checks import rules
from platform_assets.lib.gates import violations


def synthetic(n_stores: int = 6, departments: int = 5, weeks: int = 150, seed: int = 1) -> series.Series:
    """Poisson weekly units around a store x department level with a yearly season (garden peaks in
    spring, as the demo's), a slow trend, and campaign weeks that lift the unit's sales by 30 %."""
    rng = np.random.default_rng(seed)
    keys = pl.DataFrame(
        [("FR", f"S{s}", f"D{d}") for s in range(n_stores) for d in range(departments)],
        schema=["business_unit", "store_id", "department_name"],
        orient="row",
    )
    level = rng.uniform(20, 120, keys.height)
    phase = rng.uniform(0, 2 * np.pi, departments)[np.arange(keys.height) % departments]
    t = np.arange(weeks + 8)
    campaigns = np.zeros((keys.height, weeks + 8))
    campaigns[:, rng.choice(weeks + 8, 12, replace=False)] = 1
    mean = (
        level[:, None]
        * (1 + 0.5 * np.sin(2 * np.pi * t / 52 + phase[:, None]))
        * (1 + 0.002 * t)
        * (1 + 0.3 * campaigns)
    )
    units = rng.poisson(mean[:, :weeks]).astype(float)
    start = date(2023, 10, 30)
    return series.Series(
        keys,
        [start + timedelta(days=7 * i) for i in range(weeks)],
        units,
        np.zeros(keys.height, int),
        campaigns,
    )


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_model_beats_seasonal_naive_and_its_interval_covers_about_its_level(seed):
    measured, _, rows = model.backtest(synthetic(seed=seed), weeks=8, interval=0.8)
    assert measured.points == 30 * 8
    assert measured.wape_reduction >= 0.10, measured  # the targets, on series with a known truth
    assert 0.70 <= measured.coverage <= 0.90, measured
    assert np.all(rows["low"] <= rows["forecast"]) and np.all(rows["forecast"] <= rows["high"])


def test_the_backtest_never_sees_the_weeks_it_is_judged_on():
    data = synthetic(n_stores=3, departments=3, weeks=90)
    changed = series.Series(data.keys, data.weeks, data.units.copy(), data.started, data.campaigns)
    changed.units[:, -8:] *= 5  # the weeks the backtest forecasts
    _, _, before = model.backtest(data, weeks=8, interval=0.8)
    _, _, after = model.backtest(changed, weeks=8, interval=0.8)
    for key in ("forecast", "low", "high", "naive"):
        np.testing.assert_array_equal(before[key], after[key])
    assert not np.array_equal(before["actual"], after["actual"])


def test_a_history_too_short_for_a_year_of_lags_and_a_backtest_is_refused_with_the_weeks_needed():
    with pytest.raises(model.TooShort, match="complete weeks of sales"):
        model.backtest(synthetic(weeks=70), weeks=8, interval=0.8)


def test_weekly_series_keep_complete_weeks_and_read_weeks_without_sales_as_zero():
    conn = duckdb.connect()
    conn.execute("create schema sales; create schema referential")
    conn.execute(
        "create table referential.dim_product as select * from (values ('P1', 'Garden'), ('P2', 'Tools')) t(product_id, department_name)"
    )
    lines = [
        # store, product, day, quantity, return, cancelled
        ("S1", "P1", "2026-10-05", 3, False, False),  # Monday of week 1
        ("S1", "P1", "2026-10-11", 2, False, False),  # Sunday of week 1
        ("S1", "P1", "2026-10-12", 1, True, False),  # a return: not a sale
        ("S1", "P1", "2026-10-20", 4, False, True),  # cancelled
        ("S1", "P1", "2026-10-26", 5, False, False),  # week 4, complete on 11-01 only
        ("S1", "P2", "2026-10-19", 7, False, False),
        ("S1", "P2", "2026-11-02", 9, False, False),  # the reference date: not read
        (None, "P2", "2026-10-13", 9, False, False),  # no store: not a store's demand
    ]
    conn.execute(
        "create table sales.fct_sales_lines as select col0 as store_id, col1 as product_id, "
        "col2::date as sold_date, col3 as quantity, col4 as is_return, col5 as is_cancelled, "
        "'FR' as country_code from (values "
        + ", ".join(
            f"({'NULL' if s is None else repr(s)}, '{p}', '{d}', {q}, {r}, {c})" for s, p, d, q, r, c in lines
        )
        + ")"
    )
    weekly = series.weekly(conn, date(2026, 11, 2), future_weeks=2, has_campaigns=False)
    assert weekly.weeks == [date(2026, 10, 5), date(2026, 10, 12), date(2026, 10, 19), date(2026, 10, 26)]
    assert weekly.keys.rows() == [("FR", "S1", "Garden"), ("FR", "S1", "Tools")]
    np.testing.assert_array_equal(weekly.units, [[5, 0, 0, 5], [0, 0, 7, 0]])  # 10-26 to 11-01: complete
    assert weekly.campaigns.shape == (2, 6)
    earlier = series.weekly(conn, date(2026, 11, 1), future_weeks=2, has_campaigns=False)
    assert earlier.last_week == date(2026, 10, 19)  # the week of 10-26 ends on the reference date


def test_the_session_run_forecasts_every_series_for_every_week_and_records_its_backtest(refreshed):
    _, db = refreshed
    with duckdb.connect(str(db), read_only=True) as conn:
        forecast = conn.sql("select * from forecasts.demand_weekly").pl()
        assert violations(conn, "forecasts.demand_weekly", rules(8)) == dict.fromkeys(rules(8), 0)
        metrics = dict(
            conn.execute(
                "select metric, value from ops.model_metrics where model = 'demand_forecast' and business_unit = 'ALL'"
            ).fetchall()
        )
        [(stores,)] = conn.execute("select count(distinct store_id) from sales.fct_sales_lines").fetchall()
    assert forecast.height > 0 and forecast["store_id"].n_unique() == stores
    assert sorted(forecast["horizon_weeks"].unique()) == list(range(1, 9))
    assert forecast["last_known_week"].unique().to_list() == [date(2026, 10, 19)]
    assert metrics["backtest_points"] > 0 and 0 <= metrics["backtest_interval_coverage"] <= 1
    assert metrics["backtest_wape"] > 0 and metrics["backtest_wape_seasonal_naive"] > 0


def _as_rows(data: series.Series) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The weekly rows (weeks with sales) and the campaign calendar ``series.build`` reads."""
    i, w = np.nonzero(data.units)
    keys = data.keys[i.tolist()]
    frame = keys.with_columns(
        week_start=pl.Series([data.weeks[k] for k in w], dtype=pl.Date), units=pl.Series(data.units[i, w])
    )
    start = data.weeks[0]
    weeks = np.flatnonzero(data.campaigns[0])
    calendar = pl.DataFrame(
        {
            "business_unit": ["FR"] * len(weeks),
            "week_start": [start + timedelta(days=7 * int(k)) for k in weeks],
            "campaigns": [1.0] * len(weeks),
        }
    )
    return frame, calendar


def test_the_forecast_does_not_depend_on_the_order_of_its_input_rows():
    """Spark hands the sales back in another physical order than DuckDB's: the same rows in any order
    make the same series, the same training rows (the model version is their digest) and forecasts."""
    frame, calendar = _as_rows(synthetic(n_stores=3, departments=3, weeks=90))
    runs = []
    for seed in (None, 1, 2):
        rows, cal = (
            (frame, calendar)
            if seed is None
            else (frame.sample(fraction=1.0, shuffle=True, seed=seed), calendar.reverse())
        )
        if seed is not None:
            assert not rows["units"].equals(frame["units"])  # really another order
        weekly = series.build(rows, cal, future_weeks=8)
        fitted = model.fit(weekly, len(weekly.weeks) - 1, 8, 0.8)
        runs.append((fitted.version, model.forecast(fitted, weekly, len(weekly.weeks) - 1, 8)))
    (version, first), *others = runs
    assert first["forecast"].size == 9 * 8 and first["forecast"].sum() > 0
    for other_version, other in others:
        assert other_version == version
        for key in ("series", "horizon", "forecast", "low", "high"):
            np.testing.assert_array_equal(first[key], other[key])


@pytest.mark.parametrize("kind", ["view", "table"])
def test_the_campaign_calendar_is_read_whether_it_is_a_view_or_a_table(kind):
    """On DuckDB the staging models are views, on Spark tables read back: the calendar is a feature on
    both (a check of tables only left DuckDB's forecast without it)."""
    conn = duckdb.connect()
    conn.execute("create schema staging")
    assert not series.has_campaign_calendar(conn)  # a retailer without campaigns: no calendar
    conn.execute(
        f"create {kind} {series.CAMPAIGNS} as select * from (values ('FR', date '2026-10-06'), "
        "('FR', date '2026-10-08'), ('FR', null)) t(country_code, sent_on)"
    )
    assert series.has_campaign_calendar(conn)
    conn.execute("create schema sales; create schema referential")
    conn.execute(
        "create table referential.dim_product as select 'P1' as product_id, 'Garden' as department_name"
    )
    conn.execute(
        "create table sales.fct_sales_lines as select 'S1' as store_id, 'P1' as product_id, "
        "date '2026-10-05' + range::int as sold_date, 1 as quantity, false as is_return, "
        "false as is_cancelled, 'FR' as country_code from range(14)"
    )
    weekly = series.weekly(conn, date(2026, 10, 19), 1, series.has_campaign_calendar(conn))
    np.testing.assert_array_equal(weekly.campaigns, [[2, 0, 0]])  # two sent in the first week
