-- The web analytics export, typed and renamed, with each event's department and the bot flag.
-- Bot rule (dbt_project.yml vars, documented in stg_web__events.yml): a cookie is a bot when its
-- user agent matches web_bot_user_agent_pattern, when on any day it has more than
-- web_bot_max_events_per_cookie_day events, or when it has more than web_bot_max_events_per_cookie
-- in the whole export; every event of a bot cookie is flagged, none removed.
with

source as (
    select * from {{ source('web', 'events') }}
),

categories as (
    select * from {{ ref('stg_catalog__categories') }}
),

renamed as (
    select
        -- ids
        trim(event_id) as event_id,
        trim(cookie_id) as cookie_id,
        trim(session_id) as session_id,
        nullif(trim(account_id), '') as account_id,
        case when nullif(trim(account_id), '') is not null then 'ecommerce:' || trim(account_id) end
            as account_record_id,
        nullif(trim(category_id), '') as category_id,
        nullif(trim(sku), '') as sku,

        -- strings
        lower(trim(event_type)) as event_type,
        upper(trim(country_code)) as country_code,
        lower(nullif(trim(page_type), '')) as page_type,
        nullif(trim(search_query), '') as search_query,
        lower(nullif(trim(utm_source), '')) as utm_source,
        lower(nullif(trim(utm_medium), '')) as utm_medium,
        nullif(trim(utm_campaign), '') as utm_campaign,

        -- personal data (staging and the restricted layers only)
        nullif(trim(user_agent), '') as user_agent,
        nullif(trim(ip_address), '') as ip_address,

        -- timestamps
        {{ typed('web', 'events', 'event_at') }} as event_at,

        -- lineage
        _source_file as source_file,
        _row_number as source_row_number,
        _load_id as load_id

    from source
),

cookie_days as (
    select
        *,
        count(*) over (partition by cookie_id, date_trunc('day', event_at)) as cookie_day_events,
        regexp_matches(
            coalesce(user_agent, ''), '{{ var("web_bot_user_agent_pattern") }}'
        ) as is_bot_user_agent
    from renamed
),

cookies as (
    select
        *,
        bool_or(is_bot_user_agent) over (partition by cookie_id) as cookie_has_bot_user_agent,
        max(cookie_day_events) over (partition by cookie_id) as cookie_max_day_events,
        count(*) over (partition by cookie_id) as cookie_events
    from cookie_days
),

flagged as (
    select
        cookies.event_id,
        cookies.event_at,
        cookies.cookie_id,
        cookies.session_id,
        cookies.event_type,
        cookies.country_code,
        cookies.account_id,
        cookies.account_record_id,
        cookies.page_type,
        cookies.category_id,
        categories.parent_category_id as department_id,
        cookies.sku,
        cookies.search_query,
        cookies.utm_source,
        cookies.utm_medium,
        cookies.utm_campaign,
        cookies.user_agent,
        cookies.ip_address,
        cookies.cookie_has_bot_user_agent
        or cookies.cookie_max_day_events > {{ var("web_bot_max_events_per_cookie_day") }}
        or cookies.cookie_events > {{ var("web_bot_max_events_per_cookie") }} as is_bot,
        case
            when cookies.cookie_has_bot_user_agent then 'user_agent'
            when cookies.cookie_max_day_events > {{ var("web_bot_max_events_per_cookie_day") }}
                then 'events_per_day'
            when cookies.cookie_events > {{ var("web_bot_max_events_per_cookie") }} then 'events_total'
        end as bot_reason,
        cookies.source_file,
        cookies.source_row_number,
        cookies.load_id
    from cookies
    left join categories
        on cookies.category_id = categories.category_id
)

select * from flagged
