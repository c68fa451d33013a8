-- Right-to-erasure requests with the same match keys as the customer records they target.
with

business_units as (
    select * from {{ source('retailer', 'business_units') }}
),

requests as (
    select * from {{ ref('stg_consent__erasure_requests') }}
),

final as (
    select
        -- ids
        requests.erasure_request_id,

        -- match keys (the personal data of the request is kept in staging only)
        {{ standardise_email('requests.email') }} as email_std,
        {{ phone_e164(phone_digits('requests.phone')) }} as phone_e164,

        -- strings
        requests.country_code,

        -- timestamps
        requests.requested_at

    from requests
    left join business_units using (country_code)
)

select * from final
