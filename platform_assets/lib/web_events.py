"""Stitched web events as of a date: what a score may read of a customer's browsing.

A customer's web events are the non-bot events (``staging.stg_web__events``, ``is_bot``) of the cookies
``referential.cookie_xref`` attributes to them unambiguously (one customer per cookie). Every read is cut
at its date: events strictly before the cutoff (``event_at < cutoff``, as the appetence model reads
them), of cookies whose first login came before it too, so a covariate computed as of a date never
sees that day or anything after it. ``events_as_of_sql`` reads them for several cutoffs in one pass.

Without a web source (no such relations, or no stitched event: a retailer that does not deliver the
web analytics export, CDNOW) ``history_start`` is None and the scores work on purchases alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import duckdb

from platform_assets.lib.tables import relation_exists

WEB_EVENTS = "staging.stg_web__events"
COOKIE_XREF = "referential.cookie_xref"

# The department an event is about: a search counts for the one it leads to, the first department
# (category page, product view or cart event) that follows it in the same visit; none if none follows.
_DEPARTMENT_SQL = """case when event_type = 'search' then $first_department over (
    partition by session_id order by event_at, event_id rows between 1 following and unbounded following
) else department_id end"""
# the first non-null department of the window: DuckDB takes IGNORE NULLS inside the call, Spark after it
_FIRST_DEPARTMENT = {
    "duckdb": "first_value(department_id ignore nulls)",
    "spark": "first_value(department_id) ignore nulls",
}


def department_sql(dialect: str = "duckdb") -> str:
    """``DEPARTMENT_SQL`` in ``dialect`` ("duckdb" or "spark": Spark SQL)."""
    return _DEPARTMENT_SQL.replace("$first_department", _FIRST_DEPARTMENT[dialect])


DEPARTMENT_SQL = department_sql()

# Cookies attributed to exactly one customer, with their first login (which stitched them).
COOKIES_SQL = """
select cookie_id, any_value(customer_id) as customer_id, min(first_login_at) as first_login_at
from referential.cookie_xref
where customer_id is not null
group by cookie_id
having count(distinct customer_id) = 1
"""


def history_start(conn: duckdb.DuckDBPyConnection, before: date) -> date | None:
    """The first day a cookie stitched before ``before`` was seen (``cookie_xref.first_seen_at``), or
    None without any (no web source, nothing stitched): the start of the browsing history a model can
    learn from. Read from the cookies, not the events: the events' view flags bots over every event
    of a cookie, and each scan of it costs a pass over the whole export."""
    if not (relation_exists(conn, WEB_EVENTS) and relation_exists(conn, COOKIE_XREF)):
        return None
    [(first,)] = conn.execute(
        "select min(first_seen_at)::date from referential.cookie_xref "
        "where customer_id is not null and first_login_at < ? and first_seen_at < ?",
        [before, before],
    ).fetchall()
    return first


def events_as_of_sql(cutoffs: Iterable[date], days: int) -> str:
    """A query of what each cutoff may see of the stitched, non-bot events, in one pass over them:
    one row per cutoff x event of the ``days`` days strictly before it, of a cookie first logged in
    before it (a login after the cutoff, e.g. to order during a life moment, would hand the cookie's
    earlier anonymous browsing to the customer with hindsight). Columns: cutoff (date), ts (its
    timestamp), customer_id, event_at, event_type, session_id, utm_medium, department_id,
    category_id, and the catalogue's department_name and category_name."""
    dates = sorted(set(cutoffs))
    values = ", ".join(f"(date '{c.isoformat()}')" for c in dates)
    low, high = f"timestamp '{dates[0].isoformat()}'", f"timestamp '{dates[-1].isoformat()}'"
    return f"""
    select c.cutoff, c.cutoff::timestamp as ts, k.customer_id, e.event_at, e.event_type, e.session_id,
        e.utm_medium, e.department_id, e.category_id, p.department_name, p.category_name
    from {WEB_EVENTS} as e
    join ({COOKIES_SQL}) as k using (cookie_id)
    join (values {values}) as c(cutoff)
        on e.event_at < c.cutoff::timestamp and e.event_at >= c.cutoff::timestamp - interval {int(days)} day
        and k.first_login_at < c.cutoff::timestamp
    left join (
        select category_id, min(department_name) as department_name, min(category_name) as category_name
        from referential.dim_product
        where category_id is not null
        group by category_id
    ) as p using (category_id)
    where not coalesce(e.is_bot, false) and e.event_at < {high} and e.event_at >= {low} - interval {int(days)} day
    """


def session_pace_sql(history_start: date, days: int) -> str:
    """Columns over ``events_as_of_sql(cutoffs, days)`` grouped by cutoff and customer: sessions in the
    last 30 and 90 days and in the rest of the window (``web_sessions_before``), with the days of web
    history that rest covers (the web source starts on ``history_start``): the customer's usual pace."""
    return f"""
        count(distinct session_id) filter (where event_at >= ts - interval 30 day) as web_sessions_30d,
        count(distinct session_id) filter (where event_at >= ts - interval 90 day) as web_sessions_90d,
        count(distinct session_id) filter (where event_at < ts - interval 90 day) as web_sessions_before,
        least(greatest(date_diff('day', date '{history_start.isoformat()}', cutoff) - 90, 0), {int(days) - 90})
            as web_known_days_before"""
