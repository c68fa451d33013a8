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
        try_cast(sent_on as date) as sent_on,

        -- numbers
        try_cast(measurement_days as integer) as measurement_days,
        try_cast(cost_per_contact as decimal(12, 4)) as cost_per_contact,

        -- lineage
        _source_file as source_file,
        _row_number as source_row_number,
        _load_id as load_id

    from source
)

select * from renamed
