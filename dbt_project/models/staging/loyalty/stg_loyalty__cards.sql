with

source as (
    select * from {{ source('loyalty', 'cards') }}
),

renamed as (
    select
        -- ids
        trim(card_number) as loyalty_card_id,
        trim(contact_id) as crm_contact_id,
        nullif(trim(issuing_store_code), '') as issuing_store_id,

        -- strings
        nullif(lower(trim(card_status)), '') as card_status,

        -- dates
        {{ typed('loyalty', 'cards', 'issued_at') }} as issued_on,

        -- lineage
        _source_file as source_file,
        _row_number as source_row_number,
        _load_id as load_id

    from source
)

select * from renamed
