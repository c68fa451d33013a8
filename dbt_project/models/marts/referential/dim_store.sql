-- Stores and web shops with their business unit, currency and time zone.
with

stores as (
    select * from {{ ref('stg_erp__stores') }}
),

business_units as (
    select * from {{ source('retailer', 'business_units') }}
),

final as (
    select
        -- ids
        stores.store_id,

        -- strings
        stores.store_name,
        stores.store_type,
        stores.country_code,
        business_units.business_unit_name,
        coalesce(stores.currency_code, business_units.currency_code) as currency_code,
        coalesce(stores.time_zone, business_units.time_zone) as time_zone,
        stores.city,
        stores.postcode,

        -- numbers
        stores.surface_m2,

        -- flags
        stores.store_type = 'web' as is_web_shop,

        -- dates
        stores.opened_on

    from stores
    left join business_units using (country_code)
)

select * from final
