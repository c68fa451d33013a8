"""Churn's browsing drivers on a hand-made warehouse: counted as of the cutoff from stitched non-bot
events only, blind to anything on or after it; the design without a web source is today's."""

from datetime import date, datetime, timedelta

import duckdb
import numpy as np
import polars as pl
import pytest

from platform_assets.scores.churn import data, model
from tests.scores.churn.test_churn_model import _raw

CUTOFF = date(2026, 6, 1)
WEB_START = date(2025, 10, 1)
NOON = datetime(2026, 6, 1, 12)


@pytest.fixture
def conn():
    """A: a session a fortnight all year, then nothing for the last 50 days (sliding away); B: two
    sessions from e-mail clicks last month; a bot and a cookie shared by A and B browse daily."""
    conn = duckdb.connect()
    conn.execute("create schema staging; create schema referential")
    conn.execute(
        "create table referential.dim_product as select 'P1' as product_id, 'D01C01' as category_id, "
        "'Garden tools' as category_name, 'D01' as department_id, 'Garden & outdoor' as department_name"
    )
    conn.execute(
        "create table referential.cookie_xref as select *, timestamp '2025-01-01' as first_login_at, "
        "timestamp '2025-01-01' as first_seen_at from (values "
        "('ckA', 'A'), ('ckB', 'B'), ('ckShared', 'A'), ('ckShared', 'B'), ('ckBot', 'B')) "
        "as t(cookie_id, customer_id)"
    )
    conn.execute(
        "create table staging.stg_web__events (event_id varchar, event_at timestamp, cookie_id varchar, "
        "session_id varchar, event_type varchar, category_id varchar, department_id varchar, "
        "utm_medium varchar, is_bot boolean)"
    )
    rows = []

    def session(cookie: str, days_ago: int, medium: str | None = None, bot: bool = False):
        at = NOON - timedelta(days=days_ago)
        sid = f"{cookie}-{days_ago}"
        rows.append((f"e{len(rows)}", at, cookie, sid, "session_start", None, None, medium, bot))
        rows.append((f"e{len(rows)}", at, cookie, sid, "product_view", "D01C01", "D01", medium, bot))

    for days_ago in range(50, 240, 14):
        session("ckA", days_ago)
    session("ckB", 10, "email")
    session("ckB", 20, "email")
    session("ckB", 200, "email")
    for days_ago in range(1, 30):
        session("ckShared", days_ago)
        session("ckBot", days_ago, bot=True)
    conn.executemany("insert into staging.stg_web__events values (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    return conn


def test_browsing_counts_sessions_the_last_one_and_email_clicks_before_the_cutoff(conn):
    web = data.browsing_as_of(conn, [CUTOFF], WEB_START)[CUTOFF].sort("customer_id")
    assert web["customer_id"].to_list() == ["A", "B"]
    a, b = web.row(0, named=True), web.row(1, named=True)
    # A: sessions 50, 64, 78 days ago in the last 90; 92 .. 232 before them
    assert (a["web_sessions_30d"], a["web_sessions_90d"], a["web_sessions_before"]) == (0, 3, 11)
    assert a["days_since_last_session"] == 50 and a["email_click_sessions_90d"] == 0
    assert (b["web_sessions_30d"], b["email_click_sessions_90d"], b["email_click_sessions_before"]) == (
        2,
        2,
        1,
    )
    assert b["days_since_last_session"] == 10
    assert a["web_known_days_before"] == (CUTOFF - WEB_START).days - 90


def test_events_on_or_after_the_cutoff_change_nothing(conn):
    before = data.browsing_as_of(conn, [CUTOFF], WEB_START)[CUTOFF].sort("customer_id")
    later = [
        (f"x{h}", datetime(2026, 6, 1) + timedelta(hours=h), c, f"s{c}{h}", "session_start", "email")
        for h in range(0, 24 * 20, 5)
        for c in ("ckA", "ckB", "ckC")
    ]
    conn.executemany(
        "insert into staging.stg_web__events values (?, ?, ?, ?, ?, null, null, ?, false)", later
    )
    conn.execute("insert into referential.cookie_xref values ('ckC', 'C', timestamp '2025-01-01', null)")
    # B logs in on a new device on the cutoff day: that cookie's earlier sessions are not theirs yet
    conn.execute("insert into referential.cookie_xref values ('ckB2', 'B', timestamp '2026-06-01', null)")
    conn.execute(
        "insert into staging.stg_web__events values "
        "('b2', timestamp '2026-05-30 10:00', 'ckB2', 'sB2', 'session_start', null, null, 'email', false)"
    )
    conn.execute(
        "update staging.stg_web__events set utm_medium = null where event_at >= ? and cookie_id = 'ckB'",
        [CUTOFF],
    )
    assert data.browsing_as_of(conn, [CUTOFF], WEB_START)[CUTOFF].sort("customer_id").equals(before)


def test_the_design_adds_the_browsing_drivers_only_with_a_web_source(conn):
    frame, behaviour, churned = _raw(300, seed=5)
    # A and B (in that order: the query's row order is not) become the first two customers
    web = (
        data.browsing_as_of(conn, [CUTOFF], WEB_START)[CUTOFF]
        .sort("customer_id")
        .with_columns(customer_id=pl.Series(["C000000", "C000001"]))
    )
    without = model.design(frame, behaviour, 210)
    assert without.columns == ["customer_id", "business_unit", *model.FEATURES]
    with_web = model.design(frame, behaviour, 210, web)
    assert with_web.columns == ["customer_id", "business_unit", *model.FEATURES, *model.BROWSING_FEATURES]
    assert with_web.select(model.FEATURES).equals(without.select(model.FEATURES))
    assert with_web.null_count().sum_horizontal().item() == 0
    a, b, never = (with_web.row(i, named=True) for i in range(3))
    assert (a["seen_on_web"], never["seen_on_web"]) == (1.0, 0.0)
    assert a["web_session_pace"] < 0 < b["web_session_pace"]  # A browses below their pace, B above
    assert never["log_days_since_session"] == pytest.approx(np.log1p(365))
    # the model trains on the browsing drivers it is given, and words them
    fitted = model.fit(with_web, churned, "ALL", 210, CUTOFF)
    assert fitted.features == [*model.FEATURES, *model.BROWSING_FEATURES]
    assert fitted.version != model.fit(without, churned, "ALL", 210, CUTOFF).version
    assert len(model.top_drivers(fitted, with_web)) == with_web.height
