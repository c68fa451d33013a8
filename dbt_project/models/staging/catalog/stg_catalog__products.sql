with

source as (
    select * from {{ source('catalog', 'products') }}
),

renamed as (
    select
        -- ids
        trim(sku) as product_id,
        trim(category_id) as category_id,

        -- strings
        trim(product_name) as product_name,
        nullif(trim(brand), '') as brand,
        nullif(lower(trim(price_tier)), '') as price_tier,

        -- dates
        {{ typed('catalog', 'products', 'launched_on') }} as launched_on,

        -- lineage
        _source_file as source_file,
        _row_number as source_row_number,
        _load_id as load_id

    from source
)

select * from renamed
