-- Right-of-access requests with the same match keys as the customer records they look for, hashed as
-- erasure requests are: the e-mail, phone and customer number a person gave stay in staging, as the
-- request file delivers them; the access asset (platform_assets/privacy/access.py) compares hashes.
with

business_units as (
    select * from {{ source('retailer', 'business_units') }}
),

requests as (
    select * from {{ ref('stg_consent__access_requests') }}
),

final as (
    select
        -- ids
        requests.access_request_id,

        -- match keys, as sha256 of the standardised e-mail, E.164 phone and lower-case customer number
        {{ sha256_hex(standardise_email('requests.email')) }} as email_sha256,
        {{ sha256_hex(phone_e164(phone_digits('requests.phone'))) }} as phone_sha256,
        {{ sha256_hex('lower(requests.customer_reference)') }} as customer_reference_sha256,

        -- strings
        requests.country_code,

        -- timestamps
        requests.received_at

    from requests
    left join business_units using (country_code)
)

select * from final
