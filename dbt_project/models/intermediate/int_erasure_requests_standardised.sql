-- Right-to-erasure requests with the same match keys as the customer records they target, hashed:
-- identity resolution compares hashes, and the e-mail and phone of a person asking to be forgotten
-- are kept nowhere after staging (which reads the request file as delivered).
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

        -- match keys, as sha256 of the standardised e-mail and E.164 phone
        {{ sha256_hex(standardise_email('requests.email')) }} as email_sha256,
        {{ sha256_hex(phone_e164(phone_digits('requests.phone'))) }} as phone_sha256,

        -- strings
        requests.country_code,

        -- timestamps
        requests.requested_at

    from requests
    left join business_units using (country_code)
)

select * from final
