"""LTV/CAC per acquisition channel and business unit, as of a reference date (DuckDB SQL).

Two cohorts, so that both numbers are honest on the reference date:
- the **last 12 months' cohort** (acquired in the 365 days before the reference date): its CAC
  (spend of those 365 days / customers acquired) and its predicted value of the next 12 months
  (``features.customer_clv``; a customer who has not bought yet counts 0);
- the **prior cohort** (acquired 730 to 365 days before): its CAC over that year and its realised
  value, the net spend of each customer's first 365 days (all before the reference date).
Channels with no paid spend (organic, referral, walk-in) have a CAC of 0 and no ratio.
"""

from __future__ import annotations

from datetime import date

import duckdb

TABLE = "marketing.channel_ltv_cac"
# Sources without which there is no channel to report on (the attribution export).
NEEDS = ("marketing_acquisitions",)

LTV_CAC_SQL = """
with
acquired as (
    select customer_id, acquisition_channel, country_code, acquired_at::date as acquired_date
    from marketing.dim_customer_acquisition
    where acquired_at < $ref_ts and country_code is not null
),

cohorts as (
    select
        *,
        case
            when acquired_date >= $ref - 365 then 'last_12m'
            when acquired_date >= $ref - 730 then 'prior_12m'
        end as cohort
    from acquired
),

first_year_value as (
    select c.customer_id, coalesce(sum(l.net_amount), 0)::double as value
    from cohorts as c
    left join sales.fct_sales_lines as l
        on l.customer_id = c.customer_id
        and not l.is_cancelled
        and l.sold_date >= c.acquired_date
        and l.sold_date < c.acquired_date + 365
    where c.cohort = 'prior_12m'
    group by c.customer_id
),

customers as (
    select
        c.country_code,
        c.acquisition_channel,
        count(*) filter (where c.cohort = 'last_12m') as customers_acquired_12m,
        -- exact sums of cents (decimal): the same result whatever the order of addition
        coalesce(sum(v.expected_value::decimal(18, 2)) filter (where c.cohort = 'last_12m'), 0)::double
            as predicted_value,
        count(*) filter (where c.cohort = 'prior_12m') as customers_acquired_prior_12m,
        coalesce(sum(f.value::decimal(18, 2)) filter (where c.cohort = 'prior_12m'), 0)::double as realised_value
    from cohorts as c
    left join features.customer_clv as v on c.customer_id = v.customer_id
    left join first_year_value as f on c.customer_id = f.customer_id
    where c.cohort is not null
    group by all
),

spend as (
    select
        country_code,
        acquisition_channel,
        coalesce(sum(spend_amount) filter (where spend_date >= $ref - 365), 0)::double as spend_12m,
        coalesce(sum(spend_amount) filter (where spend_date < $ref - 365 and spend_date >= $ref - 730), 0)::double
            as spend_prior_12m
    from marketing.fct_marketing_spend
    where spend_date < $ref
    group by all
),

final as (
    select
        coalesce(c.country_code, s.country_code) as business_unit,
        coalesce(c.acquisition_channel, s.acquisition_channel) as acquisition_channel,
        $ref as reference_date,
        bu.currency_code,
        coalesce(s.spend_12m, 0) > 0 or coalesce(s.spend_prior_12m, 0) > 0 as is_paid_channel,

        coalesce(c.customers_acquired_12m, 0) as customers_acquired_12m,
        round(coalesce(s.spend_12m, 0), 2) as marketing_spend_12m,
        round(coalesce(s.spend_12m, 0) / nullif(c.customers_acquired_12m, 0), 2) as cac_12m,
        round(c.predicted_value / nullif(c.customers_acquired_12m, 0), 2) as predicted_ltv_12m,
        round(c.predicted_value / nullif(s.spend_12m, 0), 3) as ltv_cac_predicted,

        coalesce(c.customers_acquired_prior_12m, 0) as customers_acquired_prior_12m,
        round(coalesce(s.spend_prior_12m, 0), 2) as marketing_spend_prior_12m,
        round(coalesce(s.spend_prior_12m, 0) / nullif(c.customers_acquired_prior_12m, 0), 2) as cac_prior_12m,
        round(c.realised_value / nullif(c.customers_acquired_prior_12m, 0), 2) as realised_ltv_12m,
        round(c.realised_value / nullif(s.spend_prior_12m, 0), 3) as ltv_cac_realised
    from customers as c
    full outer join spend as s
        on c.country_code = s.country_code and c.acquisition_channel = s.acquisition_channel
    left join referential.business_units as bu
        on coalesce(c.country_code, s.country_code) = bu.country_code
)

select * from final order by business_unit, acquisition_channel
"""


def channel_ltv_cac(conn: duckdb.DuckDBPyConnection, reference_date: date) -> duckdb.DuckDBPyRelation:
    """One row per business unit and acquisition channel (needs ``features.customer_clv``)."""
    sql = LTV_CAC_SQL.replace("$ref_ts", f"timestamp '{reference_date.isoformat()}'").replace(
        "$ref", f"date '{reference_date.isoformat()}'"
    )
    return conn.sql(sql)


def paid_channels(conn: duckdb.DuckDBPyConnection):
    """The written table's paid channels (polars), the best predicted LTV/CAC first per business unit."""
    return conn.sql(
        "select business_unit, acquisition_channel, customers_acquired_12m, cac_12m, predicted_ltv_12m, "
        "ltv_cac_predicted, cac_prior_12m, realised_ltv_12m, ltv_cac_realised "
        f"from {TABLE} where is_paid_channel order by business_unit, ltv_cac_predicted desc"
    ).pl()
