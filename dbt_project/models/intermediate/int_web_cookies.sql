-- Every browser cookie of a person (bots left out) and the customer it is stitched to.
-- A login ties the cookie to the e-commerce account's customer (referential.customer_xref); a cookie
-- whose logins all lead to one customer is attributed to them, its whole history included (before
-- the first login too); one whose logins lead to two or more customers (a shared device) is kept
-- apart, attributed to no one; one that never logged in to a known account stays anonymous. A cookie
-- that logged in to an account of an erased person (right to erasure, ops.erasure_suppression) is
-- left out entirely, so neither it nor its events reach cookie_xref or the facts.
with

events as (
    select * from {{ ref('stg_web__events') }}
    where not is_bot
),

accounts as (
    select
        source_id as account_id,
        customer_id
    from {{ source('identity', 'customer_xref') }}
    where source_system = 'ecommerce'
),

logins as (
    select
        events.cookie_id,
        events.event_at,
        events.account_id,
        accounts.customer_id,
        {{ is_erased_record('events.account_record_id') }} as is_erased
    from events
    left join accounts
        on events.account_id = accounts.account_id
    where events.event_type = 'login'
        and events.account_id is not null
),

cookie_logins as (
    select
        cookie_id,
        count(*) as logins,
        count(distinct customer_id) as login_customers,
        bool_or(is_erased) as has_erased_login,
        min(customer_id) as customer_id,
        min(event_at) filter (where customer_id is not null) as first_login_at,
        max(event_at) filter (where customer_id is not null) as last_login_at
    from logins
    group by cookie_id
),

seen as (
    select
        cookie_id,
        min(event_at) as first_seen_at,
        max(event_at) as last_seen_at,
        count(*) as events,
        count(distinct session_id) as sessions
    from events
    group by cookie_id
),

final as (
    select
        -- ids
        seen.cookie_id,
        case when cookie_logins.login_customers = 1 then cookie_logins.customer_id end as customer_id,

        -- strings
        case
            when cookie_logins.login_customers = 1 then 'attributed'
            when cookie_logins.login_customers > 1 then 'shared'
            else 'anonymous'
        end as stitch_status,

        -- numbers
        coalesce(cookie_logins.logins, 0) as logins,
        coalesce(cookie_logins.login_customers, 0) as login_customers,
        seen.events,
        seen.sessions,

        -- timestamps
        seen.first_seen_at,
        seen.last_seen_at,
        cookie_logins.first_login_at,
        cookie_logins.last_login_at

    from seen
    left join cookie_logins
        on seen.cookie_id = cookie_logins.cookie_id
    where not coalesce(cookie_logins.has_erased_login, false)
)

select * from final
