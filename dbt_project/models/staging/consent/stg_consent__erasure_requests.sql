with

source as (
    select * from {{ source('consent', 'erasure_requests') }}
),

renamed as (
    select
        -- ids
        trim(request_id) as erasure_request_id,

        -- personal data, as given by the person
        nullif(trim(email), '') as email,
        nullif(trim(phone), '') as phone,

        -- strings
        upper(trim(country_code)) as country_code,

        -- timestamps
        {{ typed('consent', 'erasure_requests', 'requested_at') }} as requested_at,

        -- lineage
        _source_file as source_file,
        _row_number as source_row_number,
        _load_id as load_id

    from source
)

select * from renamed
