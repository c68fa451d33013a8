-- Products with their category (level 2) and department (level 1). SKUs sold or priced but
-- missing from the catalogue get an inferred row, so every sales line and price keeps its product.
with

products as (
    select * from {{ ref('stg_catalog__products') }}
),

categories as (
    select * from {{ ref('stg_catalog__categories') }}
),

receipt_lines as (
    select * from {{ ref('stg_pos__receipt_lines') }}
),

order_lines as (
    select * from {{ ref('stg_ecommerce__order_lines') }}
),

prices as (
    select * from {{ ref('stg_catalog__prices') }}
),

catalogue_products as (
    select
        products.product_id,
        products.product_name,
        products.brand,
        products.price_tier,
        products.launched_on,
        products.category_id,
        categories.category_name,
        -- a product filed directly under a department is its own department
        coalesce(departments.category_id, categories.category_id) as department_id,
        coalesce(departments.category_name, categories.category_name) as department_name,
        false as is_inferred
    from products
    left join categories
        on products.category_id = categories.category_id
    left join categories as departments
        on categories.parent_category_id = departments.category_id
),

referenced_product_ids as (
    select product_id from receipt_lines
    union
    select product_id from order_lines
    union
    select product_id from prices
),

inferred_products as (
    select
        referenced_product_ids.product_id,
        null::string as product_name,
        null::string as brand,
        null::string as price_tier,
        null::date as launched_on,
        null::string as category_id,
        null::string as category_name,
        null::string as department_id,
        null::string as department_name,
        true as is_inferred
    from referenced_product_ids
    anti join catalogue_products using (product_id)
    where referenced_product_ids.product_id is not null
),

final as (
    select * from catalogue_products
    union all
    select * from inferred_products
)

select * from final
