"""Browsing covariates of the life moments on a hand-made warehouse: counted as of the cutoff, from
stitched non-bot events only, blind to anything on or after the cutoff; and the plan that decides
whether a run uses them (no web source: purchases only, as before)."""

from datetime import date, datetime, timedelta

import duckdb
import polars as pl
import pytest

from platform_assets.lib import web_events
from platform_assets.lib.retailer import DEMO_RETAILER, load_retailer
from platform_assets.scores.life_moments import scoring, signals, survival

DEMO_MOMENTS = signals.moments(load_retailer(DEMO_RETAILER).life_moments)

CUTOFF = date(2026, 6, 1)
WEB_START = date(2025, 10, 1)
UNITS = ("FR", "GB")


def _warehouse() -> duckdb.DuckDBPyConnection:
    """Customer A browses the garden more and more before the cutoff; B browses the kitchen now and
    then; a cookie shared by A and B (ambiguous) and a bot cookie of A's browse too."""
    conn = duckdb.connect()
    conn.execute("create schema staging; create schema referential")
    conn.execute(
        "create table referential.dim_product as select * from (values "
        "('P1', 'D01C01', 'Garden tools', 'D01', 'Garden & outdoor'), "
        "('P2', 'D01C05', 'Garden furniture', 'D01', 'Garden & outdoor'), "
        "('P3', 'D04C01', 'Kitchen units', 'D04', 'Kitchen'), "
        "('P4', 'D07C02', 'Hand tools', 'D07', 'Tools & hardware')) "
        "as t(product_id, category_id, category_name, department_id, department_name)"
    )
    conn.execute(
        "create table referential.cookie_xref as select *, timestamp '2025-01-01' as first_login_at, "
        "timestamp '2025-01-01' as first_seen_at from (values "
        "('ckA', 'A'), ('ckB', 'B'), ('ckShared', 'A'), ('ckShared', 'B'), ('ckBot', 'A'), ('ckAnon', null)) "
        "as t(cookie_id, customer_id)"
    )
    conn.execute(
        "create table staging.stg_web__events (event_id varchar, event_at timestamp, cookie_id varchar, "
        "session_id varchar, event_type varchar, category_id varchar, department_id varchar, "
        "utm_medium varchar, is_bot boolean)"
    )
    rows = []

    def visit(cookie: str, at: datetime, category: str | None, kind: str = "product_view", bot: bool = False):
        session = f"{cookie}-{at:%Y%m%d%H}"
        rows.append((f"e{len(rows)}", at, cookie, session, "session_start", None, None, None, bot))
        dept = category[:3] if category else None
        rows.append(
            (f"e{len(rows)}", at + timedelta(minutes=1), cookie, session, kind, category, dept, None, bot)
        )

    noon = datetime(2026, 6, 1, 12)
    # A: a kitchen visit a month from September to February, then weekly garden visits for five weeks.
    for months in range(1, 8):
        visit("ckA", noon - timedelta(days=30 * months + 65), "D04C01")
    for week in range(1, 6):
        visit("ckA", noon - timedelta(days=7 * week), "D01C05")
    visit("ckA", noon - timedelta(days=3), "D01C01", kind="cart_add")
    # B: the kitchen every other month.
    for months in (1, 3, 5, 7):
        visit("ckB", noon - timedelta(days=60 * months), "D04C01")
    # Neither the ambiguous cookie nor the bot counts for anyone.
    for day in range(1, 20):
        visit("ckShared", noon - timedelta(days=day), "D01C05")
        visit("ckBot", noon - timedelta(days=day), "D01C05", bot=True)
    visit("ckAnon", noon - timedelta(days=2), "D01C05")
    conn.executemany("insert into staging.stg_web__events values (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    return conn


@pytest.fixture
def conn():
    return _warehouse()


def test_browsing_counts_the_stitched_human_sessions_and_the_moments_views_before_the_cutoff(conn):
    web = signals.browsing(conn, [CUTOFF], WEB_START, DEMO_MOMENTS)[CUTOFF].sort("customer_id")
    assert web["customer_id"].to_list() == ["A", "B"]
    a, b = web.row(0, named=True), web.row(1, named=True)
    # A: five weekly garden visits and the cart add 3 days ago (the cutoff day's noon visit is not seen)
    assert a["web_sessions_30d"] == 5 and a["web_sessions_90d"] == 6
    assert a["new_garden_web_views_90d"] == 6 and a["new_garden_web_cart_adds_90d"] == 1
    assert a["new_garden_web_views_30d"] == 5
    assert a["renovation_web_views_90d"] == 0  # the kitchen visits are older than 90 days
    assert a["web_known_days_before"] == (CUTOFF - WEB_START).days - 90
    assert b["new_garden_web_views_90d"] == 0 and b["web_sessions_90d"] == 1


def test_the_design_gives_every_customer_the_browsing_covariates_and_a_pace_against_their_own(conn):
    cov = pl.DataFrame(
        {
            "customer_id": ["A", "B", "C"],
            "business_unit": ["FR", "GB", "FR"],
            "visits_90d": [2, 1, 0],
            "visits_prior_90d": [1, 1, 1],
            "visits_12m": [5, 4, 2],
            "recency_days": [10, 40, 200],
            "new_garden_signal_lines_30d": [1, 0, 0],
            "new_garden_signal_lines_90d": [1, 0, 0],
            "new_garden_department_share_12m": [0.5, 0.0, 0.0],
            "age_years": [40, None, 60],
            "tenure_days": [800, 500, 300],
        }
    )
    rows = survival.design(
        cov, "new_garden", UNITS, signals.browsing(conn, [CUTOFF], WEB_START, DEMO_MOMENTS)[CUTOFF]
    )
    assert rows.columns[:2] == ["customer_id", "business_unit"]
    assert set(survival.covariate_names("new_garden", UNITS, browsing=True)) <= set(rows.columns)
    assert rows.null_count().sum_horizontal().item() == 0
    by = {r["customer_id"]: r for r in rows.iter_rows(named=True)}
    assert by["C"]["has_web"] == 0 and by["C"]["log_web_sessions_90d"] == 0  # never seen on the web
    # A browses faster than their usual pace (6 sessions in 90 days against 7 in the 153 before), B not
    assert by["A"]["web_session_pace"] > 0.3 > 0.05 > by["B"]["web_session_pace"]
    assert by["A"]["new_garden_web_share_90d"] == 1.0
    purchases_only = survival.design(cov, "new_garden", UNITS)
    assert "has_web" not in purchases_only.columns
    assert purchases_only.columns == rows.columns[: len(purchases_only.columns)]


def test_events_on_or_after_the_cutoff_change_nothing(conn):
    before = signals.browsing(conn, [CUTOFF], WEB_START, DEMO_MOMENTS)[CUTOFF].sort("customer_id")
    # from the cutoff on: A's visits moved to the kitchen, B browses the garden every hour, C appears
    conn.execute(
        "update staging.stg_web__events set category_id = 'D04C01', department_id = 'D04' where event_at >= ?",
        [CUTOFF],
    )
    extra = [
        (f"x{h}", datetime(2026, 6, 1) + timedelta(hours=h), "ckB", f"sB{h}", "product_view", "D01C05", "D01")
        for h in range(0, 24 * 10, 3)
    ]
    extra.append(("xC", datetime(2026, 6, 1), "ckC", "sC", "cart_add", "D01C01", "D01"))
    conn.executemany(
        "insert into staging.stg_web__events values (?, ?, ?, ?, ?, ?, ?, null, false)",
        extra,
    )
    conn.execute("insert into referential.cookie_xref values ('ckC', 'C', timestamp '2025-01-01', null)")
    # a cookie first logged in on the cutoff day: its earlier browsing is not the customer's yet
    conn.execute(
        "insert into referential.cookie_xref values ('ckLate', 'D', timestamp '2026-06-01 08:00', null)"
    )
    conn.execute(
        "insert into staging.stg_web__events values "
        "('late', timestamp '2026-05-20 10:00', 'ckLate', 'sLate', 'product_view', 'D01C05', 'D01', null, false)"
    )
    assert (
        signals.browsing(conn, [CUTOFF], WEB_START, DEMO_MOMENTS)[CUTOFF].sort("customer_id").equals(before)
    )


def test_the_web_history_starts_when_the_first_stitched_cookie_was_seen_and_is_none_without_a_web_source(
    conn,
):
    conn.execute(
        "update referential.cookie_xref set first_seen_at = timestamp '2025-10-03 09:00' where cookie_id = 'ckA'"
    )
    conn.execute(
        "update referential.cookie_xref set first_seen_at = timestamp '2025-11-20 09:00' where cookie_id <> 'ckA'"
    )
    assert web_events.history_start(conn, date(2026, 11, 1)) == date(2025, 10, 3)
    assert web_events.history_start(conn, date(2025, 10, 3)) is None  # nothing seen before that day
    conn.execute(
        "update referential.cookie_xref set first_login_at = timestamp '2026-01-01' where cookie_id = 'ckA'"
    )
    assert web_events.history_start(conn, date(2025, 12, 1)) == date(2025, 11, 20)  # ckA not stitched yet
    conn.execute("delete from referential.cookie_xref")
    assert web_events.history_start(conn, date(2026, 11, 1)) is None  # delivered but nothing stitched
    assert web_events.history_start(duckdb.connect(), date(2026, 11, 1)) is None  # no such relations


def test_one_pass_over_several_cutoffs_gives_each_cutoff_what_it_alone_gives(conn):
    cutoffs = [date(2026, 3, 1), CUTOFF, date(2026, 5, 20)]
    together = signals.browsing(conn, cutoffs, WEB_START, DEMO_MOMENTS)
    for cutoff in cutoffs:
        assert (
            together[cutoff]
            .sort("customer_id")
            .equals(signals.browsing(conn, [cutoff], WEB_START, DEMO_MOMENTS)[cutoff].sort("customer_id"))
        )
    assert together[date(2026, 3, 1)]["new_garden_web_views_90d"].sum() == 0  # the garden came later


def test_the_plan_browses_when_the_backtest_has_web_history_and_keeps_todays_models_otherwise():
    ref = date(2026, 11, 1)
    assert scoring.plan(ref, None) == scoring.Plan(scoring.FOLLOW_DAYS, None)
    # the demo's 13 months of web export: the follow-up shrinks to 120 days, c2 = R - 300 has 96 days
    demo = scoring.plan(ref, date(2025, 10, 1))
    assert demo.follow_days == 120 and demo.web_start == date(2025, 10, 1)
    assert ref - timedelta(days=2 * (demo.follow_days + signals.BURST_DAYS)) - date(2025, 10, 1) >= timedelta(
        days=scoring.WEB_HISTORY_DAYS
    )
    # two years of web: the usual follow-up
    assert scoring.plan(ref, date(2024, 11, 1)).follow_days == scoring.FOLLOW_DAYS
    # six months: too short, purchases only, and the run says so
    short = scoring.plan(ref, date(2026, 5, 1))
    assert short.web_start is None and short.follow_days == scoring.FOLLOW_DAYS and "too short" in short.note
