with

source as (
    select * from {{ source('reference', 'postcode_centroids') }}
),

renamed as (
    select
        -- ids
        upper(trim(country_code)) as country_code,
        trim(postcode) as postcode,

        -- numbers
        {{ typed('reference', 'postcode_centroids', 'latitude') }} as latitude,
        {{ typed('reference', 'postcode_centroids', 'longitude') }} as longitude,

        -- lineage
        _source_file as source_file,
        _row_number as source_row_number,
        _load_id as load_id

    from source
)

select * from renamed
