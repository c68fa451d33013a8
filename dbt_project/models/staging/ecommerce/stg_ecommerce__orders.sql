with

source as (
    select * from {{ source('ecommerce', 'orders') }}
),

renamed as (
    select
        -- ids
        trim(order_id) as ecommerce_order_id,
        nullif(trim(account_id), '') as ecommerce_account_id,

        -- personal data, as given at checkout
        trim(customer_email) as customer_email,
        nullif(trim(delivery_first_name), '') as delivery_first_name,
        nullif(trim(delivery_last_name), '') as delivery_last_name,
        nullif(trim(delivery_street), '') as delivery_street,
        nullif(trim(delivery_postcode), '') as delivery_postcode,
        nullif(trim(delivery_city), '') as delivery_city,
        nullif(trim(delivery_phone), '') as delivery_phone,

        -- strings
        upper(trim(country_code)) as country_code,
        nullif(lower(trim(order_status)), '') as order_status,
        nullif(upper(trim(currency)), '') as currency_code,

        -- numbers
        {{ typed('ecommerce', 'orders', 'order_total') }} as total_amount,
        {{ typed('ecommerce', 'orders', 'shipping_fee') }} as shipping_fee,

        -- timestamps
        {{ typed('ecommerce', 'orders', 'ordered_at') }} as ordered_at,

        -- lineage
        _source_file as source_file,
        _row_number as source_row_number,
        _load_id as load_id

    from source
)

select * from renamed
