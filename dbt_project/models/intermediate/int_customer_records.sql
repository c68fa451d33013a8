-- Every source record that describes a person, one row each, with the match keys SQL can fold
-- (e-mail, names, address). Phones, bad values and the records with too little identity are
-- handled in Python (platform_assets/referential/identity/standardise.py), which writes
-- intermediate.int_customer_records_standardised from this model.
with

crm_contacts as (
    select * from {{ ref('stg_crm__contacts') }}
),

ecommerce_accounts as (
    select * from {{ ref('stg_ecommerce__accounts') }}
),

ecommerce_orders as (
    select * from {{ ref('stg_ecommerce__orders') }}
),

email_events as (
    select * from {{ ref('stg_emailing__events') }}
),

-- accounts have no address of their own: the latest delivery address they used stands for it
account_addresses as (
    select
        ecommerce_account_id,
        {{ arg_max('delivery_street', ['ordered_at']) }} as street,
        {{ arg_max('delivery_postcode', ['ordered_at']) }} as postcode,
        {{ arg_max('delivery_city', ['ordered_at']) }} as city
    from ecommerce_orders
    where ecommerce_account_id is not null
    group by ecommerce_account_id
),

crm_records as (
    select
        'crm' as source_system,
        crm_contact_id as source_id,
        country_code,
        first_name,
        last_name,
        email,
        phone,
        street,
        address_line_2,
        postcode,
        city,
        birth_date,
        customer_number,
        created_at as record_created_at,
        coalesce(updated_at, created_at) as record_updated_at
    from crm_contacts
),

account_records as (
    select
        'ecommerce' as source_system,
        accounts.ecommerce_account_id as source_id,
        accounts.country_code,
        accounts.first_name,
        accounts.last_name,
        accounts.login_email as email,
        accounts.phone,
        addresses.street,
        null::string as address_line_2,
        addresses.postcode,
        addresses.city,
        accounts.birth_date,
        accounts.customer_number,
        accounts.created_at as record_created_at,
        accounts.created_at as record_updated_at
    from ecommerce_accounts as accounts
    left join account_addresses as addresses using (ecommerce_account_id)
),

guest_order_records as (
    select
        'ecommerce_guest' as source_system,
        ecommerce_order_id as source_id,
        country_code,
        delivery_first_name as first_name,
        delivery_last_name as last_name,
        customer_email as email,
        delivery_phone as phone,
        delivery_street as street,
        null::string as address_line_2,
        delivery_postcode as postcode,
        delivery_city as city,
        null::date as birth_date,
        null::string as customer_number,
        ordered_at as record_created_at,
        ordered_at as record_updated_at
    from ecommerce_orders
    where ecommerce_account_id is null
),

subscriber_records as (
    select
        'emailing' as source_system,
        email_subscriber_id as source_id,
        null::string as country_code,
        null::string as first_name,
        null::string as last_name,
        min(email) as email,
        null::string as phone,
        null::string as street,
        null::string as address_line_2,
        null::string as postcode,
        null::string as city,
        null::date as birth_date,
        null::string as customer_number,
        min(event_at) as record_created_at,
        max(event_at) as record_updated_at
    from email_events
    group by email_subscriber_id
),

unioned as (
    select * from crm_records
    union all
    select * from account_records
    union all
    select * from guest_order_records
    union all
    select * from subscriber_records
),

folded as (
    select
        unioned.source_system || ':' || unioned.source_id as record_id,
        unioned.*,
        {{ standardise_email('unioned.email') }} as email_std,
        {{ fold_name('unioned.first_name') }} as first_name_std,
        {{ fold_name('unioned.last_name') }} as last_name_std,
        {{ fold_address("concat_ws(' ', unioned.street, unioned.address_line_2)") }} as street_std,
        {{ standardise_postcode('unioned.postcode') }} as postcode_std,
        {{ fold_name('unioned.city') }} as city_std,
        {{ standardise_postcode('unioned.customer_number') }} as customer_number_std
    from unioned
)

select * from folded
