with

source as (
    select * from {{ source('catalog', 'categories') }}
),

renamed as (
    select
        -- ids
        trim(category_id) as category_id,
        nullif(trim(parent_category_id), '') as parent_category_id,

        -- strings
        trim(category_name) as category_name,

        -- numbers
        {{ typed('catalog', 'categories', 'level') }} as category_level,

        -- lineage
        _source_file as source_file,
        _row_number as source_row_number,
        _load_id as load_id

    from source
)

select * from renamed
