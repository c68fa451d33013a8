"""Browsing indicators on a hand-made case: only events before the reference date count, a search
counts for the department it leads to, cart abandonment and the channel of arrival per visit."""

from datetime import date

import duckdb
import pytest

from platform_assets.features import browsing, dialects

REF = date(2026, 11, 1)
EVENT_COLUMNS = (
    "event_id varchar, customer_id varchar, session_id varchar, event_at timestamp, event_type varchar, "
    "page_type varchar, department_id varchar, utm_medium varchar"
)


@pytest.fixture
def conn():
    with duckdb.connect() as c:
        c.execute("create schema marketing")
        c.execute("create schema sales")
        c.execute(f"create table marketing.fct_web_events ({EVENT_COLUMNS})")
        c.execute(
            "create table sales.fct_orders (customer_id varchar, channel varchar, is_cancelled boolean, "
            "ordered_at timestamp)"
        )
        yield c


def events(conn, rows):
    conn.executemany(
        "insert into marketing.fct_web_events values (?, ?, ?, ?::timestamp, ?, ?, ?, ?)",
        [(f"E{n}", *row) for n, row in enumerate(rows)],
    )


def test_department_browsing_counts_windows_searches_and_the_last_view(conn):
    events(
        conn,
        [
            # C1, visit s1 five days before: a search, then a product view in D01, then a cart add in D01
            ("C1", "s1", "2026-10-27 10:00", "search", "search", None, None),
            ("C1", "s1", "2026-10-27 10:01", "product_view", "product", "D01", None),
            ("C1", "s1", "2026-10-27 10:02", "cart_add", "cart", "D01", None),
            # C1, 60 days before: a category page of D02 (90-day window, not 30)
            ("C1", "s2", "2026-09-02 09:00", "page_view", "category", "D02", None),
            # C1, on the reference date: not known yet
            ("C1", "s3", "2026-11-01 00:00", "product_view", "product", "D01", None),
            # C2: a search that leads nowhere, and an event without a customer
            ("C2", "s4", "2026-10-30 08:00", "search", "search", None, None),
            (None, "s5", "2026-10-30 08:00", "product_view", "product", "D01", None),
        ],
    )
    rows = browsing.department_browsing(conn, REF).fetchall()
    assert sorted(rows) == [
        # customer, department, ref, views 30d, views 90d, category pages 90d, cart adds, searches, visits, days
        ("C1", "D01", REF, 1, 1, 0, 1, 1, 1, 5),
        ("C1", "D02", REF, 0, 0, 1, 0, 0, 1, 60),
    ]
    earlier = browsing.department_browsing(conn, date(2026, 10, 1)).fetchall()
    assert earlier == [("C1", "D02", date(2026, 10, 1), 0, 0, 1, 0, 0, 1, 29)]


def _profile_part(conn, ref: date) -> dict:
    """The profile's browsing CTEs and columns, as the profile query runs them (customers C1, C2)."""
    ctes = browsing.PROFILE_CTES.replace("$web_events_sql", browsing.WEB_EVENTS_SQL)
    sql = (
        f"with {ctes} c as (select * from (values ('C1'), ('C2')) as t(customer_id)) "
        f"select c.customer_id{browsing.PROFILE_COLUMNS} from c "
        "left join web as w on c.customer_id = w.customer_id "
        "left join web_views as wv on c.customer_id = wv.customer_id order by 1"
    )
    sql = sql.replace("$ref_ts", f"timestamp '{ref.isoformat()}'").replace(
        "$ref", f"date '{ref.isoformat()}'"
    )
    frame = conn.sql(dialects.render(sql, "duckdb")).pl()
    return {row["customer_id"]: row for row in frame.iter_rows(named=True)}


def test_cart_abandonment_and_arrival_channel(conn):
    events(
        conn,
        [
            # three visits of C1: two from e-mail links, one direct; carts in two of them
            ("C1", "v1", "2026-10-10 10:00", "session_start", None, None, "email"),
            ("C1", "v1", "2026-10-10 10:05", "cart_add", "cart", "D01", None),
            ("C1", "v2", "2026-10-20 10:00", "session_start", None, None, "email"),
            ("C1", "v2", "2026-10-20 10:05", "cart_add", "cart", "D03", None),
            ("C1", "v3", "2026-10-25 18:00", "session_start", None, None, None),
            ("C1", "v3", "2026-10-25 18:01", "search", "search", None, None),
            ("C1", "v3", "2026-10-25 18:02", "product_view", "product", "D03", None),
        ],
    )
    # an order 2 hours after the first cart (not abandoned), none after the second (abandoned)
    conn.execute("insert into sales.fct_orders values ('C1', 'web', false, timestamp '2026-10-10 12:00')")
    rows = _profile_part(conn, REF)
    c1 = rows["C1"]
    assert (c1["web_sessions_30d"], c1["web_sessions_90d"], c1["days_since_last_web_visit"]) == (3, 3, 7)
    assert (c1["cart_visits_90d"], c1["cart_abandonment_rate_90d"]) == (2, 0.5)
    assert (c1["main_arrival_channel_90d"], c1["top_search_department_90d"]) == ("email", "D03")
    assert (c1["web_product_views_90d"], c1["web_searches_90d"]) == (1, 1)
    c2 = rows["C2"]
    assert (c2["web_sessions_90d"], c2["cart_abandonment_rate_90d"], c2["main_arrival_channel_90d"]) == (
        0,
        None,
        None,
    )
    # as of the day after the first visit: one visit, its cart not yet followed by an order known then
    before = _profile_part(conn, date(2026, 10, 10))
    assert before["C1"]["web_sessions_90d"] == 0
    c1 = _profile_part(conn, date(2026, 10, 11))["C1"]
    assert (c1["web_sessions_90d"], c1["cart_abandonment_rate_90d"]) == (1, 0.0)
