with

source as (
    select * from {{ source('pos', 'receipt_lines') }}
),

renamed as (
    select
        -- ids
        trim(ticket_id) as receipt_id,
        {{ typed('pos', 'receipt_lines', 'line_no') }} as line_number,
        trim(sku) as product_id,

        -- numbers
        {{ typed('pos', 'receipt_lines', 'qty') }} as quantity,
        {{ typed('pos', 'receipt_lines', 'unit_price') }} as unit_price,
        coalesce({{ typed('pos', 'receipt_lines', 'discount_amount') }}, 0) as discount_amount,
        {{ typed('pos', 'receipt_lines', 'line_amount') }} as line_amount,

        -- flags
        upper(trim(is_return)) = 'Y' as is_return,

        -- lineage
        _source_file as source_file,
        _row_number as source_row_number,
        _load_id as load_id

    from source
)

select * from renamed
