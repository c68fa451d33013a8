with

source as (
    select * from {{ source('consent', 'access_requests') }}
),

renamed as (
    select
        -- ids
        trim(request_id) as access_request_id,

        -- personal data, as given by the person
        nullif(trim(email), '') as email,
        nullif(trim(phone), '') as phone,
        nullif(trim(customer_reference), '') as customer_reference,

        -- strings
        upper(trim(country_code)) as country_code,

        -- timestamps
        {{ typed('consent', 'access_requests', 'received_at') }} as received_at,

        -- lineage
        _source_file as source_file,
        _row_number as source_row_number,
        _load_id as load_id

    from source
)

select * from renamed
