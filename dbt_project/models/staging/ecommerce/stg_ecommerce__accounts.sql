with

source as (
    select * from {{ source('ecommerce', 'accounts') }}
),

renamed as (
    select
        -- ids
        trim(account_id) as ecommerce_account_id,
        nullif(trim(customer_number), '') as customer_number,

        -- personal data, as typed by the customer
        trim(login_email) as login_email,
        nullif(trim(first_name), '') as first_name,
        nullif(trim(last_name), '') as last_name,
        nullif(trim(phone), '') as phone,

        -- strings
        upper(trim(country_code)) as country_code,

        -- dates
        {{ typed('ecommerce', 'accounts', 'birth_date') }} as birth_date,

        -- timestamps
        {{ typed('ecommerce', 'accounts', 'created_at') }} as created_at,

        -- lineage
        _source_file as source_file,
        _row_number as source_row_number,
        _load_id as load_id

    from source
)

select * from renamed
