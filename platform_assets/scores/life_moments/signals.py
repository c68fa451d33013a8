"""Life moments seen in the sales: behavioural covariates as of a date, and the moment entries.

A moment (DOMAIN.md: moving in, renovation project, new garden) shows in the tills twice: small
signal purchases in the weeks before (boxes and tape; tools, tester pots and tiles; garden tools
and seeds), then a burst of big baskets in its departments. The burst is what we observe as the
event: its first day is the customer's *entry* into the moment (``entries``). A move shows more
surely as a change of home store: the customer's last visits are at a store other than the one they
used most, and they have not gone back to it; the first visit at the new store is the entry. The
signals and the customer's traits are the covariates (``covariates``). All SQL over sales lines cut
at a date.

With a web source, the lead-in shows in the browsing too: more sessions than the customer's own pace,
views and cart adds in the moment's departments and signal categories (``browsing``, from the
stitched events of ``lib.web_events``, cut at the same date).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import duckdb

from platform_assets.lib import web_events
from platform_assets.lib.engine_queries import Scan, on_duckdb

if TYPE_CHECKING:
    import polars as pl

    from platform_assets.lib.retailer import LifeMomentCatalogue


@dataclass(frozen=True)
class Moment:
    name: str
    # bought in the lead-in; browsed in it too (with the departments) when there is a web source
    signal_categories: tuple[str, ...]
    departments: tuple[str, ...]  # where the burst spends
    # How an entry is seen: "burst" in the departments, or "store_switch" (a new home store).
    seen_as: str = "burst"
    # Whether the model takes the browsing covariates (with a web source).
    browsing: bool = True


# The moments scored. Where each shows in the catalogue is the retailer's (its configuration's
# life_moments); how an entry is seen and which covariates the model takes are the model's. A move
# is seen as a store switch, which customers who shop online rarely show, so the entries the model
# learns from teach it that browsing lowers the odds (at 20k, at most 1 of the 21 entries of the
# backtest's training window had browsed; with browsing the backtest concordance fell from 0.73 to 0.66).
MOMENT_NAMES = ("moving", "renovation", "new_garden")
_SEEN_AS = {"moving": "store_switch"}
_WITHOUT_BROWSING = ("moving",)


def moments(catalogue: LifeMomentCatalogue) -> tuple[Moment, ...]:
    """The moments, with the catalogue's categories the retailer configured for each."""
    return tuple(
        Moment(
            name,
            getattr(catalogue, name).signal_categories,
            getattr(catalogue, name).departments,
            seen_as=_SEEN_AS.get(name, "burst"),
            browsing=name not in _WITHOUT_BROWSING,
        )
        for name in MOMENT_NAMES
    )


def unknown_names(conn: duckdb.DuckDBPyConnection, moments: Sequence[Moment]) -> list[str]:
    """``<moment>.<field>: '<name>'`` for each configured name the catalogue does not have (signal
    categories among ``referential.dim_product``'s category names, departments among its departments)."""
    [(categories, departments)] = conn.execute(
        "select list(distinct category_name), list(distinct department_name) from referential.dim_product"
    ).fetchall()
    known = {"signal_categories": set(categories or ()), "departments": set(departments or ())}
    return [
        f"{m.name}.{field}: {name!r}"
        for m in moments
        for field in ("signal_categories", "departments")
        for name in getattr(m, field)
        if name not in known[field]
    ]


# A burst: at least this many purchase days in the moment's departments within BURST_DAYS, and
# at least BURST_RATIO times the customer's own pace in them over the year before.
BURST_DAYS = 30
BURST_MIN_DAYS = 3
# 10x, not 5x: fewer bursts but more of them real moments (detection precision 34 -> 49 % for
# renovation at 100k), and the Cox model learns from its labels: top-5 % precision 3.3x -> 3.6x.
BURST_RATIO = 10.0
# A store switch: at least this many store visits at the old home store, and at the new one after it.
SWITCH_MIN_VISITS = 2
# The customer's pace is known after this much history (earlier, any purchase looks like a burst).
MIN_HISTORY_DAYS = 90
# A new entry needs this many quiet days since the previous burst day (one episode, one entry).
EPISODE_GAP_DAYS = 180


# The tables each scan reads (lib/engine_queries.py: on Spark with CDP_ENGINE=spark, over these tables).
COVARIATES_READS = ("sales.fct_sales_lines", "referential.dim_product", "referential.dim_customer")
ENTRIES_READS = ("sales.fct_sales_lines", "referential.dim_product")
BROWSING_READS = (web_events.WEB_EVENTS, web_events.COOKIE_XREF, "referential.dim_product")


def _in(values: tuple[str, ...]) -> str:
    return "(" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + ")"


def covariates(
    conn: duckdb.DuckDBPyConnection, cutoff: date, moments: Sequence[Moment], scan: Scan = on_duckdb
) -> pl.DataFrame:
    """One row per customer with a purchase in the two years before ``cutoff``: visit pace and
    trend, each moment's signal lines (30 and 90 days) and department share, age, tenure. ``scan``:
    where the sales lines are read (lib/engine_queries.py: on Spark with ``CDP_ENGINE=spark``)."""
    # Two plain aggregations, orders then customers, instead of count(distinct order_id) per window
    # (same counts: an order counts in a window when one of its lines falls in it; 2x faster at 1M).
    # Amounts stay decimal until the share: exact sums, so a rerun gives the same bits whatever
    # order DuckDB's threads add them in (double sums differed in the last digit between runs).
    per_order, per_customer = [], []
    for m in moments:
        signal, department = _in(m.signal_categories), _in(m.departments)
        per_order += [
            f"count(*) filter (where category_name in {signal} and d >= $c - 30) as {m.name}_signal_30d",
            f"count(*) filter (where category_name in {signal} and d >= $c - 90) as {m.name}_signal_90d",
            f"sum(amount) filter (where department_name in {department} and d >= $c - 365) as {m.name}_spend_12m",
        ]
        per_customer += [
            f"sum({m.name}_signal_30d) as {m.name}_signal_lines_30d",
            f"sum({m.name}_signal_90d) as {m.name}_signal_lines_90d",
            f"coalesce(sum({m.name}_spend_12m)::double / nullif(sum(spend_12m), 0)::double, 0) "
            f"as {m.name}_department_share_12m",
        ]
    sql = f"""
    with lines as (
        select l.customer_id, l.order_id, l.sold_date as d, l.net_amount as amount,
            p.category_name, p.department_name
        from sales.fct_sales_lines as l
        left join referential.dim_product as p using (product_id)
        where l.customer_id is not null and not l.is_cancelled and not l.is_return
            and l.sold_date < $c and l.sold_date >= $c - 730
    ),
    orders as (
        select
            customer_id,
            bool_or(d >= $c - 90) as in_90d,
            bool_or(d >= $c - 180 and d < $c - 90) as in_prior_90d,
            bool_or(d >= $c - 365) as in_12m,
            max(d) as last_day,
            sum(amount) filter (where d >= $c - 365) as spend_12m,
            {", ".join(per_order)}
        from lines
        group by customer_id, order_id
    ),
    behaviour as (
        select
            customer_id,
            count(*) filter (where in_90d) as visits_90d,
            count(*) filter (where in_prior_90d) as visits_prior_90d,
            count(*) filter (where in_12m) as visits_12m,
            date_diff('day', max(last_day), $c) as recency_days,
            {", ".join(per_customer)}
        from orders
        group by customer_id
    )
    select
        b.*,
        c.country_code as business_unit,
        year($c) - year(c.birth_date) as age_years,  -- the years' boundaries crossed (as DuckDB's date_diff)
        date_diff('day', c.created_at::date, $c) as tenure_days
    from behaviour as b
    join referential.dim_customer as c using (customer_id)
    """
    return conn.sql(scan(sql.replace("$c", f"date '{cutoff.isoformat()}'"), COVARIATES_READS)).pl()


# Browsing looked at: a year back at most; the customer's usual pace is known from this many days of
# web history before the last 90 days (a shorter history leaves the pace comparison at 0).
BROWSING_DAYS = 365
MIN_PACE_DAYS = 30
# Events that show interest in a department or category (searches carry neither).
VIEW_EVENTS = ("product_view", "page_view", "cart_add")


def browsing(
    conn: duckdb.DuckDBPyConnection,
    cutoffs: Sequence[date],
    history_start: date,
    moments: Sequence[Moment],
    scan: Scan = on_duckdb,
) -> dict[date, pl.DataFrame]:
    """Per cutoff, one row per customer with a stitched web event in the BROWSING_DAYS before it (none
    on or after it; ``lib.web_events``, one pass for every cutoff): sessions in the last 30 and 90 days
    and in the rest of the year (``web_sessions_before``, over ``web_known_days_before`` days of web
    history: the web source starts on ``history_start``), views of a category in the last 90 days,
    and per moment its views (30 and 90 days) and cart adds (90 days) in its departments and signal
    categories."""
    per_moment = []
    for m in moments:
        where = f"(department_name in {_in(m.departments)} or category_name in {_in(m.signal_categories)})"
        views = f"event_type in {_in(VIEW_EVENTS)} and {where}"
        per_moment += [
            f"count(*) filter (where {views} and event_at >= ts - interval 30 day) as {m.name}_web_views_30d",
            f"count(*) filter (where {views} and event_at >= ts - interval 90 day) as {m.name}_web_views_90d",
            f"count(*) filter (where event_type = 'cart_add' and {where} and event_at >= ts - interval 90 day) "
            f"as {m.name}_web_cart_adds_90d",
        ]
    sql = f"""
    select
        cutoff,
        customer_id,
        {web_events.session_pace_sql(history_start, BROWSING_DAYS)},
        count(*) filter (where event_type in {_in(VIEW_EVENTS)} and category_id is not null
            and event_at >= ts - interval 90 day) as web_views_90d,
        {", ".join(per_moment)}
    from ({web_events.events_as_of_sql(cutoffs, BROWSING_DAYS)})
    group by cutoff, customer_id
    """
    import polars as pl

    rows = conn.sql(scan(sql, BROWSING_READS)).pl()
    return {c: rows.filter(pl.col("cutoff") == c).drop("cutoff") for c in cutoffs}


def entries(
    conn: duckdb.DuckDBPyConnection, until: date, moments: Sequence[Moment], scan: Scan = on_duckdb
) -> pl.DataFrame:
    """customer_id, moment, entry_date of every episode seen in sales before ``until``: bursts, and
    for moving the switch to a new home store.

    The pace to beat is the customer's own over the year before (or since their first purchase, when
    shorter; at least MIN_HISTORY_DAYS of history are needed to know it). Signal purchases are the
    lead-in, not the burst: they do not count in it. ``scan``: where the sales lines are read
    (lib/engine_queries.py); the entries are sorted here."""
    parts = [_switches(m) if m.seen_as == "store_switch" else _bursts(m) for m in moments]
    sql = f"""
    with store_visits as (
        select distinct customer_id, store_id, sold_date as d
        from sales.fct_sales_lines
        where customer_id is not null and not is_cancelled and not is_return and sold_date < $until
            and channel = 'store'
    ),
    new_stores as (  -- the store of most of the customer's last three store visits
        select customer_id, store_id as new_store
        from (
            select customer_id, store_id,
                row_number() over (partition by customer_id order by count(*) desc, store_id) as r
            from (
                select *, row_number() over (partition by customer_id order by d desc, store_id desc) as recent
                from store_visits
            )
            where recent <= 3
            group by customer_id, store_id
        )
        where r = 1
    ),
    first_days as (
        select customer_id, min(sold_date) as first_day
        from sales.fct_sales_lines
        where customer_id is not null and not is_cancelled and not is_return and sold_date < $until
        group by customer_id
    ),
    bursts as ({" union all ".join(parts)}),
    ordered as (
        select *, date_diff('day', lag(d) over (partition by customer_id, moment order by d), d) as since_previous
        from bursts
    )
    select customer_id, moment, d as entry_date
    from ordered
    where since_previous is null or since_previous > {EPISODE_GAP_DAYS}
    """
    found = scan(sql.replace("$until", f"date '{until.isoformat()}'"), ENTRIES_READS)
    return conn.sql(f"select * from ({found}) order by customer_id, moment, entry_date").pl()


def _bursts(m: Moment) -> str:
    """Days that start a burst in the moment's departments (signal categories excluded)."""
    return f"""
        select customer_id, '{m.name}' as moment, d
        from (
            select
                o.customer_id,
                o.d,
                least(date_diff('day', f.first_day, o.d), 365) as known_days,
                count(*) over (partition by o.customer_id order by o.d
                    range between current row and interval {BURST_DAYS - 1} days following) as n_ahead,
                count(*) over (partition by o.customer_id order by o.d
                    range between interval 365 days preceding and interval 1 days preceding) as n_before
            from (
                select l.customer_id, l.sold_date as d
                from sales.fct_sales_lines as l
                join referential.dim_product as p using (product_id)
                where l.customer_id is not null and not l.is_cancelled and not l.is_return
                    and l.sold_date < $until and p.department_name in {_in(m.departments)}
                    and p.category_name not in {_in(m.signal_categories)}
                group by all
            ) as o
            join first_days as f using (customer_id)
        )
        where known_days >= {MIN_HISTORY_DAYS} and n_ahead >= {BURST_MIN_DAYS}
            and n_ahead >= {BURST_RATIO} * n_before * {BURST_DAYS} / known_days
    """


def _switches(m: Moment) -> str:
    """The first visit at the customer's new home store (``new_stores``) after their last visit at the
    store they used most otherwise: at least SWITCH_MIN_VISITS visits at each, and fewer visits at the
    new store than at the old one before the switch (a second store used all along is no move)."""
    n = SWITCH_MIN_VISITS
    return f"""
        select customer_id, '{m.name}' as moment, d
        from (
            select o.customer_id, min(v.d) filter (where v.d > o.last_old) as d,
                count(*) filter (where v.d > o.last_old) as visits_after,
                count(*) filter (where v.d <= o.last_old) as visits_before, any_value(o.visits_old) as visits_old
            from (
                select v.customer_id, v.store_id, count(*) as visits_old, max(v.d) as last_old,
                    row_number() over (partition by v.customer_id order by count(*) desc, v.store_id) as r
                from store_visits as v
                join new_stores as f on v.customer_id = f.customer_id and v.store_id <> f.new_store
                group by v.customer_id, v.store_id
            ) as o
            join store_visits as v on v.customer_id = o.customer_id
            join new_stores as f on v.customer_id = f.customer_id and v.store_id = f.new_store
            where o.r = 1 and o.visits_old >= {n}
            group by o.customer_id
        )
        where visits_after >= {n} and visits_old > visits_before
    """
