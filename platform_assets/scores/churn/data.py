"""Reads for the churn model: purchase days, the churn horizon, profiles and labels as of a date.

The profile is the features package's own (``features.profile.customer_profile``) recomputed as of
any cutoff, so the model trains on exactly the indicators it scores with.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import duckdb
import polars as pl

from platform_assets.features import profile
from platform_assets.lib import web_events
from platform_assets.lib.engine_queries import Scan, on_duckdb

# The facts each scan reads (lib/engine_queries.py: on Spark with CDP_ENGINE=spark, over these tables).
SALES = ("sales.fct_sales_lines", "referential.dim_customer")
BEHAVIOUR_READS = (
    "sales.fct_sales_lines",
    "referential.dim_product",
    "sales.fct_orders",
    "marketing.fct_email_events",
)
BROWSING_READS = (web_events.WEB_EVENTS, web_events.COOKIE_XREF, "referential.dim_product")

# Gaps between consecutive purchase days in the last two years, per business unit.
GAPS_SQL = """
with days as (
    select l.customer_id, c.country_code as business_unit, l.sold_date as d
    from sales.fct_sales_lines as l
    join referential.dim_customer as c using (customer_id)
    where not l.is_cancelled and not l.is_return and l.sold_date < $end and l.sold_date >= $start
    group by all
)
select business_unit, date_diff('day', lag(d) over (partition by customer_id order by d), d) as gap
from days
qualify gap is not null
"""


def _date(day: date) -> str:
    return f"date '{day.isoformat()}'"


def inter_purchase_gaps(
    conn: duckdb.DuckDBPyConnection, reference_date: date, scan: Scan = on_duckdb
) -> pl.DataFrame:
    """business_unit, gap (days) of every repeat purchase in the two years before the reference date.
    ``scan``: where the sales lines are read (lib/engine_queries.py)."""
    sql = GAPS_SQL.replace("$end", _date(reference_date)).replace(
        "$start", _date(reference_date - timedelta(days=730))
    )
    return conn.sql(scan(sql, SALES)).pl()


def profile_as_of(conn: duckdb.DuckDBPyConnection, cutoff: date, scan: Scan = on_duckdb) -> pl.DataFrame:
    """The features package's customer profile as of ``cutoff``, buyers only (scanned where ``scan`` runs)."""
    return profile.customer_profile(conn, cutoff, scan=scan).filter("frequency_lifetime > 0").pl()


def buyers_between(
    conn: duckdb.DuckDBPyConnection, start: date, end: date, scan: Scan = on_duckdb
) -> pl.DataFrame:
    """customer_id of everyone with a purchase on a local date in [start, end)."""
    sql = (
        "select distinct customer_id from sales.fct_sales_lines where customer_id is not null "
        f"and not is_cancelled and not is_return and sold_date >= {_date(start)} and sold_date < {_date(end)}"
    )
    return conn.sql(scan(sql, SALES[:1])).pl()


# The customer's latest purchase days against their earlier ones (two years back), and e-mail opens
# in the last RECENT_DAYS against the year before: the pre-churn drift of DOMAIN.md (promotions,
# trading down, smaller baskets, returns, longer gaps, fewer opens) shows in a churner's last visits
# even when those visits are months old. Returns count against the purchase day of their order.
LAST_PURCHASE_DAYS = 3
RECENT_DAYS = 120
BEHAVIOUR_SQL = """
with lines as (
    select l.customer_id, l.sold_date as d,
        (l.discount_amount > 0)::int as discounted,
        (p.price_tier = 'entry')::int as entry,
        (p.price_tier = 'premium')::int as premium
    from sales.fct_sales_lines as l
    left join referential.dim_product as p using (product_id)
    where l.customer_id is not null and not l.is_cancelled and not l.is_return
        and l.sold_date < $c and l.sold_date >= $c - 730
),
days as (
    select customer_id, d, count(*) as lines, sum(discounted) as discounted, sum(entry) as entry,
        sum(premium) as premium,
        row_number() over (partition by customer_id order by d desc) as k,
        date_diff('day', lag(d) over (partition by customer_id order by d), d) as gap
    from lines
    group by customer_id, d
),
returned as (
    select o.customer_id, o.ordered_date as d, count(*) as returned_lines
    from sales.fct_sales_lines as l
    join sales.fct_orders as o on o.order_id = l.order_id
    where l.customer_id is not null and l.is_return and not l.is_cancelled and l.sold_date < $c
        and o.ordered_date >= $c - 730
    group by all
),
per_customer as (
    select customer_id,
        min(d) as first_day,
        min(d) filter (where k <= $k) as first_last_day,
        count(*) filter (where k <= $k) as days_last,
        count(*) filter (where k > $k) as days_early,
        sum(lines) filter (where k <= $k) as lines_last,
        sum(lines) filter (where k > $k) as lines_early,
        sum(discounted) filter (where k <= $k) as discounted_last,
        sum(discounted) filter (where k > $k) as discounted_early,
        sum(entry) filter (where k <= $k) as entry_last,
        sum(entry) filter (where k > $k) as entry_early,
        sum(premium) filter (where k <= $k) as premium_last,
        sum(premium) filter (where k > $k) as premium_early,
        avg(gap) filter (where k < $k) as gap_last,
        avg(gap) filter (where k >= $k) as gap_early,
        count(*) filter (where d >= $c - $r) as days_recent,
        count(*) filter (where d < $c - $r) as days_before_recent
    from days
    group by customer_id
),
returns as (
    select r.customer_id,
        sum(r.returned_lines) filter (where r.d >= p.first_last_day) as returned_last,
        sum(r.returned_lines) filter (where r.d < p.first_last_day) as returned_early
    from returned as r
    join per_customer as p using (customer_id)
    group by r.customer_id
),
mail as (
    select customer_id,
        count(*) filter (where event_type = 'sent' and event_at >= $ts - interval $r day) as sent_recent,
        count(*) filter (where event_type = 'open' and event_at >= $ts - interval $r day) as opened_recent,
        count(*) filter (where event_type = 'sent' and event_at < $ts - interval $r day) as sent_before,
        count(*) filter (where event_type = 'open' and event_at < $ts - interval $r day) as opened_before
    from marketing.fct_email_events
    where customer_id is not null and event_at < $ts and event_at >= $ts - interval 365 day
    group by customer_id
)
select p.* exclude (first_last_day),
    $c as reference_date,
    coalesce(r.returned_last, 0) as returned_last,
    coalesce(r.returned_early, 0) as returned_early,
    coalesce(m.sent_recent, 0) as sent_recent,
    coalesce(m.opened_recent, 0) as opened_recent,
    coalesce(m.sent_before, 0) as sent_before,
    coalesce(m.opened_before, 0) as opened_before
from per_customer as p
left join returns as r using (customer_id)
left join mail as m using (customer_id)
"""


def behaviour_as_of(conn: duckdb.DuckDBPyConnection, cutoff: date, scan: Scan = on_duckdb) -> pl.DataFrame:
    """Per customer with a purchase in the two years before ``cutoff``: their last LAST_PURCHASE_DAYS
    purchase days vs the earlier ones (lines, discounted/entry/premium/returned lines, gaps), purchase
    days in the last RECENT_DAYS vs before, e-mails sent and opened in the last RECENT_DAYS vs before."""
    sql = (
        BEHAVIOUR_SQL.replace("$ts", f"timestamp '{cutoff.isoformat()}'")
        .replace("$c", f"date '{cutoff.isoformat()}'")
        .replace("$k", str(LAST_PURCHASE_DAYS))
        .replace("$r", str(RECENT_DAYS))
    )
    return conn.sql(scan(sql, BEHAVIOUR_READS)).pl()


# Browsing per customer and cutoff, from the stitched, non-bot web events each cutoff may see
# (lib.web_events, one pass for every cutoff): sessions in the last 30 and 90 days and in the rest of
# the year (with the days of web history that covers, to know the customer's usual pace), the last
# session, sessions opened by a click in an e-mail.
BROWSING_DAYS = 365
BROWSING_SQL = """
select
    cutoff,
    customer_id,
    $pace,
    date_diff('day', max(event_at)::date, cutoff) as days_since_last_session,
    count(distinct session_id) filter (where utm_medium = 'email' and event_at >= ts - interval 90 day)
        as email_click_sessions_90d,
    count(distinct session_id) filter (where utm_medium = 'email' and event_at < ts - interval 90 day)
        as email_click_sessions_before
from ($events)
group by cutoff, ts, customer_id
"""


def browsing_as_of(
    conn: duckdb.DuckDBPyConnection, cutoffs: Sequence[date], history_start: date, scan: Scan = on_duckdb
) -> dict[date, pl.DataFrame]:
    """Per cutoff, per customer with a stitched web event in the BROWSING_DAYS before it (none on or
    after it): web sessions (30, 90 days, before), days since the last one, e-mail-click sessions; the
    web source starts on ``history_start`` (``lib.web_events.history_start``)."""
    sql = BROWSING_SQL.replace("$events", web_events.events_as_of_sql(cutoffs, BROWSING_DAYS)).replace(
        "$pace", web_events.session_pace_sql(history_start, BROWSING_DAYS)
    )
    rows = conn.sql(scan(sql, BROWSING_READS)).pl()
    return {c: rows.filter(pl.col("cutoff") == c).drop("cutoff") for c in cutoffs}
