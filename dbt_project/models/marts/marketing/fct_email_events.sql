-- E-mail events of the service provider, attributed to a customer through their subscriber.
with

email_events as (
    select * from {{ ref('stg_emailing__events') }}
),

customer_xref as (
    select * from {{ source('identity', 'customer_xref') }}
    where source_system = 'emailing'
),

final as (
    select
        -- ids
        email_events.email_event_id,
        email_events.email_campaign_id,
        email_events.email_subscriber_id,
        customer_xref.customer_id,

        -- strings
        email_events.event_type,

        -- timestamps
        email_events.event_at

    from email_events
    left join customer_xref
        on email_events.email_subscriber_id = customer_xref.source_id
    -- a subscriber erased (right to be forgotten) leaves no event behind
    where not {{ is_erased_record("'emailing:' || email_events.email_subscriber_id") }}
)

select * from final
