"""The customer profile: 50+ indicators per customer as of a reference date, in DuckDB SQL (or Spark SQL).

Scan-and-aggregate work stays in DuckDB (20M sales lines in seconds, out of core if needed); the
functions take a connection and a date and return relations, the asset writes them. The same query
in Spark SQL, for a warehouse on Spark, is ``profile_query(..., dialect="spark")``: the SQL below is
written once, and the constructs the engines spell differently are ``$name(...)`` calls rendered per
engine by ``dialects.py``. Every input
is cut at the reference date: sales lines by local sale date (``sold_date``; a web return booked
later is not yet known), events, consents, cards and acquisitions by their own time.
"""

from __future__ import annotations

from datetime import date, timedelta

import duckdb

from platform_assets.features.browsing import PROFILE_COLUMNS as BROWSING_COLUMNS
from platform_assets.features.browsing import PROFILE_CTES as BROWSING_CTES
from platform_assets.features.browsing import web_events_sql
from platform_assets.features.dialects import DIALECTS, render
from platform_assets.features.indicators import INDICATORS, KEYS, absent_indicators, department_column
from platform_assets.lib.engine_queries import Scan, on_duckdb
from platform_assets.lib.tables import table_exists
from platform_assets.profit.catchment import UNKNOWN

TABLE = "features.customer_profile"
# The warehouse tables the profile query reads, by the names an engine's catalog must hold them under.
INPUT_TABLES = (
    "sales.fct_orders",
    "sales.fct_sales_lines",
    "referential.dim_customer",
    "referential.dim_product",
    "referential.business_units",
    "referential.customer_xref",
    "marketing.fct_email_events",
    "marketing.dim_customer_acquisition",
    "marketing.fct_web_events",
    "intermediate.int_consent_choices",
    "staging.stg_loyalty__cards",
)

# Amounts stay DECIMAL until the final select: exact sums, so a recomputation gives the same
# cents whatever order the threads add them in (18 digits: 64-bit sums, not 128).
#
# Purchases come from sales.fct_orders (one row per order, already summed by dbt): a sold line is
# booked on its order's date, so an order dated before the reference date is a purchase known then.
# Returns are not: a web return is booked later on its order, so they come from the return lines
# booked before the reference date, dated by their order (a till return receipt is its own order).
# Both are CTEs of the profile query, not temp tables: writing them cost more than scanning twice.
ORDERS_SQL = """
select
    customer_id,
    channel,
    store_id,
    ordered_date as order_date,
    gross_amount::decimal(18, 2) as sold_amount,
    items::bigint as items
from sales.fct_orders
where customer_id is not null
    and not is_cancelled
    and not is_return_only
    and ordered_date < $ref
"""

# The e-mail campaigns, numbered from 0 (a bit each in the profile's e-mail aggregates).
EMAIL_CAMPAIGNS_SQL = """
create or replace temp table feat_email_campaigns as
select email_campaign_id, (row_number() over (order by email_campaign_id) - 1)::integer as campaign_bit
from (select distinct email_campaign_id from marketing.fct_email_events where email_campaign_id is not null)
"""

RETURNS_SQL = """
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

# Everything the profile needs from the sold lines, in one pass grouped by customer: line totals
# (discounts, margin), spend per price tier and per department (one filtered sum per department of
# the catalogue), the departments bought from (a bit per department) and the distinct products (a
# bit per catalogue product; products missing from the catalogue counted apart). One key and no
# customer x product grouping: this used to be three scans, one of them 12M groups at 1M customers.
LINES_SQL = """
with
products as (
    select
        product_id,
        (row_number() over (order by product_id) - 1)::integer as product_bit,
        department_name,
        case when department_name is not null
            then 1::bigint << (dense_rank() over (order by department_name) - 1) end as department_bit,
        price_tier
    from referential.dim_product
)

select
    l.customer_id,
    count(*) as sold_lines,
    count(*) filter (where l.discount_amount > 0) as discounted_lines,
    sum(l.discount_amount)::decimal(18, 2) as discount_amount,
    sum(l.margin_amount)::decimal(18, 2) as margin_amount,
    (sum(l.net_amount) filter (where l.cost_amount is not null))::decimal(18, 2) as costed_amount,
    sum(l.net_amount) as sold_amount,
    sum(l.net_amount) filter (where p.price_tier = 'premium') as premium_amount,
    sum(l.net_amount) filter (where p.price_tier = 'entry') as entry_amount,
    $department_columns
    $product_count as distinct_products
from sales.fct_sales_lines as l
left join products as p on l.product_id = p.product_id
where l.customer_id is not null
    and not l.is_cancelled
    and not l.is_return
    and l.sold_date < $ref
group by l.customer_id
"""

# The per-customer indicators. Purchases are first summed per customer and day (the rhythm counts
# distinct purchase days; everything else adds up), then per customer: no window function. The gap
# statistics follow from the purchase days' count, first, last, second-to-last and sum: the gaps add
# up to last - first (their mean), and their least-squares slope against their rank is an exact
# integer ratio (the formula below), computed in integers and divided once.
PROFILE_SQL = """
with
$lines_cte
feat_orders as ($orders_sql),

feat_returns as ($returns_sql),

days as (
    -- a day's sums cast back to 64 bits (exact: one customer's day), so that the sums over days
    -- below add 64-bit values
    select
        customer_id,
        order_date as purchase_date,
        count(*) as orders,
        sum(sold_amount)::decimal(18, 2) as sold_amount,
        max(sold_amount) as max_basket_value,
        sum(items)::bigint as items,
        (sum(sold_amount) filter (where channel = 'store'))::decimal(18, 2) as store_amount,
        (sum(sold_amount) filter (where channel = 'web'))::decimal(18, 2) as web_amount
    from feat_orders
    group by customer_id, order_date
),

buying as (
    select
        customer_id,
        min(purchase_date) as first_purchase_date,
        max(purchase_date) as last_purchase_date,
        sum(orders)::bigint as frequency_lifetime,
        coalesce(sum(orders) filter (where purchase_date >= $ref - 365), 0)::bigint as frequency_12m,
        coalesce(sum(orders) filter (where purchase_date >= $ref - 90), 0)::bigint as orders_last_90d,
        coalesce(sum(orders) filter (where purchase_date >= $ref - 180 and purchase_date < $ref - 90), 0)::bigint
            as orders_prior_90d,
        sum(sold_amount) as gross_spend_lifetime,
        sum(sold_amount) filter (where purchase_date >= $ref - 365) as gross_spend_12m,
        sum(sold_amount) filter (where purchase_date >= $ref - 90) as sold_last_90d,
        sum(sold_amount) filter (where purchase_date >= $ref - 180 and purchase_date < $ref - 90) as sold_prior_90d,
        max(max_basket_value) as max_basket_value,
        sum(items) as items_lifetime,
        sum(items) filter (where purchase_date >= $ref - 365) as items_12m,
        sum(store_amount) as store_amount,
        sum(web_amount) as web_amount,
        coalesce(sum(orders) filter (where $is_weekend(purchase_date)), 0)::bigint as weekend_purchases,
        -- rhythm, over distinct purchase days
        count(*) as purchase_days_lifetime,
        bit_count(
            bit_or(
                case when purchase_date >= $ref - 365
                    then 1::bigint << (year(purchase_date) * 12 + month(purchase_date) - $first_month_12m) end
            )
        )::bigint as active_months_12m,
        $max_two(purchase_date) as last_two_days,
        sum($days(purchase_date, $ref)) as day_sum
    from days
    group by customer_id
),

rhythm as (
    select
        *,
        case when purchase_days_lifetime >= 2
            then $days(last_purchase_date, first_purchase_date) / (purchase_days_lifetime - 1) end
            as mean_days_between_purchases,
        -- gaps g_i = d_i - d_(i-1) at ranks i = 2..n: k = n - 1 points, sum(i) = n(n+1)/2 - 1,
        -- sum(i^2) = n(n+1)(2n+1)/6 - 1, sum(g) = d_n - d_1, sum(i g_i) = (n+1) d_n - sum(d) - d_1
        case when purchase_days_lifetime >= 3 then (
            (n - 1) * ((n + 1) * d_last - day_sum - d_first) - ($div(n * (n + 1), 2) - 1) * (d_last - d_first)
        )::double / (
            (n - 1) * ($div(n * (n + 1) * (2 * n + 1), 6) - 1) - ($div(n * (n + 1), 2) - 1) * ($div(n * (n + 1), 2) - 1)
        )::double end as trend_days_between_purchases,
        $days($item(last_two_days, 1), $item(last_two_days, 2)) as last_gap_days
    from (
        select
            *,
            cast(purchase_days_lifetime as $int128()) as n,
            cast($days(last_purchase_date, $ref) as $int128()) as d_last,
            cast($days(first_purchase_date, $ref) as $int128()) as d_first
        from buying
    )
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
    from feat_orders
    where channel = 'store'
    group by all
),

preferred_store as (
    select
        customer_id,
        $first_by(store_id, purchases desc, amount desc, store_id) as preferred_store_id,
        max(purchases) / sum(purchases) as preferred_store_share,
        count(*) as distinct_stores
    from store_visits
    group by customer_id
),

-- per customer in one pass: the campaigns with a send, an open or a click in the last 12 months as
-- one bit per campaign each (feat_email_campaigns numbers them; Spark has no bitstrings: the sets of
-- their ids), so the rates need no distinct counts and no customer x campaign grouping; an event
-- without a campaign counts as one of its own
emails as (
    select
        e.customer_id,
        $campaigns_sent as emails_received_12m,
        $campaigns_open as campaigns_opened_12m,
        $campaigns_click as campaigns_clicked_12m,
        max(e.event_at) filter (where e.event_type = 'open') as last_open_at,
        max(e.event_at) filter (where e.event_type = 'click') as last_click_at,
        bool_or(e.event_type = 'unsubscribe') as has_unsubscribed,
        cast(count(*) filter (where e.event_type = 'bounce' and e.event_at >= $ref_ts - interval 365 day) as $int128())
            as email_bounces_12m
    from marketing.fct_email_events as e
    $campaign_join
    where e.customer_id is not null and e.event_at < $ref_ts
    group by e.customer_id
),

-- the latest choice per source record and channel first, then per customer over their source
-- records: the same latest choice, with 4x fewer rows to join. A choice is one integer, its time
-- then its status (at the same time opt-out 3 wins, then any other status 2, then opt-in 1), so the
-- latest choice is a max() of integers and an opt-in is a latest choice that ends in 1 (base 4)
consent_choices as (
    select
        source_system,
        source_id,
        consent_channel,
        $epoch_us(collected_at) * 4
        + case consent_status when 'opt_out' then 3 when 'opt_in' then 1 else 2 end as choice
    from intermediate.int_consent_choices  -- the e-mail tool's unsubscribes and hard bounces included
    where collected_at < $ref_ts and consent_status is not null
),

consent_records as (
    select
        source_system,
        source_id,
        max(choice) filter (where consent_channel = 'email') as email_choice,
        max(choice) filter (where consent_channel = 'sms') as sms_choice,
        max(choice) filter (where consent_channel = 'phone') as phone_choice,
        max(choice) filter (where consent_channel = 'post') as post_choice
    from consent_choices
    group by source_system, source_id
),

consents as (
    select
        x.customer_id,
        max(c.email_choice) % 4 = 1 as has_email_consent,
        max(c.sms_choice) % 4 = 1 as has_sms_consent,
        max(c.phone_choice) % 4 = 1 as has_phone_consent,
        max(c.post_choice) % 4 = 1 as has_post_consent
    from consent_records as c
    inner join referential.customer_xref as x
        on c.source_system = x.source_system and c.source_id = x.source_id
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

$browsing_ctes
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

        $days($ref, least(c.created_at::date, b.first_purchase_date)) as tenure_days,
        b.first_purchase_date,
        b.last_purchase_date,
        $days($ref, b.first_purchase_date) as days_since_first_purchase,
        $days($ref, b.last_purchase_date) as recency_days,
        a.acquisition_channel,
        $years_between(c.birth_date, $ref) as age_years,
        k.customer_id is not null as has_loyalty_card,

        coalesce(b.frequency_lifetime, 0) as frequency_lifetime,
        coalesce(b.frequency_12m, 0) as frequency_12m,
        coalesce(b.purchase_days_lifetime, 0) as purchase_days_lifetime,
        coalesce(b.active_months_12m, 0) as active_months_12m,
        coalesce(b.orders_last_90d, 0) as orders_last_90d,
        coalesce(b.orders_prior_90d, 0) as orders_prior_90d,

        round(coalesce(sp.monetary_lifetime, 0), 2)::double as monetary_lifetime,
        round(coalesce(sp.monetary_12m, 0), 2)::double as monetary_12m,
        round(coalesce(b.gross_spend_lifetime, 0), 2)::double as gross_spend_lifetime,
        round(coalesce(sp.spend_last_90d, 0), 2)::double as spend_last_90d,
        round(coalesce(sp.spend_prior_90d, 0), 2)::double as spend_prior_90d,
        $ratio(coalesce(sp.spend_last_90d, 0) - sp.spend_prior_90d, nullif(sp.spend_prior_90d, 0)) as spend_90d_change,
        $ratio(lt.margin_amount, nullif(lt.costed_amount, 0)) as margin_rate,

        $round_cents($ratio(b.gross_spend_lifetime, b.frequency_lifetime))::double as avg_basket_value,
        $round_cents($ratio(b.gross_spend_12m, nullif(b.frequency_12m, 0)))::double as avg_basket_value_12m,
        round(b.max_basket_value, 2)::double as max_basket_value,
        b.items_lifetime / b.frequency_lifetime as avg_basket_size,
        b.items_12m / nullif(b.frequency_12m, 0) as avg_basket_size_12m,
        $round_cents($ratio(b.gross_spend_lifetime, nullif(b.items_lifetime, 0)))::double as avg_unit_price,
        coalesce(lt.distinct_products, 0) as distinct_products,
        coalesce(lt.distinct_departments, 0) as distinct_departments,
        $ratio(coalesce(lt.premium_amount, 0), nullif(lt.sold_amount, 0)) as premium_spend_share,
        $ratio(coalesce(lt.entry_amount, 0), nullif(lt.sold_amount, 0)) as entry_spend_share,

        $ratio(coalesce(b.store_amount, 0), nullif(b.gross_spend_lifetime, 0)) as store_spend_share,
        $ratio(coalesce(b.web_amount, 0), nullif(b.gross_spend_lifetime, 0)) as web_spend_share,
        coalesce(ps.distinct_stores, 0) as distinct_stores,
        ps.preferred_store_id,
        ps.preferred_store_share,
        b.weekend_purchases / b.frequency_lifetime as weekend_purchase_share,

        $ratio(lt.discount_amount, nullif(b.gross_spend_lifetime + lt.discount_amount, 0)) as discount_rate,
        lt.discounted_lines / nullif(lt.sold_lines, 0) as discounted_line_share,
        $ratio(coalesce(sp.returned_amount, 0), nullif(b.gross_spend_lifetime, 0)) as return_rate,
        coalesce(sp.returned_orders, 0) as returned_orders,

        b.mean_days_between_purchases,
        b.trend_days_between_purchases,
        b.last_gap_days,
        $days($ref, b.last_purchase_date) / nullif(b.mean_days_between_purchases, 0) as expected_gap_ratio,

        coalesce(e.emails_received_12m, 0) as emails_received_12m,
        case when e.emails_received_12m > 0 then least(e.campaigns_opened_12m / e.emails_received_12m, 1) end
            as email_open_rate_12m,
        case when e.emails_received_12m > 0 then least(e.campaigns_clicked_12m / e.emails_received_12m, 1) end
            as email_click_rate_12m,
        $days($ref, e.last_open_at::date) as days_since_last_email_open,
        $days($ref, e.last_click_at::date) as days_since_last_email_click,
        coalesce(e.has_unsubscribed, false) as has_unsubscribed,
        coalesce(e.email_bounces_12m, 0) as email_bounces_12m,

        coalesce(cs.has_email_consent, false) as has_email_consent,
        coalesce(cs.has_sms_consent, false) as has_sms_consent,
        coalesce(cs.has_phone_consent, false) as has_phone_consent,
        coalesce(cs.has_post_consent, false) as has_post_consent$browsing_columns$department_shares
    from customers as c
    left join referential.business_units as bu on c.country_code = bu.country_code
    left join rhythm as b on c.customer_id = b.customer_id
    left join spend as sp on c.customer_id = sp.customer_id
    left join feat_lines as lt on c.customer_id = lt.customer_id
    left join preferred_store as ps on c.customer_id = ps.customer_id
    left join emails as e on c.customer_id = e.customer_id
    left join consents as cs on c.customer_id = cs.customer_id
    left join cards as k on c.customer_id = k.customer_id
    left join acquisitions as a on c.customer_id = a.customer_id
    left join web as w on c.customer_id = w.customer_id
    left join web_views as wv on c.customer_id = wv.customer_id
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


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _campaign_count(event_type: str, campaigns: int, dialect: str) -> str:
    """Distinct campaigns with an event of ``event_type`` in the 12 months before the reference date
    (0 when none): a bit per numbered campaign (DuckDB), plus one for events without a campaign."""
    window = f"e.event_type = '{event_type}' and e.event_at >= $ref_ts - interval 365 day"
    if dialect == "spark":  # no bitstrings: the set of the campaigns' ids (nulls left out)
        numbered = f"size(collect_set(e.email_campaign_id) filter (where {window}))"
    elif campaigns:
        numbered = f"coalesce(bit_count(bitstring_agg(c.campaign_bit, 0, {campaigns - 1}) filter (where {window})), 0)"
    else:
        numbered = "0"
    return f"({numbered} + (coalesce(bool_or(e.email_campaign_id is null) filter (where {window}), false))::bigint)"


def _product_count(products: int, dialect: str) -> str:
    """Distinct products bought, a null id counted as one: one bit per catalogue product (DuckDB); a
    product missing from the catalogue (or a null id, a group of its own in a grouping) counts apart."""
    if dialect == "spark":  # no bitstrings: the set of the products' ids (nulls left out)
        return "cast(size(collect_set(l.product_id)) + (bool_or(l.product_id is null))::integer as $int128())"
    catalogue_products = f"bit_count(bitstring_agg(p.product_bit, 0, {products - 1}))" if products else "0"
    return (
        f"(coalesce({catalogue_products}, 0)"
        " + coalesce(len(list_distinct(list(l.product_id) filter (where p.product_bit is null))), 0)"
        " + (bool_or(l.product_id is null))::integer)::hugeint"
    )


def _literals(sql: str, reference_date: date) -> str:
    return sql.replace("$ref_ts", f"timestamp '{reference_date.isoformat()}'").replace(
        "$ref", f"date '{reference_date.isoformat()}'"
    )


def lines_query(
    reference_date: date, departments: list[tuple[str, str]], products: int = 0, dialect: str = "duckdb"
) -> str:
    """The lines pass (``feat_lines``: one row per customer) as of ``reference_date``. ``departments``:
    ``departments(conn)``; ``products``: the rows of ``referential.dim_product`` (DuckDB's bit width)."""
    department_columns = "".join(
        f"sum(l.net_amount) filter (where p.department_name = {_quoted(name)}) as {column},\n    "
        for name, column in departments
    )
    # one bit per department of the catalogue (a bigint holds 62 of them), else one flag each
    department_count = (
        "coalesce(bit_count(bit_or(p.department_bit)), 0)"
        if len(departments) <= 62
        else " + ".join(
            f"(bool_or(p.department_name = {_quoted(name)}) is true)::bigint" for name, _ in departments
        )
    )
    department_columns += f"({department_count})::bigint as distinct_departments,\n    "
    sql = LINES_SQL.replace("$department_columns", department_columns).replace(
        "$product_count", _product_count(products, dialect)
    )
    return render(_literals(sql, reference_date), dialect)


# What differs in the query's shape: DuckDB reads the lines pass and the numbered campaigns from the
# temp tables ``customer_profile`` writes first; Spark's query is one statement, the lines pass a CTE
# and the campaigns counted as sets of ids (no numbering to join).
CAMPAIGN_JOIN = {
    "duckdb": "left join feat_email_campaigns as c on e.email_campaign_id = c.email_campaign_id",
    "spark": "",
}


def profile_query(
    reference_date: date,
    departments: list[tuple[str, str]],
    absent_sources: tuple[str, ...] = (),
    *,
    campaigns: int = 0,
    dialect: str = "duckdb",
) -> str:
    """The profile as of ``reference_date`` (one row per customer known before it, the indicators of
    ``indicators.py``), as one query text in ``dialect`` ("duckdb" or "spark": Spark SQL, Spark 4).
    ``departments``: ``departments(conn)``, the catalogue's departments (a spend share column each).
    ``absent_sources``: contract tables the retailer does not deliver; the indicators computed from
    them are null (of their type) for every customer, not the 0 or false an empty table would give.

    Spark's query is self-contained: it reads the warehouse's tables by their schema-qualified names
    (``sales.fct_orders``, ``referential.dim_customer``, ...) and nothing else. DuckDB's reads two temp
    tables besides, which ``customer_profile`` writes first: ``feat_lines`` (``lines_query``) and
    ``feat_email_campaigns`` (``EMAIL_CAMPAIGNS_SQL``), whose row count is ``campaigns``."""
    if dialect not in DIALECTS:
        raise ValueError(f"unknown SQL dialect {dialect!r}: use one of {', '.join(DIALECTS)}")
    first_month_12m = reference_date - timedelta(days=365)
    shares = "".join(
        f",\n        $ratio(coalesce(lt.{column}, 0), nullif(lt.sold_amount, 0)) as {column}"
        for _, column in departments
    )
    lines_cte = (
        f"feat_lines as ({lines_query(reference_date, departments, dialect=dialect)}),\n"
        if dialect == "spark"
        else ""
    )
    sql = (
        PROFILE_SQL.replace("$lines_cte", lines_cte)
        .replace("$orders_sql", ORDERS_SQL)
        .replace("$browsing_ctes", BROWSING_CTES.replace("$web_events_sql", web_events_sql(dialect)))
        .replace("$browsing_columns", BROWSING_COLUMNS)
        .replace("$returns_sql", RETURNS_SQL)
        .replace("$department_shares", shares)
        .replace("$campaigns_sent", _campaign_count("sent", campaigns, dialect))
        .replace("$campaigns_open", _campaign_count("open", campaigns, dialect))
        .replace("$campaigns_click", _campaign_count("click", campaigns, dialect))
        .replace("$campaign_join", CAMPAIGN_JOIN[dialect])
        .replace("$first_month_12m", str(first_month_12m.year * 12 + first_month_12m.month))
    )
    sql = render(_literals(sql, reference_date), dialect)
    nulled = null_indicators(absent_sources)
    if not nulled:
        return sql
    replaced = {name: f"case when false then {name} end as {name}" for name in nulled}
    if dialect == "duckdb":
        return f"select * replace ({', '.join(replaced.values())}) from ({sql})"
    # Spark has no `select * replace`: every column, in the query's order
    columns = ", ".join(replaced.get(name, name) for name in output_columns(sql))
    return f"select {columns} from ({sql})"


def output_columns(sql: str) -> list[str]:
    """The names of the columns of a Spark SQL query, in order (read by sqlglot: a query it cannot
    parse raises, nothing is guessed); ``select * from <cte>`` names the columns of that CTE."""
    import sqlglot
    from sqlglot import exp

    tree = sqlglot.parse_one(sql, read="spark", error_level=sqlglot.ErrorLevel.RAISE)
    names = tree.named_selects
    if names == ["*"]:
        [source] = [t.name for t in tree.find_all(exp.From) if t.parent is tree]
        [cte] = [c for c in tree.ctes if c.alias == source]
        names = cte.this.named_selects
    if "*" in names or not names:
        raise ValueError("the profile's columns cannot be listed: a `*` is left among them")
    return names


def customer_profile(
    conn: duckdb.DuckDBPyConnection,
    reference_date: date,
    absent_sources: tuple[str, ...] = (),
    scan: Scan = on_duckdb,
) -> duckdb.DuckDBPyRelation:
    """One row per customer known before ``reference_date`` (a source record or a purchase before it),
    with the indicators of ``indicators.py``; builds two temp tables on ``conn`` (the lines pass, the
    numbered e-mail campaigns) and returns the final query (not run: the asset writes it straight into its table).
    ``absent_sources``: contract tables the retailer does not deliver; the indicators computed from
    them are null (of their type) for every customer, not the 0 or false an empty table would give.
    ``scan``: where the facts are scanned (lib/engine_queries.py). On Spark the whole profile is Spark's
    query and the temp tables are written empty: DuckDB's query is only bound, for the columns' types."""
    names = departments(conn)
    [(products,)] = conn.execute("select count(*) from referential.dim_product").fetchall()
    on_engine = scan.engine != "duckdb"
    empty = " limit 0" if on_engine else ""
    conn.execute(
        f"create or replace temp table feat_lines as {lines_query(reference_date, names, products)}{empty}"
    )
    conn.execute(EMAIL_CAMPAIGNS_SQL + empty)
    [(campaigns,)] = conn.execute("select count(*) from feat_email_campaigns").fetchall()
    duckdb_sql = profile_query(reference_date, names, absent_sources, campaigns=campaigns)
    if not on_engine:
        return conn.sql(duckdb_sql)
    spark_sql = profile_query(reference_date, names, absent_sources, dialect="spark")
    return conn.sql(scan(duckdb_sql, INPUT_TABLES, spark_sql=spark_sql))


def null_indicators(absent_sources: tuple[str, ...]) -> list[str]:
    """Names of the indicators null for everyone because one of their sources is not delivered."""
    return [i.name for i in absent_indicators(absent_sources)]


def column_comments(department_names: list[tuple[str, str]]) -> dict[str, str]:
    """Column -> "definition (unit)", for COMMENT ON COLUMN."""
    comments = {i.name: i.documentation for i in (*KEYS, *INDICATORS)}
    for name, column in department_names:
        comments[column] = f"Share of the sold amount in the department {name!r} (share 0-1)."
    return comments


def counts(conn: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    """(customers with a purchase, indicators) of the written profile."""
    [(buyers, columns)] = conn.execute(
        f"select count(*) filter (where frequency_lifetime > 0), (select count(*) from duckdb_columns() "
        f"where schema_name = 'features' and table_name = 'customer_profile') from {TABLE}"
    ).fetchall()
    return int(buyers), int(columns) - len(KEYS)


# The customer's catchment (features.customer_catchment, built from postcode centroids by the profit
# package) as columns of the written profile; the backtests' profiles as of earlier cutoffs do without.
CATCHMENT = "features.customer_catchment"
CATCHMENT_COLUMNS = {
    "nearest_store_id": "Nearest physical store of the customer's business unit to their postcode centroid "
    "(features.customer_catchment); null when the postcode is missing or unknown.",
    "distance_km": "Great-circle distance from the postcode centroid to that store (km); null when not located.",
    "distance_band": "Catchment band of that distance (retailer configuration `catchment.distance_bands_km`), or "
    "'unknown' when the postcode is missing or not among the centroids.",
}


def with_catchment(conn: duckdb.DuckDBPyConnection, profile_sql: str) -> str:
    """The profile with the catchment columns; 'unknown' band for a customer the catchment does not
    place. The catchment depends on addresses and stores only, not on the day (its reference_date is
    a stamp), so an earlier run's serves a profile as of another day. Without it, the columns are null."""
    if not table_exists(conn, CATCHMENT):
        return (
            f"select p.*, null::varchar as nearest_store_id, null::double as distance_km, "
            f"null::varchar as distance_band from ({profile_sql}) p"
        )
    return (
        f"select p.*, c.nearest_store_id, c.distance_km, coalesce(c.distance_band, '{UNKNOWN}') as distance_band "
        f"from ({profile_sql}) p left join {CATCHMENT} c using (customer_id)"
    )
