with

source as (
    select * from {{ source('erp', 'stores') }}
),

renamed as (
    select
        -- ids
        trim(store_code) as store_id,

        -- strings
        trim(store_name) as store_name,
        lower(trim(store_type)) as store_type,
        upper(trim(country_code)) as country_code,
        nullif(trim(city), '') as city,
        nullif(trim(postcode), '') as postcode,
        trim(timezone) as time_zone,
        upper(trim(currency)) as currency_code,

        -- numbers
        {{ typed('erp', 'stores', 'surface_m2') }} as surface_m2,

        -- dates
        {{ typed('erp', 'stores', 'opened_on') }} as opened_on,

        -- lineage
        _source_file as source_file,
        _row_number as source_row_number,
        _load_id as load_id

    from source
)

select * from renamed
