"""Stitched web events as of a date: what a score may read of a customer's browsing.

A customer's web events are the non-bot events (``staging.stg_web__events``, ``is_bot``) of the cookies
``referential.cookie_xref`` attributes to them unambiguously (one customer per cookie). Every read is cut
at its date: events strictly before the cutoff (``event_at < cutoff``, as the appetence model reads
them), of cookies whose first login came before it too (a cookie is stitched by a login: one after the
cutoff, e.g. to order during a life moment, would hand its earlier anonymous browsing to the customer
with hindsight), so a covariate computed as of a date never sees that day or anything after it.

Without a web source (no such relations, or no stitched event: a retailer that does not deliver the
web analytics export, CDNOW) ``history_start`` is None and the scores work on purchases alone.
"""

from __future__ import annotations

from datetime import date

import duckdb

WEB_EVENTS = "staging.stg_web__events"
COOKIE_XREF = "referential.cookie_xref"

# Cookies attributed to exactly one customer, by a first login before $ts.
COOKIES_SQL = """
select cookie_id, any_value(customer_id) as customer_id
from referential.cookie_xref
where customer_id is not null and first_login_at < $ts
group by cookie_id
having count(distinct customer_id) = 1
"""


def relation_exists(conn: duckdb.DuckDBPyConnection, qualified: str) -> bool:
    """A table or a view (dbt builds staging as views)."""
    schema, name = qualified.split(".")
    return bool(
        conn.execute(
            "select 1 from duckdb_tables() where schema_name = ? and table_name = ? union all "
            "select 1 from duckdb_views() where schema_name = ? and view_name = ?",
            [schema, name, schema, name],
        ).fetchall()
    )


def history_start(conn: duckdb.DuckDBPyConnection, before: date) -> date | None:
    """The day of the first stitched, non-bot web event before ``before``, or None without any (no
    web source, nothing stitched): the start of the browsing history a model can learn from."""
    if not (relation_exists(conn, WEB_EVENTS) and relation_exists(conn, COOKIE_XREF)):
        return None
    ts = f"timestamp '{before.isoformat()}'"
    [(first,)] = conn.execute(
        f"select min(e.event_at)::date from {WEB_EVENTS} as e "
        f"join ({COOKIES_SQL.replace('$ts', ts)}) as k using (cookie_id) "
        f"where not coalesce(e.is_bot, false) and e.event_at < {ts}"
    ).fetchall()
    return first


def stitched_events_sql(cutoff: date, days: int) -> str:
    """A query of the stitched, non-bot events in the ``days`` days before ``cutoff`` (strictly
    before it, of cookies first logged in before it): customer_id, event_at, event_type, session_id,
    utm_medium, department_id, category_id, department_name and category_name (the catalogue's)."""
    ts = f"timestamp '{cutoff.isoformat()}'"
    return f"""
    select k.customer_id, e.event_at, e.event_type, e.session_id, e.utm_medium,
        e.department_id, e.category_id, c.department_name, c.category_name
    from {WEB_EVENTS} as e
    join ({COOKIES_SQL.replace("$ts", ts)}) as k using (cookie_id)
    left join (
        select category_id, min(department_name) as department_name, min(category_name) as category_name
        from referential.dim_product
        where category_id is not null
        group by category_id
    ) as c using (category_id)
    where not coalesce(e.is_bot, false) and e.event_at < {ts} and e.event_at >= {ts} - interval {int(days)} day
    """
