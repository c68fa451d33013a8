with

source as (
    select * from {{ source('marketing', 'spend') }}
),

renamed as (
    select
        -- dates
        {{ typed('marketing', 'spend', 'spend_date') }} as spend_date,

        -- strings
        upper(trim(country_code)) as country_code,
        lower(trim(channel)) as acquisition_channel,
        upper(trim(currency)) as currency_code,

        -- numbers
        {{ typed('marketing', 'spend', 'spend') }} as spend_amount,

        -- lineage
        _source_file as source_file,
        _row_number as source_row_number,
        _load_id as load_id

    from source
)

select * from renamed
