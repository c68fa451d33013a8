-- List and cost price of each product per business unit, in the unit's currency.
with

prices as (
    select * from {{ ref('stg_catalog__prices') }}
),

final as (
    select
        -- ids
        product_id || ':' || country_code as product_price_id,
        product_id,
        country_code,

        -- strings
        currency_code,

        -- numbers
        list_price,
        cost_price

    from prices
)

select * from final
