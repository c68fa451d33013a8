"""The product margin matrix (Profit Optimizer), as of a reference date (DuckDB SQL, set-based).

Per product and business unit, over the orders of the ``window_weeks`` before the reference date
(sales lines by their order's local ``ordered_date``, and a web return with the order it came back
from when it came back before the reference date; a store's return receipt is an order of its own
day; cancelled web orders left out):
- **gross margin rate** net of returns and discounts: (net revenue - cost) / net revenue, where net
  revenue is what customers paid after discounts minus what returns refunded, and cost is the units
  kept at the catalogue's cost price (``sales.fct_sales_lines.margin_amount``); a product whose net
  revenue in the window is not positive (no sale, or refunds of older sales over its sales) has none,
  and is placed by its list margin rate ((list - cost) / list);
- **velocity**: units sold (return lines not deducted) per week of the window;
- **return rate**: units returned / units sold.
Every product priced in the business unit (``referential.dim_product_price``) or sold there in the
window has a row; one with no sale has velocity 0.

**Quadrants**: high margin = margin rate (else list margin rate) >= ``margin_rate_threshold``; fast =
velocity > 0 and >= the velocity threshold (fixed ``units_per_week``, or the ``quantile`` of the
velocities of the department's products in the business unit): ``star`` (high, fast), ``traffic_builder``
(low, fast), ``niche`` (high, slow), ``to_review`` (low, slow, or no price and no sale). The
recommended action is the quadrant's, or ``high_returns``' when the return rate is over
``max_return_rate`` (``action_key`` says which).
"""

from __future__ import annotations

from datetime import date

from platform_assets.lib.engine_queries import Scan, on_duckdb
from platform_assets.lib.profit_settings import QUADRANTS, MarginMatrixSettings
from platform_assets.lib.tables import sql_literal

TABLE = "sales.product_margin_matrix"
ACTION_KEYS = (*QUADRANTS, "high_returns")


# What the window sold per product and business unit: the one scan of the sales lines (on the run's
# engine: lib/engine_queries.py), a row per product and unit for the classification to read.
SOLD_READS = ("sales.fct_sales_lines",)


def sold_sql(reference_date: date, weeks: int) -> str:
    ref = f"date '{reference_date.isoformat()}'"
    return f"""
with
lines as (
    select
        product_id,
        country_code as business_unit,
        currency_code,
        quantity,
        -- decimals, summed exactly (the same sums whatever the order of addition), then doubles
        quantity * unit_price as list_amount,
        discount_amount,
        net_amount,
        margin_amount,
        is_return
    from sales.fct_sales_lines
    where not is_cancelled
        and ordered_date >= {ref} - {7 * weeks}
        and ordered_date < {ref}
        and sold_date < {ref}
),

sold as (
    select
        product_id,
        business_unit,
        any_value(currency_code) as currency_code,
        coalesce(sum(quantity) filter (where not is_return), 0) as units_sold,
        coalesce(-sum(quantity) filter (where is_return), 0) as units_returned,
        coalesce(sum(list_amount) filter (where not is_return), 0)::double as sales_at_paid_unit_price,
        coalesce(sum(discount_amount) filter (where not is_return), 0)::double as discount_amount,
        coalesce(-sum(net_amount) filter (where is_return), 0)::double as returned_amount,
        coalesce(sum(net_amount), 0)::double as net_revenue,
        sum(margin_amount)::double as gross_margin
    from lines
    group by product_id, business_unit
)

select * from sold
"""


def margin_matrix_sql(settings: MarginMatrixSettings, reference_date: date, scan: Scan = on_duckdb) -> str:
    """The matrix as of ``reference_date``: the window's sales lines scanned where ``scan`` runs, the
    classification (thresholds, quadrants, actions) over its row per product in DuckDB."""
    ref = f"date '{reference_date.isoformat()}'"
    weeks = settings.window_weeks
    v = settings.velocity_threshold
    threshold = (
        f"{v.units_per_week!r}"
        if v.units_per_week is not None
        else f"quantile_cont(velocity, {v.quantile!r}) over (partition by business_unit, department_id)"
    )
    actions = ", ".join(f"({sql_literal(k)}, {sql_literal(settings.actions[k])})" for k in ACTION_KEYS)
    return f"""
with
sold as ({scan(sold_sql(reference_date, weeks), SOLD_READS)}),

priced as (
    select product_id, country_code as business_unit, currency_code, list_price::double as list_price,
           cost_price::double as cost_price
    from referential.dim_product_price
),

products as (
    select
        coalesce(s.product_id, p.product_id) as product_id,
        coalesce(s.business_unit, p.business_unit) as business_unit,
        coalesce(s.currency_code, p.currency_code) as currency_code,
        d.department_id,
        d.department_name,
        d.category_name,
        p.list_price,
        p.cost_price,
        coalesce(s.units_sold, 0) as units_sold,
        coalesce(s.units_returned, 0) as units_returned,
        coalesce(s.net_revenue, 0) as net_revenue,
        coalesce(s.gross_margin, 0) as gross_margin,
        coalesce(s.discount_amount, 0) as discount_amount,
        coalesce(s.returned_amount, 0) as returned_amount,
        case when s.net_revenue > 0 then s.gross_margin / s.net_revenue end as margin_rate,
        (p.list_price - p.cost_price) / nullif(p.list_price, 0) as list_margin_rate,
        s.discount_amount / nullif(s.sales_at_paid_unit_price, 0) as discount_rate,
        coalesce(s.units_sold, 0) / {float(weeks)!r} as velocity,
        s.units_returned / nullif(s.units_sold, 0) as return_rate
    from sold as s
    full outer join priced as p using (product_id, business_unit)
    left join referential.dim_product as d on d.product_id = coalesce(s.product_id, p.product_id)
),

placed as (
    select
        *,
        {threshold} as velocity_threshold,
        coalesce(margin_rate, list_margin_rate) >= {settings.margin_rate_threshold!r} as is_high_margin
    from products
),

classified as (
    select
        *,
        velocity > 0 and velocity >= velocity_threshold as is_fast,
        case
            when is_high_margin and velocity > 0 and velocity >= velocity_threshold then 'star'
            when is_high_margin then 'niche'
            when velocity > 0 and velocity >= velocity_threshold and is_high_margin is not null
                then 'traffic_builder'
            else 'to_review'
        end as quadrant,
        coalesce(return_rate > {settings.max_return_rate!r}, false) as has_high_return_rate
    from placed
),

actions as (
    select * from (values {actions}) as a(action_key, recommended_action)
)

select
    c.business_unit,
    c.product_id,
    {ref} as reference_date,
    c.currency_code,
    c.department_id,
    c.department_name,
    c.category_name,
    {weeks}::integer as window_weeks,
    c.list_price,
    c.cost_price,
    c.units_sold::bigint as units_sold,
    c.units_returned::bigint as units_returned,
    round(c.net_revenue, 2) as net_revenue,
    round(c.gross_margin, 2) as gross_margin,
    round(c.discount_amount, 2) as discount_amount,
    round(c.returned_amount, 2) as returned_amount,
    c.margin_rate,
    c.list_margin_rate,
    c.discount_rate,
    c.velocity,
    c.velocity_threshold,
    c.return_rate,
    coalesce(c.is_high_margin, false) as is_high_margin,
    coalesce(c.is_fast, false) as is_fast,
    c.has_high_return_rate,
    c.quadrant,
    a.action_key,
    a.recommended_action
from classified as c
inner join actions as a
    on a.action_key = case when c.has_high_return_rate then 'high_returns' else c.quadrant end
order by c.business_unit, c.product_id
"""
