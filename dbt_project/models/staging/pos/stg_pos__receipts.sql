with

source as (
    select * from {{ source('pos', 'receipts') }}
),

renamed as (
    select
        -- ids
        trim(ticket_id) as receipt_id,
        trim(store_code) as store_id,
        {{ typed('pos', 'receipts', 'register_no') }} as register_number,
        nullif(trim(loyalty_card_no), '') as loyalty_card_id,
        nullif(trim(customer_number), '') as customer_number,

        -- numbers
        {{ typed('pos', 'receipts', 'total_amount') }} as total_amount,

        -- strings
        nullif(upper(trim(currency)), '') as currency_code,

        -- timestamps
        -- local store time, no zone: converted to UTC in intermediate models with the store's time zone
        {{ typed('pos', 'receipts', 'ticket_ts') }} as receipt_local_at,

        -- lineage
        _source_file as source_file,
        _row_number as source_row_number,
        _load_id as load_id

    from source
)

select * from renamed
