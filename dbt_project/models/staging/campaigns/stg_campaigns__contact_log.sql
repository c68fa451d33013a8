with

source as (
    select * from {{ source('campaigns', 'contact_log') }}
),

renamed as (
    select
        -- ids
        trim(campaign_code) as campaign_code,
        trim(contact_id) as crm_contact_id,

        -- strings
        lower(trim(contact_group)) as contact_group,

        -- timestamps
        {{ typed('campaigns', 'contact_log', 'contacted_at') }} as contacted_at,

        -- lineage
        _source_file as source_file,
        _row_number as source_row_number,
        _load_id as load_id

    from source
)

select * from renamed
