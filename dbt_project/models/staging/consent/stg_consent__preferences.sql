with

source as (
    select * from {{ source('consent', 'preferences') }}
),

renamed as (
    select
        -- ids
        lower(trim(source_system)) as source_system,
        trim(source_id) as source_id,

        -- strings
        lower(trim(channel)) as consent_channel,
        lower(trim(status)) as consent_status,

        -- timestamps
        {{ typed('consent', 'preferences', 'collected_at') }} as collected_at,

        -- lineage
        _source_file as source_file,
        _row_number as source_row_number,
        _load_id as load_id

    from source
)

select * from renamed
