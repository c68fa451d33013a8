"""Browsing indicators as of a reference date, from the web events stitched to customers.

Read from ``marketing.fct_web_events`` (people only: bots are left out by staging's rule; events
of shared or anonymous cookies have no customer), cut strictly before the reference date (midnight
UTC). A search counts for the department it leads to: the first department (category page, product
view or cart event) that follows it in the same visit; a search followed by none has no department.

``features.customer_department_browsing``: one row per customer and department browsed in the 365
days before the reference date. The profile's browsing indicators (``profile.py``, documented in
``indicators.py``) come from the same events (``WEB_EVENTS_SQL``).
"""

from __future__ import annotations

from datetime import date

import duckdb

from platform_assets.lib import web_events
from platform_assets.lib.engine_queries import Scan, on_duckdb

TABLE = "features.customer_department_browsing"
WEB_EVENTS = "marketing.fct_web_events"

# Attributed events before the reference date, with the department a search leads to.
_WEB_EVENTS_SQL = """
select
    customer_id,
    session_id,
    event_id,
    event_at,
    event_type,
    page_type,
    utm_medium,
    $department_sql as department_id
from marketing.fct_web_events
where customer_id is not null and event_at < $ref_ts
"""


def web_events_sql(dialect: str = "duckdb") -> str:
    """``WEB_EVENTS_SQL`` in ``dialect`` ("duckdb" or "spark")."""
    return _WEB_EVENTS_SQL.replace("$department_sql", web_events.department_sql(dialect))


WEB_EVENTS_SQL = web_events_sql()

DEPARTMENT_BROWSING_SQL = """
with
web_events as ($web_events_sql)

select
    customer_id,
    department_id,
    $ref as reference_date,
    count(*) filter (where event_type = 'product_view' and event_at >= $ref_ts - interval 30 day)
        as product_views_30d,
    count(*) filter (where event_type = 'product_view' and event_at >= $ref_ts - interval 90 day)
        as product_views_90d,
    count(*) filter (
        where event_type = 'page_view' and page_type = 'category' and event_at >= $ref_ts - interval 90 day
    ) as category_page_views_90d,
    count(*) filter (where event_type = 'cart_add' and event_at >= $ref_ts - interval 90 day) as cart_adds_90d,
    count(*) filter (where event_type = 'search' and event_at >= $ref_ts - interval 90 day) as searches_90d,
    count(distinct session_id) filter (where event_at >= $ref_ts - interval 90 day) as sessions_90d,
    date_diff('day', cast(max(event_at) filter (
        where event_type = 'product_view' or (event_type = 'page_view' and page_type = 'category')
    ) as date), $ref) as days_since_last_view
from web_events
where department_id is not null and event_at >= $ref_ts - interval 365 day
group by customer_id, department_id
"""

# name: (type, description) — the column comments of the table.
COLUMNS = {
    "customer_id": ("varchar", "Stable customer id."),
    "department_id": ("varchar", "Department (level-1 catalogue category, e.g. D01)."),
    "reference_date": ("date", "The date the row is computed as of (events strictly before it)."),
    "product_views_30d": (
        "bigint",
        "Product views in the department in the 30 days before the reference date.",
    ),
    "product_views_90d": (
        "bigint",
        "Product views in the department in the 90 days before the reference date.",
    ),
    "category_page_views_90d": ("bigint", "Category page views of the department in the 90 days before."),
    "cart_adds_90d": ("bigint", "Products of the department added to the cart in the 90 days before."),
    "searches_90d": (
        "bigint",
        "Site searches in the 90 days before that led to the department (the first department viewed "
        "after the search in the same visit).",
    ),
    "sessions_90d": ("bigint", "Visits with an event in the department in the 90 days before."),
    "days_since_last_view": (
        "integer",
        "Days from the latest product or category page view in the department to the reference date; "
        "null when only searched or carted.",
    ),
}


def _sql(template: str, reference_date: date) -> str:
    return (
        template.replace("$web_events_sql", WEB_EVENTS_SQL)
        .replace("$ref_ts", f"timestamp '{reference_date.isoformat()}'")
        .replace("$ref", f"date '{reference_date.isoformat()}'")
    )


def department_browsing(
    conn: duckdb.DuckDBPyConnection, reference_date: date, scan: Scan = on_duckdb
) -> duckdb.DuckDBPyRelation:
    """One row per customer and department browsed in the 365 days before ``reference_date``; the
    events scanned where ``scan`` runs (lib/engine_queries.py: on Spark with ``CDP_ENGINE=spark``)."""
    return conn.sql(scan(_sql(DEPARTMENT_BROWSING_SQL, reference_date), [WEB_EVENTS]))


# The profile's browsing CTEs (inserted in profile.PROFILE_SQL): per customer, visits, views, cart
# abandonment (a visit with a cart add and no web order of the customer in the 24 hours after its
# first cart add; an order on or after the reference date is not known yet), the channel the visits of the last 90 days arrived by (the utm_medium of their
# session_start, 'direct' without one; the most frequent, ties by name) and the department searched most.
# Written with the calls of features/dialects.py (``$days(...)``, ...): profile.py renders them per engine.
PROFILE_CTES = """
web_events as ($web_events_sql),

web_visits as (
    select
        customer_id,
        session_id,
        min(event_at) as started_at,
        coalesce($any_value(utm_medium) filter (where event_type = 'session_start'), 'direct') as arrival_channel,
        min(event_at) filter (where event_type = 'cart_add') as first_cart_add_at
    from web_events
    group by customer_id, session_id
),

web_orders as (
    select customer_id, ordered_at
    from sales.fct_orders
    where channel = 'web' and customer_id is not null and not is_cancelled and ordered_at < $ref_ts
),

web_carts as (
    select
        v.customer_id,
        count(*) as cart_visits_90d,
        count(*) filter (where not exists (
            select 1 from web_orders as o
            where o.customer_id = v.customer_id
                and o.ordered_at >= v.first_cart_add_at
                and o.ordered_at < v.first_cart_add_at + interval 1 day
        )) as abandoned_carts_90d
    from web_visits as v
    where v.first_cart_add_at >= $ref_ts - interval 90 day
    group by v.customer_id
),

web_arrivals as (
    select customer_id, $first_by(arrival_channel, visits desc, arrival_channel) as main_arrival_channel_90d
    from (
        select customer_id, arrival_channel, count(*) as visits
        from web_visits
        where started_at >= $ref_ts - interval 90 day
        group by customer_id, arrival_channel
    )
    group by customer_id
),

web_searches as (
    select customer_id, $first_by(department_id, searches desc, department_id) as top_search_department_90d
    from (
        select customer_id, department_id, count(*) as searches
        from web_events
        where event_type = 'search' and department_id is not null and event_at >= $ref_ts - interval 90 day
        group by customer_id, department_id
    )
    group by customer_id
),

web as (
    select
        v.customer_id,
        count(*) filter (where v.started_at >= $ref_ts - interval 30 day) as web_sessions_30d,
        count(*) filter (where v.started_at >= $ref_ts - interval 90 day) as web_sessions_90d,
        max(v.started_at) as last_web_visit_at,
        $any_value(c.cart_visits_90d) as cart_visits_90d,
        $any_value(c.abandoned_carts_90d) as abandoned_carts_90d,
        $any_value(a.main_arrival_channel_90d) as main_arrival_channel_90d,
        $any_value(s.top_search_department_90d) as top_search_department_90d
    from web_visits as v
    left join web_carts as c on v.customer_id = c.customer_id
    left join web_arrivals as a on v.customer_id = a.customer_id
    left join web_searches as s on v.customer_id = s.customer_id
    group by v.customer_id
),

web_views as (
    select
        customer_id,
        count(*) filter (where event_type = 'product_view' and event_at >= $ref_ts - interval 90 day)
            as web_product_views_90d,
        count(*) filter (where event_type = 'search' and event_at >= $ref_ts - interval 90 day) as web_searches_90d
    from web_events
    group by customer_id
),
"""

# The profile's browsing columns (their documentation: indicators.py, requires web_events).
PROFILE_COLUMNS = """,
        coalesce(w.web_sessions_30d, 0) as web_sessions_30d,
        coalesce(w.web_sessions_90d, 0) as web_sessions_90d,
        $days($ref, w.last_web_visit_at::date) as days_since_last_web_visit,
        coalesce(wv.web_product_views_90d, 0) as web_product_views_90d,
        coalesce(wv.web_searches_90d, 0) as web_searches_90d,
        coalesce(w.cart_visits_90d, 0) as cart_visits_90d,
        w.abandoned_carts_90d / nullif(w.cart_visits_90d, 0) as cart_abandonment_rate_90d,
        w.main_arrival_channel_90d,
        w.top_search_department_90d"""
