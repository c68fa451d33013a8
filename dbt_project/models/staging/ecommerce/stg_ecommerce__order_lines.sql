with

source as (
    select * from {{ source('ecommerce', 'order_lines') }}
),

renamed as (
    select
        -- ids
        trim(order_id) as ecommerce_order_id,
        {{ typed('ecommerce', 'order_lines', 'line_number') }} as line_number,
        trim(sku) as product_id,

        -- strings
        lower(trim(line_type)) as line_type,

        -- numbers
        {{ typed('ecommerce', 'order_lines', 'quantity') }} as quantity,
        {{ typed('ecommerce', 'order_lines', 'unit_price') }} as unit_price,
        coalesce({{ typed('ecommerce', 'order_lines', 'discount') }}, 0) as discount_amount,

        -- timestamps
        {{ typed('ecommerce', 'order_lines', 'line_at') }} as booked_at,

        -- lineage
        _source_file as source_file,
        _row_number as source_row_number,
        _load_id as load_id

    from source
)

select * from renamed
