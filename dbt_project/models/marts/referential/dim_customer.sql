-- The golden customer record: one row per customer of the identity cross-reference, each
-- attribute taken from the record that wins its survivorship rule (see dim_customer.yml).
with

customer_xref as (
    select * from {{ source('identity', 'customer_xref') }}
),

customer_records as (
    select * from {{ source('identity_records', 'int_customer_records_standardised') }}
),

web_orders as (
    select * from {{ ref('stg_ecommerce__orders') }}
),

loyalty_cards as (
    select * from {{ ref('stg_loyalty__cards') }}
),

consent_choices as (
    select * from {{ ref('int_consent_choices') }}
),

-- the costed fact, not the union view it is built from: the view would be computed a second time
sales_lines as (
    select * from {{ ref('fct_sales_lines') }}
),

stores as (
    select * from {{ ref('dim_store') }}
),

acquisitions as (
    select * from {{ ref('dim_customer_acquisition') }}
),

-- an account's address is its latest delivery address: date it by that delivery
account_last_deliveries as (
    select
        'ecommerce:' || ecommerce_account_id as record_id,
        max(ordered_at) as last_delivery_at
    from web_orders
    where ecommerce_account_id is not null and delivery_postcode is not null
    group by ecommerce_account_id
),

linked_records as (
    select
        customer_xref.customer_id,
        customer_records.record_id,
        customer_records.source_system,
        customer_records.country_code,
        customer_records.first_name,
        customer_records.last_name,
        customer_records.first_name_std,
        customer_records.last_name_std,
        customer_records.email_std,
        customer_records.phone_e164,
        customer_records.street,
        customer_records.postcode,
        customer_records.city,
        customer_records.street_std,
        customer_records.postcode_std,
        customer_records.birth_date,
        customer_records.record_created_at,
        -- how well a writing displays: with its accents (non-ASCII letters), in mixed case
        {{ has_non_ascii('customer_records.first_name') }} as is_first_name_accented,
        customer_records.first_name not in (
            upper(customer_records.first_name), lower(customer_records.first_name)
        ) as is_first_name_mixed_case,
        {{ has_non_ascii('customer_records.last_name') }} as is_last_name_accented,
        customer_records.last_name not in (
            upper(customer_records.last_name), lower(customer_records.last_name)
        ) as is_last_name_mixed_case,
        case customer_records.source_system
            when 'crm' then 3
            when 'ecommerce' then 2
            when 'ecommerce_guest' then 1
            else 0
        end as name_priority,
        coalesce(customer_records.record_updated_at, customer_records.record_created_at)
            as record_seen_at,
        coalesce(
            account_last_deliveries.last_delivery_at,
            customer_records.record_updated_at,
            customer_records.record_created_at
        ) as address_seen_at
    from customer_xref
    inner join customer_records using (record_id)
    left join account_last_deliveries using (record_id)
),

customers as (
    select
        customer_id,
        count(*) as n_source_records,
        {{ sorted_distinct_agg('source_system', ',') }} as source_systems,
        bool_and(is_too_little_identity) as is_too_little_identity
    from customer_xref
    group by customer_id
),

-- names, phone, address and record dates: one pass, each attribute from its own winning record
record_survivors as (
    select
        customer_id,
        {{ arg_max(
            struct_of({
                'first_name': 'first_name',
                'last_name': 'last_name',
                'first_name_std': 'first_name_std',
                'last_name_std': 'last_name_std'
            }),
            ['name_priority', 'record_seen_at', 'record_id']
        ) }} filter (where first_name is not null or last_name is not null) as survivor_name,
        {{ arg_max('phone_e164', ['record_seen_at', 'record_id']) }}
            filter (where phone_e164 is not null) as phone_e164,
        {{ arg_max(
            struct_of({
                'street': 'street',
                'postcode': 'postcode',
                'city': 'city',
                'street_std': 'street_std',
                'postcode_std': 'postcode_std'
            }),
            ['address_seen_at', 'record_id']
        ) }} filter (where postcode is not null) as survivor_address,
        min(record_created_at) as first_record_created_at
    from linked_records
    group by customer_id
),

-- the winning name is displayed in its best writing among the customer's records that spell
-- the same folded name: with its accents first, then in mixed case ('Lécuyer' over 'LECUYER')
name_writings as (
    select
        linked_records.customer_id,
        {{ arg_max('linked_records.first_name', [
            'linked_records.is_first_name_accented',
            'linked_records.is_first_name_mixed_case',
            'linked_records.name_priority',
            'linked_records.record_seen_at',
            'linked_records.record_id'
        ]) }} filter (
            where linked_records.first_name_std = record_survivors.survivor_name.first_name_std
        ) as first_name,
        {{ arg_max('linked_records.last_name', [
            'linked_records.is_last_name_accented',
            'linked_records.is_last_name_mixed_case',
            'linked_records.name_priority',
            'linked_records.record_seen_at',
            'linked_records.record_id'
        ]) }} filter (
            where linked_records.last_name_std = record_survivors.survivor_name.last_name_std
        ) as last_name
    from linked_records
    inner join record_survivors using (customer_id)
    group by linked_records.customer_id
),

chosen_names as (
    select
        record_survivors.customer_id,
        coalesce(name_writings.first_name, record_survivors.survivor_name.first_name) as first_name,
        coalesce(name_writings.last_name, record_survivors.survivor_name.last_name) as last_name
    from record_survivors
    left join name_writings using (customer_id)
),

-- a name keyed all upper or all lower case ('LÉCUYER', 'jean-pierre') is shown capitalised
-- word by word ('Lécuyer', 'Jean-Pierre'); mixed-case writings are kept as keyed
display_names as (
    select
        customer_id,
        case
            when first_name in (upper(first_name), lower(first_name))
                then {{ capitalise_words('first_name') }}
            else first_name
        end as first_name,
        case
            when last_name in (upper(last_name), lower(last_name))
                then {{ capitalise_words('last_name') }}
            else last_name
        end as last_name
    from chosen_names
),

email_frequencies as (
    select
        customer_id,
        email_std,
        count(*) as n_records,
        max(record_seen_at) as last_seen_at
    from linked_records
    where email_std is not null
    group by customer_id, email_std
),

email_survivors as (
    select
        customer_id,
        {{ arg_max('email_std', ['n_records', 'last_seen_at', 'email_std']) }} as email
    from email_frequencies
    group by customer_id
),

birth_date_frequencies as (
    select
        customer_id,
        birth_date,
        count(*) as n_records,
        bool_or(source_system = 'crm') as is_in_crm,
        max(record_seen_at) as last_seen_at
    from linked_records
    where birth_date is not null
    group by customer_id, birth_date
),

birth_date_survivors as (
    select
        customer_id,
        {{ arg_max('birth_date', ['n_records', 'is_in_crm', 'last_seen_at', 'birth_date']) }} as birth_date
    from birth_date_frequencies
    group by customer_id
),

country_frequencies as (
    select
        customer_id,
        country_code,
        count(*) as n_records,
        max(record_seen_at) as last_seen_at
    from linked_records
    where country_code is not null
    group by customer_id, country_code
),

country_survivors as (
    select
        customer_id,
        {{ arg_max('country_code', ['n_records', 'last_seen_at', 'country_code']) }} as country_code
    from country_frequencies
    group by customer_id
),

-- consents: the latest choice per channel across the customer's records (a tie: opt-out wins),
-- the e-mail tool's unsubscribes and hard bounces among them
{%- set consent_order = ['consent_choices.collected_at', "consent_choices.consent_status = 'opt_out'"] %}
consent_survivors as (
    select
        customer_xref.customer_id,
        {{ arg_max('consent_choices.consent_status', consent_order) }}
            filter (where consent_choices.consent_channel = 'email') as email_consent_status,
        {{ arg_max('consent_choices.consent_status', consent_order) }}
            filter (where consent_choices.consent_channel = 'sms') as sms_consent_status,
        {{ arg_max('consent_choices.consent_status', consent_order) }}
            filter (where consent_choices.consent_channel = 'phone') as phone_consent_status,
        {{ arg_max('consent_choices.consent_status', consent_order) }}
            filter (where consent_choices.consent_channel = 'post') as post_consent_status
    from consent_choices
    inner join customer_xref
        on consent_choices.source_system = customer_xref.source_system
        and consent_choices.source_id = customer_xref.source_id
    group by customer_xref.customer_id
),

card_dates as (
    select
        customer_xref.customer_id,
        min(loyalty_cards.issued_on) as first_card_issued_on,
        {{ arg_min('loyalty_cards.issuing_store_id', ['loyalty_cards.issued_on', 'loyalty_cards.loyalty_card_id']) }}
            filter (where loyalty_cards.issuing_store_id is not null) as first_card_store_id
    from loyalty_cards
    inner join customer_xref
        on customer_xref.source_system = 'loyalty'
        and loyalty_cards.loyalty_card_id = customer_xref.source_id
    group by customer_xref.customer_id
),

customer_orders as (
    select
        customer_id,
        channel,
        order_id,
        any_value(store_id) as store_id,
        any_value(ordered_at) as ordered_at,
        min(sold_at) filter (where not is_return and not is_cancelled) as first_sold_at
    from sales_lines
    where customer_id is not null
    group by customer_id, channel, order_id
),

purchases as (
    select
        customer_id,
        min(first_sold_at) as first_purchase_at
    from customer_orders
    group by customer_id
),

store_visits as (
    select
        customer_id,
        store_id,
        count(*) as n_receipts,
        max(ordered_at) as last_receipt_at
    from customer_orders
    where channel = 'store'
    group by customer_id, store_id
),

home_stores as (
    select
        customer_id,
        {{ arg_max('store_id', ['n_receipts', 'last_receipt_at', 'store_id']) }} as home_store_id
    from store_visits
    group by customer_id
),

-- the people living at one (standardised) address form a household: identity resolution never
-- merges them into one customer, the household groups them (a pseudonymous key of the address)
households as (
    select
        customer_id,
        'HH-' || left(
            md5(survivor_address.street_std || '|' || survivor_address.postcode_std), 12
        ) as household_id
    from record_survivors
    where
        survivor_address.street_std is not null
        and survivor_address.postcode_std is not null
),

web_shops as (
    select
        country_code,
        min(store_id) as web_shop_id
    from stores
    where is_web_shop
    group by country_code
),

final as (
    select
        -- ids
        customers.customer_id,

        -- personal data (restricted)
        display_names.first_name,
        display_names.last_name,
        email_survivors.email,
        record_survivors.phone_e164,
        record_survivors.survivor_address.street as street,
        record_survivors.survivor_address.postcode as postcode,
        record_survivors.survivor_address.city as city,
        birth_date_survivors.birth_date,
        households.household_id,

        -- business unit and stores
        country_survivors.country_code,
        coalesce(
            home_stores.home_store_id,
            card_dates.first_card_store_id,
            web_shops.web_shop_id
        ) as home_store_id,

        -- acquisition and purchases
        acquisitions.acquisition_channel,
        acquisitions.acquired_at,
        purchases.first_purchase_at,

        -- consents per channel
        coalesce(consent_survivors.email_consent_status = 'opt_in', false) as has_email_consent,
        coalesce(consent_survivors.sms_consent_status = 'opt_in', false) as has_sms_consent,
        coalesce(consent_survivors.phone_consent_status = 'opt_in', false) as has_phone_consent,
        coalesce(consent_survivors.post_consent_status = 'opt_in', false) as has_post_consent,

        -- identity
        customers.is_too_little_identity,
        customers.n_source_records,
        customers.source_systems,

        -- timestamps
        coalesce(
            record_survivors.first_record_created_at,
            card_dates.first_card_issued_on::timestamp
        ) as created_at

    from customers
    left join record_survivors using (customer_id)
    left join display_names using (customer_id)
    left join email_survivors using (customer_id)
    left join birth_date_survivors using (customer_id)
    left join country_survivors using (customer_id)
    left join consent_survivors using (customer_id)
    left join card_dates using (customer_id)
    left join purchases using (customer_id)
    left join home_stores using (customer_id)
    left join acquisitions using (customer_id)
    left join households using (customer_id)
    left join web_shops
        on country_survivors.country_code = web_shops.country_code
)

select * from final
