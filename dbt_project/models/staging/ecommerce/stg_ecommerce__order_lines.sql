with

source as (
    select * from {{ source('ecommerce', 'order_lines') }}
),

renamed as (
    select
        -- ids
        trim(order_id) as ecommerce_order_id,
        try_cast(line_number as integer) as line_number,
        trim(sku) as product_id,

        -- strings
        lower(trim(line_type)) as line_type,

        -- numbers
        try_cast(quantity as integer) as quantity,
        try_cast(unit_price as decimal(12, 2)) as unit_price,
        coalesce(try_cast(nullif(trim(discount), '') as decimal(12, 2)), 0) as discount_amount,

        -- timestamps
        try_cast(line_at as timestamptz) at time zone 'UTC' as booked_at,

        -- lineage
        _source_file as source_file,
        _row_number as source_row_number,
        _load_id as load_id

    from source
)

select * from renamed
