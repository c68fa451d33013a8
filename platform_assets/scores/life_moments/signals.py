"""Life moments seen in the sales: behavioural covariates as of a date, and the moment entries.

A moment (DOMAIN.md: moving in, renovation project, new garden) shows in the tills twice: small
signal purchases in the weeks before (boxes and tape; tools, tester pots and tiles; garden tools
and seeds), then a burst of big baskets in its departments. The burst is what we observe as the
event: its first day is the customer's *entry* into the moment (``entries``); the signals and the
customer's traits are the covariates (``covariates``). Both are SQL over sales lines cut at a date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb
import polars as pl


@dataclass(frozen=True)
class Moment:
    name: str
    signal_categories: tuple[str, ...]  # bought in the lead-in
    departments: tuple[str, ...]  # where the burst spends


MOMENTS = (
    Moment(
        "moving",
        ("Storage boxes", "Moving boxes & tape", "Cleaning supplies"),
        ("Paint & decoration", "Flooring", "Lighting & electrical", "Storage & organisation"),
    ),
    Moment(
        "renovation",
        ("Hand tools", "Measuring & levelling", "Paint testers & samples", "Tiles"),
        ("Kitchen", "Bathroom", "Plumbing & heating"),
    ),
    Moment("new_garden", ("Garden tools", "Seeds & plants"), ("Garden & outdoor",)),
)

# A burst: at least this many purchase days in the moment's departments within BURST_DAYS, and
# at least BURST_RATIO times the customer's own pace in them over the year before.
BURST_DAYS = 30
BURST_MIN_DAYS = 3
BURST_RATIO = 5.0
# The customer's pace is known after this much history (earlier, any purchase looks like a burst).
MIN_HISTORY_DAYS = 90
# A new entry needs this many quiet days since the previous burst day (one episode, one entry).
EPISODE_GAP_DAYS = 180


def _in(values: tuple[str, ...]) -> str:
    return "(" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + ")"


def covariates(conn: duckdb.DuckDBPyConnection, cutoff: date) -> pl.DataFrame:
    """One row per customer with a purchase in the two years before ``cutoff``: visit pace and
    trend, each moment's signal lines (30 and 90 days) and department share, age, tenure."""
    # Two plain aggregations, orders then customers, instead of count(distinct order_id) per window
    # (same counts: an order counts in a window when one of its lines falls in it; 2x faster at 1M).
    # Amounts stay decimal until the share: exact sums, so a rerun gives the same bits whatever
    # order DuckDB's threads add them in (double sums differed in the last digit between runs).
    per_order, per_customer = [], []
    for m in MOMENTS:
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
            $c - max(last_day) as recency_days,
            {", ".join(per_customer)}
        from orders
        group by customer_id
    )
    select
        b.*,
        c.country_code as business_unit,
        date_diff('year', c.birth_date, $c) as age_years,
        date_diff('day', c.created_at::date, $c) as tenure_days
    from behaviour as b
    join referential.dim_customer as c using (customer_id)
    """
    return conn.sql(sql.replace("$c", f"date '{cutoff.isoformat()}'")).pl()


def entries(conn: duckdb.DuckDBPyConnection, until: date) -> pl.DataFrame:
    """customer_id, moment, entry_date of every burst episode seen in sales before ``until``.

    The pace to beat is the customer's own over the year before (or since their first purchase, when
    shorter; at least MIN_HISTORY_DAYS of history are needed to know it). Signal purchases are the
    lead-in, not the burst: they do not count in it."""
    parts = []
    for m in MOMENTS:
        parts.append(
            f"""
            select customer_id, '{m.name}' as moment, d
            from (
                select
                    o.customer_id,
                    o.d,
                    least(o.d - f.first_day, 365) as known_days,
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
        )
    sql = f"""
    with first_days as (
        select customer_id, min(sold_date) as first_day
        from sales.fct_sales_lines
        where customer_id is not null and not is_cancelled and not is_return and sold_date < $until
        group by customer_id
    ),
    bursts as ({" union all ".join(parts)}),
    ordered as (
        select *, d - lag(d) over (partition by customer_id, moment order by d) as since_previous
        from bursts
    )
    select customer_id, moment, d as entry_date
    from ordered
    where since_previous is null or since_previous > {EPISODE_GAP_DAYS}
    order by customer_id, moment, entry_date
    """
    return conn.sql(sql.replace("$until", f"date '{until.isoformat()}'")).pl()
