-- The channel that acquired each customer: the earliest attribution among their records.
with

acquisitions as (
    select * from {{ ref('stg_marketing__acquisitions') }}
),

customer_records as (
    select * from {{ source('identity_records', 'int_customer_records_standardised') }}
),

customer_xref as (
    select * from {{ source('identity', 'customer_xref') }}
),

attributed as (
    select
        customer_xref.customer_id,
        acquisitions.source_system || ':' || acquisitions.source_id as record_id,
        acquisitions.acquisition_channel,
        acquisitions.campaign_code,
        acquisitions.acquired_at
    from acquisitions
    inner join customer_xref
        on acquisitions.source_system = customer_xref.source_system
        and acquisitions.source_id = customer_xref.source_id
),

earliest as (
    select
        customer_id,
        -- ties on the time: the lowest record id, so the choice is stable from run to run
        {{ arg_min(
            struct_of({'record_id': 'record_id', 'channel': 'acquisition_channel', 'campaign': 'campaign_code'}),
            ['acquired_at', 'record_id']
        ) }} as first_acquisition,
        min(acquired_at) as acquired_at,
        count(*) as n_acquisitions
    from attributed
    group by customer_id
),

final as (
    select
        -- ids
        earliest.customer_id,
        earliest.first_acquisition.record_id as acquisition_record_id,

        -- strings
        earliest.first_acquisition.channel as acquisition_channel,
        earliest.first_acquisition.campaign as campaign_code,
        customer_records.country_code,

        -- numbers
        earliest.n_acquisitions,

        -- timestamps
        earliest.acquired_at

    from earliest
    left join customer_records
        on earliest.first_acquisition.record_id = customer_records.record_id
)

select * from final
