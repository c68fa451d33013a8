with

source as (
    select * from {{ source('marketing', 'acquisitions') }}
),

renamed as (
    select
        -- ids
        lower(trim(source_system)) as source_system,
        trim(source_id) as source_id,
        nullif(trim(campaign_code), '') as campaign_code,

        -- strings
        lower(trim(acquisition_channel)) as acquisition_channel,

        -- timestamps
        {{ typed('marketing', 'acquisitions', 'acquired_at') }} as acquired_at,

        -- lineage
        _source_file as source_file,
        _row_number as source_row_number,
        _load_id as load_id

    from source
)

select * from renamed
