-- Paid marketing spend per day, business unit and acquisition channel.
with

spend as (
    select * from {{ ref('stg_marketing__spend') }}
),

final as (
    select
        -- ids
        {{ format_date('spend_date', '%Y-%m-%d') }} || ':' || country_code || ':' || acquisition_channel
            as marketing_spend_id,

        -- dates
        spend_date,

        -- strings
        country_code,
        acquisition_channel,
        currency_code,

        -- numbers
        spend_amount

    from spend
)

select * from final
