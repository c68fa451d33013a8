-- A sales line has a customer exactly when it is not anonymous: every loyalty card, web-shop
-- account and guest order met on a sale has its row in referential.customer_xref.
with

sales_lines as (
    select * from {{ ref('fct_sales_lines') }}
),

final as (
    select
        sales_line_id,
        is_anonymous,
        customer_id
    from sales_lines
    where (customer_id is null) <> is_anonymous
)

select * from final
