with

source as (
    select * from {{ source('crm', 'contacts') }}
),

renamed as (
    select
        -- ids
        trim(contact_id) as crm_contact_id,
        nullif(trim(customer_number), '') as customer_number,

        -- personal data, as keyed in
        nullif(trim(salutation), '') as salutation,
        nullif(trim(first_name), '') as first_name,
        nullif(trim(last_name), '') as last_name,
        nullif(trim(email), '') as email,
        nullif(trim(phone), '') as phone,
        nullif(trim(street), '') as street,
        nullif(trim(address_line_2), '') as address_line_2,
        nullif(trim(postcode), '') as postcode,
        nullif(trim(city), '') as city,

        -- strings
        upper(trim(country_code)) as country_code,
        nullif(lower(trim(origin)), '') as origin,

        -- dates
        {{ typed('crm', 'contacts', 'birth_date') }} as birth_date,

        -- timestamps
        {{ typed('crm', 'contacts', 'created_at') }} as created_at,
        {{ typed('crm', 'contacts', 'updated_at') }} as updated_at,

        -- lineage
        _source_file as source_file,
        _row_number as source_row_number,
        _load_id as load_id

    from source
)

select * from renamed
