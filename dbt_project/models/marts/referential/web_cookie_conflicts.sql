-- Cookies whose logins lead to two or more customers (a shared device): kept apart, attributed to
-- no one, listed here so the count and the cases can be followed.
with

cookies as (
    select * from {{ ref('int_web_cookies') }}
    where stitch_status = 'shared'
),

final as (
    select
        -- ids
        cookie_id,

        -- numbers
        login_customers as customers,
        logins,
        sessions,
        events,

        -- timestamps
        first_seen_at,
        last_seen_at

    from cookies
)

select * from final
