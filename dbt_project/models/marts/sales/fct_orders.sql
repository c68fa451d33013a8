-- One row per till receipt and per web order, summed from its sales lines.
with

sales_lines as (
    select * from {{ ref('fct_sales_lines') }}
),

web_orders as (
    select * from {{ ref('stg_ecommerce__orders') }}
),

orders as (
    select
        channel,
        order_id,
        -- header attributes: the same on every line of an order
        any_value(customer_id) as customer_id,
        any_value(store_id) as store_id,
        any_value(country_code) as country_code,
        any_value(currency_code) as currency_code,
        any_value(ordered_at) as ordered_at,
        any_value(ordered_date) as ordered_date,
        bool_or(is_cancelled) as is_cancelled,
        bool_or(is_anonymous) as is_anonymous,

        count(*) as n_lines,
        coalesce(sum(quantity) filter (where not is_return), 0) as items,
        coalesce(-sum(quantity) filter (where is_return), 0) as returned_items,
        coalesce(sum(net_amount) filter (where not is_return), 0) as gross_amount,
        coalesce(sum(net_amount) filter (where is_return), 0) as returned_amount,
        sum(net_amount) as net_amount,
        sum(cost_amount) as cost_amount,
        sum(margin_amount) as margin_amount,
        count(*) filter (where cost_amount is null) as n_lines_without_cost,
        bool_and(is_return) as is_return_only,
        max(sold_at) filter (where is_return) as last_returned_at
    from sales_lines
    group by channel, order_id
),

final as (
    select
        -- ids
        orders.order_id,
        orders.channel,
        orders.customer_id,
        orders.store_id,

        -- strings
        orders.country_code,
        orders.currency_code,

        -- numbers
        orders.n_lines,
        orders.items,
        orders.returned_items,
        orders.gross_amount,
        orders.returned_amount,
        orders.net_amount,
        orders.cost_amount,
        orders.margin_amount,
        orders.n_lines_without_cost,
        web_orders.shipping_fee as shipping_amount,

        -- flags
        orders.is_return_only,
        orders.is_cancelled,
        orders.is_anonymous,

        -- timestamps and dates
        orders.ordered_at,
        orders.ordered_date,
        orders.last_returned_at

    from orders
    left join web_orders
        on orders.channel = 'web'
        and orders.order_id = web_orders.ecommerce_order_id
)

select * from final
