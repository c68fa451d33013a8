with

source as (
    select * from {{ source('pos', 'receipt_lines') }}
),

renamed as (
    select
        -- ids
        trim(ticket_id) as receipt_id,
        try_cast(line_no as integer) as line_number,
        trim(sku) as product_id,

        -- numbers
        try_cast(qty as integer) as quantity,
        try_cast(unit_price as decimal(12, 2)) as unit_price,
        coalesce(try_cast(nullif(trim(discount_amount), '') as decimal(12, 2)), 0) as discount_amount,
        try_cast(line_amount as decimal(12, 2)) as line_amount,

        -- flags
        upper(trim(is_return)) = 'Y' as is_return,

        -- lineage
        _source_file as source_file,
        _row_number as source_row_number,
        _load_id as load_id

    from source
)

select * from renamed
