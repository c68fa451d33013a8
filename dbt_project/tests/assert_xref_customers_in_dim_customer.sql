-- dim_customer holds exactly the customers of the identity cross-reference: one row for every
-- customer_id of referential.customer_xref, and no other. Returns one row per problem.
-- Several parents: the meta makes it a Dagster check of dim_customer.
{{ config(meta={'dagster': {'ref': {'name': 'dim_customer'}}}) }}

with

customer_xref as (
    select * from {{ source('identity', 'customer_xref') }}
),

customers as (
    select * from {{ ref('dim_customer') }}
),

xref_customers as (
    select distinct customer_id from customer_xref
),

missing_from_dim as (
    select
        'in customer_xref, missing from dim_customer' as problem,
        customer_id
    from xref_customers
    anti join customers using (customer_id)
),

not_in_xref as (
    select
        'in dim_customer, not in customer_xref' as problem,
        customer_id
    from customers
    anti join xref_customers using (customer_id)
),

final as (
    select * from missing_from_dim
    union all
    select * from not_in_xref
)

select * from final
