with

source as (
    select * from {{ source('catalog', 'prices') }}
),

renamed as (
    select
        -- ids
        trim(sku) as product_id,
        upper(trim(country_code)) as country_code,

        -- strings
        upper(trim(currency)) as currency_code,

        -- numbers
        {{ typed('catalog', 'prices', 'list_price') }} as list_price,
        {{ typed('catalog', 'prices', 'cost_price') }} as cost_price,

        -- lineage
        _source_file as source_file,
        _row_number as source_row_number,
        _load_id as load_id

    from source
)

select * from renamed
