with

source as (
    select * from {{ source('emailing', 'events') }}
),

renamed as (
    select
        -- ids
        trim(event_id) as email_event_id,
        trim(subscriber_id) as email_subscriber_id,
        trim(campaign_id) as email_campaign_id,

        -- personal data
        trim(email) as email,

        -- strings
        lower(trim(event_type)) as event_type,
        lower(trim(bounce_type)) as bounce_type,

        -- timestamps
        {{ typed('emailing', 'events', 'event_at') }} as event_at,

        -- lineage
        _source_file as source_file,
        _row_number as source_row_number,
        _load_id as load_id

    from source
)

select * from renamed
