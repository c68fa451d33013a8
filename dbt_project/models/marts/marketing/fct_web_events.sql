-- Web events of people (bots left out), attributed to a customer through their cookie: a cookie
-- stitched to one customer brings its whole history, before the first login included. Events of
-- shared or anonymous cookies stay, with no customer; those of an erased person's cookies are gone
-- (not in int_web_cookies). No IP address, no user agent.
with

events as (
    select * from {{ ref('stg_web__events') }}
    where not is_bot
),

cookies as (
    select * from {{ ref('int_web_cookies') }}
),

final as (
    select
        -- ids
        events.event_id,
        events.cookie_id,
        events.session_id,
        cookies.customer_id,
        events.category_id,
        events.department_id,
        events.sku,

        -- strings
        events.event_type,
        events.country_code,
        events.page_type,
        events.search_query,
        events.utm_source,
        events.utm_medium,
        events.utm_campaign,
        cookies.stitch_status,
        case
            when cookies.customer_id is null then null
            when events.event_at < cookies.first_login_at then 'before_login'
            else 'after_login'
        end as attribution,

        -- timestamps
        events.event_at,
        cast(events.event_at as date) as event_date

    from events
    inner join cookies
        on events.cookie_id = cookies.cookie_id
)

select * from final
