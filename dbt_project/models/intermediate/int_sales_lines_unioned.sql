-- Till receipt lines and web order lines in one shape, attributed to a customer, times in UTC.
with

receipts as (
    select * from {{ ref('stg_pos__receipts') }}
),

receipt_lines as (
    select * from {{ ref('stg_pos__receipt_lines') }}
),

web_orders as (
    select * from {{ ref('stg_ecommerce__orders') }}
),

web_order_lines as (
    select * from {{ ref('stg_ecommerce__order_lines') }}
),

stores as (
    select * from {{ ref('stg_erp__stores') }}
),

customer_xref as (
    select * from {{ source('identity', 'customer_xref') }}
),

-- the CRM contact a customer number written at the till stands for (the first, should two share it)
crm_numbers as (
    select
        customer_number,
        min(crm_contact_id) as crm_contact_id
    from {{ ref('stg_crm__contacts') }}
    where customer_number is not null
    group by customer_number
),

-- a receipt belongs to the customer of the loyalty card scanned at the till, else of the CRM contact
-- whose customer number the till recorded (a retailer without loyalty cards); neither: anonymous
receipt_orders as (
    select
        'store' as channel,
        receipts.receipt_id as order_id,
        receipts.store_id,
        case
            when receipts.loyalty_card_id is not null then 'loyalty:' || receipts.loyalty_card_id
            when crm_numbers.crm_contact_id is not null then 'crm:' || crm_numbers.crm_contact_id
        end as customer_record_id,
        receipts.loyalty_card_id is null and crm_numbers.crm_contact_id is null as is_anonymous,
        false as is_cancelled,
        stores.country_code,
        coalesce(receipts.currency_code, stores.currency_code) as currency_code,
        stores.time_zone,
        -- till time is local: read it in the store's time zone, then express it in UTC
        {{ local_to_utc('receipts.receipt_local_at', 'stores.time_zone') }} as ordered_at,
        receipts.receipt_local_at as ordered_local_at
    from receipts
    left join stores using (store_id)
    left join crm_numbers on receipts.customer_number = crm_numbers.customer_number
),

-- a web order belongs to the customer of its account, or of the guest order itself
web_shop_orders as (
    select
        'web' as channel,
        web_orders.ecommerce_order_id as order_id,
        'WEB-' || web_orders.country_code as store_id,
        case
            when web_orders.ecommerce_account_id is not null
                then 'ecommerce:' || web_orders.ecommerce_account_id
            else 'ecommerce_guest:' || web_orders.ecommerce_order_id
        end as customer_record_id,
        false as is_anonymous,
        coalesce(web_orders.order_status = 'cancelled', false) as is_cancelled,
        web_orders.country_code,
        coalesce(web_orders.currency_code, stores.currency_code) as currency_code,
        stores.time_zone,
        web_orders.ordered_at,
        {{ utc_to_local('web_orders.ordered_at', 'stores.time_zone') }} as ordered_local_at
    from web_orders
    left join stores
        on stores.store_id = 'WEB-' || web_orders.country_code
),

orders_unioned as (
    select * from receipt_orders
    union all
    select * from web_shop_orders
),

-- the sale of a person erased (right to be forgotten) stays in the revenue but is anonymous
orders_attributed as (
    select
        orders_unioned.channel,
        orders_unioned.order_id,
        orders_unioned.store_id,
        orders_unioned.customer_record_id,
        orders_unioned.is_anonymous
        or coalesce({{ is_erased_record('orders_unioned.customer_record_id') }}, false) as is_anonymous,
        orders_unioned.is_cancelled,
        orders_unioned.country_code,
        orders_unioned.currency_code,
        orders_unioned.time_zone,
        orders_unioned.ordered_at,
        orders_unioned.ordered_local_at,
        customer_xref.customer_id
    from orders_unioned
    left join customer_xref
        on orders_unioned.customer_record_id = customer_xref.record_id
),

pos_lines as (
    select
        'pos:' || receipt_id || ':' || line_number as sales_line_id,
        'store' as channel,
        receipt_id as order_id,
        line_number,
        product_id,
        quantity,
        unit_price,
        discount_amount,
        cast(line_amount as decimal(14, 2)) as net_amount,
        coalesce(is_return, quantity < 0) as is_return,
        -- a till line is booked with its receipt
        null::timestamp as booked_at
    from receipt_lines
),

web_lines as (
    select
        'web:' || ecommerce_order_id || ':' || line_number as sales_line_id,
        'web' as channel,
        ecommerce_order_id as order_id,
        line_number,
        product_id,
        quantity,
        unit_price,
        discount_amount,
        -- what was paid: a return refunds the line net of the discount granted on it,
        -- the POS convention (line_amount = qty * unit_price + discount on a return line)
        cast(
            quantity * unit_price - sign(quantity) * discount_amount as decimal(14, 2)
        ) as net_amount,
        coalesce(line_type = 'return', quantity < 0) as is_return,
        booked_at
    from web_order_lines
),

lines_unioned as (
    select * from pos_lines
    union all
    select * from web_lines
),

final as (
    select
        -- ids
        lines.sales_line_id,
        lines.channel,
        lines.order_id,
        lines.line_number,
        orders.store_id,
        orders.customer_id,
        orders.customer_record_id,
        lines.product_id,

        -- strings
        orders.country_code,
        orders.currency_code,

        -- numbers
        lines.quantity,
        lines.unit_price,
        lines.discount_amount,
        lines.net_amount,

        -- flags
        lines.is_return,
        orders.is_cancelled,
        orders.is_anonymous,

        -- timestamps (UTC) and local dates of the store or web shop
        orders.ordered_at,
        orders.ordered_local_at::date as ordered_date,
        coalesce(lines.booked_at, orders.ordered_at) as sold_at,
        coalesce(
            ({{ utc_to_local('lines.booked_at', 'orders.time_zone') }})::date,
            orders.ordered_local_at::date
        ) as sold_date

    from lines_unioned as lines
    left join orders_attributed as orders
        on lines.channel = orders.channel
        and lines.order_id = orders.order_id
)

select * from final
