-- Every choice a person made about being contacted, per source record and channel: the consent
-- file's choices, and the e-mail tool's unsubscribes and hard bounces as e-mail opt-outs (a person
-- who unsubscribed is not e-mailed again until a later opt-in).
with

consent_preferences as (
    select * from {{ ref('stg_consent__preferences') }}
),

email_events as (
    select * from {{ ref('stg_emailing__events') }}
),

preferences as (
    select
        source_system,
        source_id,
        consent_channel,
        consent_status,
        collected_at,
        'consent_file' as choice_origin
    from consent_preferences
),

email_withdrawals as (
    select
        'emailing' as source_system,
        email_subscriber_id as source_id,
        'email' as consent_channel,
        'opt_out' as consent_status,
        event_at as collected_at,
        case event_type when 'unsubscribe' then 'email_unsubscribe' else 'email_hard_bounce' end
            as choice_origin
    from email_events
    where event_type = 'unsubscribe' or (event_type = 'bounce' and bounce_type = 'hard')
),

unioned as (
    select * from preferences
    union all
    select * from email_withdrawals
)

select * from unioned
