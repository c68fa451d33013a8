with

source as (
    select * from {{ source('marketing', 'spend') }}
),

renamed as (
    select
        -- dates
        try_cast(spend_date as date) as spend_date,

        -- strings
        upper(trim(country_code)) as country_code,
        lower(trim(channel)) as acquisition_channel,
        upper(trim(currency)) as currency_code,

        -- numbers
        try_cast(spend as decimal(14, 2)) as spend_amount,

        -- lineage
        _source_file as source_file,
        _row_number as source_row_number,
        _load_id as load_id

    from source
)

select * from renamed
