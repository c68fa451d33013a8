with

source as (
    select * from {{ source('campaigns', 'campaigns') }}
),

renamed as (
    select
        -- ids
        trim(campaign_code) as campaign_code,

        -- strings
        trim(campaign_name) as campaign_name,
        upper(trim(country_code)) as country_code,
        lower(trim(channel)) as channel,
        trim(offer) as offer,
        upper(trim(currency)) as currency_code,

        -- dates
        {{ typed('campaigns', 'campaigns', 'sent_on') }} as sent_on,

        -- numbers
        {{ typed('campaigns', 'campaigns', 'measurement_days') }} as measurement_days,
        {{ typed('campaigns', 'campaigns', 'cost_per_contact') }} as cost_per_contact,

        -- lineage
        _source_file as source_file,
        _row_number as source_row_number,
        _load_id as load_id

    from source
)

select * from renamed
