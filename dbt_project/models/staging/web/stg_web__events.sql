-- The web analytics export, typed and renamed, with each event's department and the bot flag.
-- Bot rule (the retailer configuration's web_bots, as the table referential.web_bot_rule; documented
-- in stg_web__events.yml): a cookie is a bot when its user agent matches user_agent_pattern, when on
-- any UTC day it has more than max_events_per_cookie_day events, or when it has more than
-- max_events_per_cookie in the whole export; every event of a bot cookie is flagged, none removed.
-- A table, not a view: stitching, the facts, the stitch quality and the appetence read it (at 1M
-- customers, 31M events: a view would parse and flag them again for each).
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

bot_rule as (
    select * from {{ source('retailer', 'web_bot_rule') }}
),

-- What the bot rule counts, read from the export on its own (three columns): each CTE over the
-- 31M events is read once, so DuckDB never holds a materialised copy of them.
cookie_day_agents as (
    select
        trim(cookie_id) as cookie_id,
        date_trunc('day', {{ typed('web', 'events', 'event_at') }}) as event_day,
        nullif(trim(user_agent), '') as user_agent,
        count(*) as events
    from {{ source('web', 'events') }}
    group by all
),

user_agents as (
    -- each distinct user agent matched once against the configured pattern (not once per event)
    select
        agents.user_agent,
        {{ regex_contains('agents.user_agent', 'bot_rule.user_agent_pattern') }} as is_bot_user_agent
    from (select distinct user_agent from cookie_day_agents where user_agent is not null) as agents
    cross join bot_rule
),

cookie_days as (
    select
        cookie_day_agents.cookie_id,
        cookie_day_agents.event_day,
        sum(cookie_day_agents.events) as events,
        coalesce(bool_or(user_agents.is_bot_user_agent), false) as has_bot_user_agent
    from cookie_day_agents
    left join user_agents
        on cookie_day_agents.user_agent = user_agents.user_agent
    group by all
),

-- one row per cookie: aggregated, then joined back (no window over every event)
cookies as (
    select
        cookie_days.cookie_id,
        bool_or(cookie_days.has_bot_user_agent) as cookie_has_bot_user_agent,
        max(cookie_days.events) as cookie_max_day_events,
        sum(cookie_days.events) as cookie_events,
        any_value(bot_rule.max_events_per_cookie_day) as max_events_per_cookie_day,
        any_value(bot_rule.max_events_per_cookie) as max_events_per_cookie
    from cookie_days
    cross join bot_rule
    group by cookie_days.cookie_id
),

bot_cookies as (
    select
        cookie_id,
        case
            when cookie_has_bot_user_agent then 'user_agent'
            when cookie_max_day_events > max_events_per_cookie_day then 'events_per_day'
            when cookie_events > max_events_per_cookie then 'events_total'
        end as bot_reason
    from cookies
),

flagged as (
    select
        renamed.event_id,
        renamed.event_at,
        renamed.cookie_id,
        renamed.session_id,
        renamed.event_type,
        renamed.country_code,
        renamed.account_id,
        renamed.account_record_id,
        renamed.page_type,
        renamed.category_id,
        categories.parent_category_id as department_id,
        renamed.sku,
        renamed.search_query,
        renamed.utm_source,
        renamed.utm_medium,
        renamed.utm_campaign,
        renamed.user_agent,
        renamed.ip_address,
        bot_cookies.bot_reason is not null as is_bot,
        bot_cookies.bot_reason,
        renamed.source_file,
        renamed.source_row_number,
        renamed.load_id
    from renamed
    left join bot_cookies
        on renamed.cookie_id = bot_cookies.cookie_id
    left join categories
        on renamed.category_id = categories.category_id
)

select * from flagged
