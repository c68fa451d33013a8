-- Cross-reference from a browser cookie to the customer it is stitched to (one customer only).
with

cookies as (
    select * from {{ ref('int_web_cookies') }}
    where stitch_status = 'attributed'
),

final as (
    select
        -- ids
        cookie_id,
        customer_id,

        -- numbers
        logins,
        sessions,
        events,

        -- timestamps
        first_seen_at,
        last_seen_at,
        first_login_at,
        last_login_at

    from cookies
)

select * from final
