"""The customer profile as computed before the one-pass rewrite (commit d2d0ec3), kept verbatim as
the reference `test_optimised_equals_previous.py` compares the platform's profile with. Not used by
the platform.

The customer profile: 50+ indicators per customer as of a reference date, in DuckDB SQL.

Scan-and-aggregate work stays in DuckDB (20M sales lines in seconds, out of core if needed); the
functions take a connection and a date and return relations, the asset writes them. Every input
is cut at the reference date: sales lines by local sale date (``sold_date``; a web return booked
later is not yet known), events, consents, cards and acquisitions by their own time.
"""

from __future__ import annotations

from datetime import date

import duckdb

from platform_assets.features.indicators import INDICATORS, KEYS, department_column

# Amounts stay DECIMAL until the final select: exact sums, so a recomputation gives the same
# cents whatever order the threads add them in (18 digits: 64-bit sums, not 128).
#
# Purchases come from sales.fct_orders (one row per order, already summed by dbt): a sold line is
# booked on its order's date, so an order dated before the reference date is a purchase known then.
# Returns are not: a web return is booked later on its order, so they come from the return lines
# booked before the reference date, dated by their order (a till return receipt is its own order).
ORDERS_SQL = """
create or replace temp table feat_orders as
select
    customer_id,
    order_id,
    channel,
    store_id,
    ordered_date as order_date,
    gross_amount::decimal(18, 2) as sold_amount,
    items
from sales.fct_orders
where customer_id is not null
    and not is_cancelled
    and not is_return_only
    and ordered_date < $ref
"""

RETURNS_SQL = """
create or replace temp table feat_returns as
select
    customer_id,
    order_id,
    min(ordered_date) as order_date,
    (-sum(net_amount))::decimal(18, 2) as returned_amount
from sales.fct_sales_lines
where customer_id is not null
    and is_return
    and not is_cancelled
    and sold_date < $ref
group by customer_id, order_id
"""

# Line-level totals per customer (discounts, margin): one key, so one cheap pass over the lines.
LINE_TOTALS_SQL = """
create or replace temp table feat_line_totals as
select
    customer_id,
    count(*) as sold_lines,
    count(*) filter (where discount_amount > 0) as discounted_lines,
    sum(discount_amount)::decimal(18, 2) as discount_amount,
    sum(margin_amount)::decimal(18, 2) as margin_amount,
    (sum(net_amount) filter (where cost_amount is not null))::decimal(18, 2) as costed_amount
from sales.fct_sales_lines
where customer_id is not null
    and not is_return
    and not is_cancelled
    and sold_date < $ref
group by customer_id
"""

# Spend per customer and department / price tier: the shares. Customer x product first, so the
# distinct products are a plain count (a distinct aggregate costs twice as much).
DEPARTMENTS_SQL = """
create or replace temp table feat_departments as
with
customer_products as (
    select l.customer_id, l.product_id, sum(l.net_amount)::decimal(18, 2) as sold_amount
    from sales.fct_sales_lines as l
    where l.customer_id is not null
        and not l.is_cancelled
        and not l.is_return
        and l.sold_date < $ref
    group by l.customer_id, l.product_id
)

select
    cp.customer_id,
    coalesce(p.department_name, 'unknown') as department_name,
    sum(cp.sold_amount) as sold_amount,
    sum(cp.sold_amount) filter (where p.price_tier = 'premium') as premium_amount,
    sum(cp.sold_amount) filter (where p.price_tier = 'entry') as entry_amount,
    count(*) as products
from customer_products as cp
left join referential.dim_product as p on cp.product_id = p.product_id
group by all
"""

PROFILE_SQL = """
with
purchases as (
    select * from feat_orders
),

purchase_days as (
    select customer_id, order_date as purchase_date
    from purchases
    group by all
),

gaps as (
    select
        customer_id,
        purchase_date,
        purchase_date - lag(purchase_date) over (partition by customer_id order by purchase_date) as gap,
        row_number() over (partition by customer_id order by purchase_date) as gap_rank
    from purchase_days
),

rhythm as (
    select
        customer_id,
        count(*) as purchase_days_lifetime,
        avg(gap) as mean_days_between_purchases,
        case when count(gap) >= 2 then regr_slope(gap, gap_rank) end as trend_days_between_purchases,
        arg_max(gap, purchase_date) as last_gap_days,
        count(distinct date_trunc('month', purchase_date)) filter (where purchase_date >= $ref - 365)
            as active_months_12m
    from gaps
    group by customer_id
),

buying as (
    select
        customer_id,
        min(order_date) as first_purchase_date,
        max(order_date) as last_purchase_date,
        count(*) as frequency_lifetime,
        count(*) filter (where order_date >= $ref - 365) as frequency_12m,
        count(*) filter (where order_date >= $ref - 90) as orders_last_90d,
        count(*) filter (where order_date >= $ref - 180 and order_date < $ref - 90) as orders_prior_90d,
        sum(sold_amount) as gross_spend_lifetime,
        sum(sold_amount) filter (where order_date >= $ref - 365) as gross_spend_12m,
        sum(sold_amount) filter (where order_date >= $ref - 90) as sold_last_90d,
        sum(sold_amount) filter (where order_date >= $ref - 180 and order_date < $ref - 90) as sold_prior_90d,
        max(sold_amount) as max_basket_value,
        sum(items) as items_lifetime,
        sum(items) filter (where order_date >= $ref - 365) as items_12m,
        sum(sold_amount) filter (where channel = 'store') as store_amount,
        sum(sold_amount) filter (where channel = 'web') as web_amount,
        count(*) filter (where dayofweek(order_date) in (0, 6)) as weekend_purchases
    from purchases
    group by customer_id
),

returns as (
    select
        customer_id,
        sum(returned_amount) as returned_amount,
        sum(returned_amount) filter (where order_date >= $ref - 365) as returned_12m,
        sum(returned_amount) filter (where order_date >= $ref - 90) as returned_last_90d,
        sum(returned_amount) filter (where order_date >= $ref - 180 and order_date < $ref - 90)
            as returned_prior_90d,
        count(*) as returned_orders
    from feat_returns
    group by customer_id
),

spend as (
    select
        coalesce(b.customer_id, rt.customer_id) as customer_id,
        coalesce(b.gross_spend_lifetime, 0) - coalesce(rt.returned_amount, 0) as monetary_lifetime,
        coalesce(b.gross_spend_12m, 0) - coalesce(rt.returned_12m, 0) as monetary_12m,
        coalesce(b.sold_last_90d, 0) - coalesce(rt.returned_last_90d, 0) as spend_last_90d,
        case when b.sold_prior_90d is not null or rt.returned_prior_90d is not null
            then coalesce(b.sold_prior_90d, 0) - coalesce(rt.returned_prior_90d, 0) end as spend_prior_90d,
        rt.returned_amount,
        rt.returned_orders
    from buying as b
    full outer join returns as rt on b.customer_id = rt.customer_id
),

store_visits as (
    select customer_id, store_id, count(*) as purchases, sum(sold_amount) as amount
    from purchases
    where channel = 'store'
    group by all
),

preferred_store as (
    select
        customer_id,
        first(store_id order by purchases desc, amount desc, store_id) as preferred_store_id,
        max(purchases) / sum(purchases) as preferred_store_share,
        count(*) as distinct_stores
    from store_visits
    group by customer_id
),

assortment as (
    select
        customer_id,
        coalesce(sum(premium_amount), 0) / nullif(sum(sold_amount), 0) as premium_spend_share,
        coalesce(sum(entry_amount), 0) / nullif(sum(sold_amount), 0) as entry_spend_share,
        count(*) filter (where department_name <> 'unknown') as distinct_departments,
        -- a product belongs to one department: the per-department counts add up
        sum(products) as distinct_products
    from feat_departments
    group by customer_id
),

-- per customer and campaign first (three flags), so the rates need no distinct counts
email_campaigns as (
    select
        customer_id,
        email_campaign_id,
        bool_or(event_type = 'sent' and event_at >= $ref_ts - interval 365 day) as received_12m,
        bool_or(event_type = 'open' and event_at >= $ref_ts - interval 365 day) as opened_12m,
        bool_or(event_type = 'click' and event_at >= $ref_ts - interval 365 day) as clicked_12m,
        max(event_at) filter (where event_type = 'open') as last_open_at,
        max(event_at) filter (where event_type = 'click') as last_click_at,
        bool_or(event_type = 'unsubscribe') as unsubscribed,
        count(*) filter (where event_type = 'bounce' and event_at >= $ref_ts - interval 365 day) as bounces_12m
    from marketing.fct_email_events
    where customer_id is not null and event_at < $ref_ts
    group by customer_id, email_campaign_id
),

emails as (
    select
        customer_id,
        count(*) filter (where received_12m) as emails_received_12m,
        count(*) filter (where opened_12m) as campaigns_opened_12m,
        count(*) filter (where clicked_12m) as campaigns_clicked_12m,
        max(last_open_at) as last_open_at,
        max(last_click_at) as last_click_at,
        bool_or(unsubscribed) as has_unsubscribed,
        sum(bounces_12m) as email_bounces_12m
    from email_campaigns
    group by customer_id
),

consents as (
    select
        x.customer_id,
        arg_max(c.consent_status, (c.collected_at, c.consent_status = 'opt_out'))
            filter (where c.consent_channel = 'email') = 'opt_in' as has_email_consent,
        arg_max(c.consent_status, (c.collected_at, c.consent_status = 'opt_out'))
            filter (where c.consent_channel = 'sms') = 'opt_in' as has_sms_consent,
        arg_max(c.consent_status, (c.collected_at, c.consent_status = 'opt_out'))
            filter (where c.consent_channel = 'phone') = 'opt_in' as has_phone_consent,
        arg_max(c.consent_status, (c.collected_at, c.consent_status = 'opt_out'))
            filter (where c.consent_channel = 'post') = 'opt_in' as has_post_consent
    from staging.stg_consent__preferences as c
    inner join referential.customer_xref as x
        on c.source_system = x.source_system and c.source_id = x.source_id
    where c.collected_at < $ref_ts
    group by x.customer_id
),

cards as (
    select distinct x.customer_id
    from referential.customer_xref as x
    inner join staging.stg_loyalty__cards as k
        on x.source_system = 'loyalty' and x.source_id = k.loyalty_card_id
    where k.issued_on < $ref
),

acquisitions as (
    select customer_id, acquisition_channel
    from marketing.dim_customer_acquisition
    where acquired_at < $ref_ts
),

customers as (
    select d.customer_id, d.country_code, d.created_at, d.birth_date
    from referential.dim_customer as d
),

profile as (
    select
        c.customer_id,
        $ref as reference_date,
        c.country_code as business_unit,
        bu.currency_code,

        $ref - least(c.created_at::date, b.first_purchase_date) as tenure_days,
        b.first_purchase_date,
        b.last_purchase_date,
        $ref - b.first_purchase_date as days_since_first_purchase,
        $ref - b.last_purchase_date as recency_days,
        a.acquisition_channel,
        date_sub('year', c.birth_date, $ref) as age_years,
        k.customer_id is not null as has_loyalty_card,

        coalesce(b.frequency_lifetime, 0) as frequency_lifetime,
        coalesce(b.frequency_12m, 0) as frequency_12m,
        coalesce(r.purchase_days_lifetime, 0) as purchase_days_lifetime,
        coalesce(r.active_months_12m, 0) as active_months_12m,
        coalesce(b.orders_last_90d, 0) as orders_last_90d,
        coalesce(b.orders_prior_90d, 0) as orders_prior_90d,

        round(coalesce(sp.monetary_lifetime, 0), 2)::double as monetary_lifetime,
        round(coalesce(sp.monetary_12m, 0), 2)::double as monetary_12m,
        round(coalesce(b.gross_spend_lifetime, 0), 2)::double as gross_spend_lifetime,
        round(coalesce(sp.spend_last_90d, 0), 2)::double as spend_last_90d,
        round(coalesce(sp.spend_prior_90d, 0), 2)::double as spend_prior_90d,
        (coalesce(sp.spend_last_90d, 0) - sp.spend_prior_90d) / nullif(sp.spend_prior_90d, 0) as spend_90d_change,
        lt.margin_amount / nullif(lt.costed_amount, 0) as margin_rate,

        round(b.gross_spend_lifetime / b.frequency_lifetime, 2)::double as avg_basket_value,
        round(b.gross_spend_12m / nullif(b.frequency_12m, 0), 2)::double as avg_basket_value_12m,
        round(b.max_basket_value, 2)::double as max_basket_value,
        b.items_lifetime / b.frequency_lifetime as avg_basket_size,
        b.items_12m / nullif(b.frequency_12m, 0) as avg_basket_size_12m,
        round(b.gross_spend_lifetime / nullif(b.items_lifetime, 0), 2)::double as avg_unit_price,
        coalesce(s.distinct_products, 0) as distinct_products,
        coalesce(s.distinct_departments, 0) as distinct_departments,
        s.premium_spend_share,
        s.entry_spend_share,

        coalesce(b.store_amount, 0) / nullif(b.gross_spend_lifetime, 0) as store_spend_share,
        coalesce(b.web_amount, 0) / nullif(b.gross_spend_lifetime, 0) as web_spend_share,
        coalesce(ps.distinct_stores, 0) as distinct_stores,
        ps.preferred_store_id,
        ps.preferred_store_share,
        b.weekend_purchases / b.frequency_lifetime as weekend_purchase_share,

        lt.discount_amount / nullif(b.gross_spend_lifetime + lt.discount_amount, 0) as discount_rate,
        lt.discounted_lines / nullif(lt.sold_lines, 0) as discounted_line_share,
        coalesce(sp.returned_amount, 0) / nullif(b.gross_spend_lifetime, 0) as return_rate,
        coalesce(sp.returned_orders, 0) as returned_orders,

        r.mean_days_between_purchases,
        r.trend_days_between_purchases,
        r.last_gap_days,
        ($ref - b.last_purchase_date) / nullif(r.mean_days_between_purchases, 0) as expected_gap_ratio,

        coalesce(e.emails_received_12m, 0) as emails_received_12m,
        case when e.emails_received_12m > 0 then least(e.campaigns_opened_12m / e.emails_received_12m, 1) end
            as email_open_rate_12m,
        case when e.emails_received_12m > 0 then least(e.campaigns_clicked_12m / e.emails_received_12m, 1) end
            as email_click_rate_12m,
        $ref - e.last_open_at::date as days_since_last_email_open,
        $ref - e.last_click_at::date as days_since_last_email_click,
        coalesce(e.has_unsubscribed, false) as has_unsubscribed,
        coalesce(e.email_bounces_12m, 0) as email_bounces_12m,

        coalesce(cs.has_email_consent, false) as has_email_consent,
        coalesce(cs.has_sms_consent, false) as has_sms_consent,
        coalesce(cs.has_phone_consent, false) as has_phone_consent,
        coalesce(cs.has_post_consent, false) as has_post_consent
    from customers as c
    left join referential.business_units as bu on c.country_code = bu.country_code
    left join buying as b on c.customer_id = b.customer_id
    left join spend as sp on c.customer_id = sp.customer_id
    left join feat_line_totals as lt on c.customer_id = lt.customer_id
    left join rhythm as r on c.customer_id = r.customer_id
    left join preferred_store as ps on c.customer_id = ps.customer_id
    left join assortment as s on c.customer_id = s.customer_id
    left join emails as e on c.customer_id = e.customer_id
    left join consents as cs on c.customer_id = cs.customer_id
    left join cards as k on c.customer_id = k.customer_id
    left join acquisitions as a on c.customer_id = a.customer_id
    -- known before the reference date: a source record, or a purchase
    where c.created_at < $ref_ts or b.customer_id is not null or sp.customer_id is not null
)

select * from profile
"""


def departments(conn: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """(department name, profile column) of every department of the catalogue, in a stable order."""
    rows = conn.execute(
        "select distinct department_name from referential.dim_product where department_name is not null order by 1"
    ).fetchall()
    return [(name, department_column(name)) for (name,) in rows]


def customer_profile(conn: duckdb.DuckDBPyConnection, reference_date: date) -> duckdb.DuckDBPyRelation:
    """One row per customer known before ``reference_date`` (a source record or a purchase before it),
    with the indicators of ``indicators.py``; builds two temp tables on ``conn``."""
    params = {"ref": reference_date}
    for sql in (ORDERS_SQL, RETURNS_SQL, LINE_TOTALS_SQL, DEPARTMENTS_SQL):
        conn.execute(sql, params)
    shares = ",\n".join(
        f"coalesce(sum(sold_amount) filter (where department_name = '{name.replace(chr(39), chr(39) * 2)}'), 0) "
        f"/ nullif(sum(sold_amount), 0) as {column}"
        for name, column in departments(conn)
    )
    ref_ts = f"timestamp '{reference_date.isoformat()}'"
    base = PROFILE_SQL.replace("$ref_ts", ref_ts).replace("$ref", f"date '{reference_date.isoformat()}'")
    conn.execute(f"create or replace temp table feat_profile as {base}")
    if shares:
        conn.execute(
            f"create or replace temp table feat_shares as select customer_id, {shares} "
            "from feat_departments group by customer_id"
        )
        return conn.sql(
            "select p.*, "
            + ", ".join(f"s.{c}" for _, c in departments(conn))
            + " from feat_profile as p left join feat_shares as s using (customer_id)"
        )
    return conn.sql("select * from feat_profile")


def column_comments(department_names: list[tuple[str, str]]) -> dict[str, str]:
    """Column -> "definition (unit)", for COMMENT ON COLUMN."""
    comments = {i.name: f"{i.definition} ({i.unit})" for i in (*KEYS, *INDICATORS)}
    for name, column in department_names:
        comments[column] = f"Share of the sold amount in the department {name!r} (share 0-1)."
    return comments
