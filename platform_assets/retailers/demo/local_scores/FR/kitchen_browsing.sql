-- Kitchen browsing per customer in the 60 days before the cutoff (web events kept before $cutoff).
select
    w.customer_id,
    count(*) filter (where w.event_type = 'product_view') as kitchen_views_60d,
    count(*) filter (where w.event_type = 'cart_add') as kitchen_cart_adds_60d
from marketing.fct_web_events as w
join (select distinct department_id, department_name from referential.dim_product) as d
    on d.department_id = w.department_id
where d.department_name = 'Kitchen'
    and w.customer_id is not null
    and w.event_date < $cutoff
    and w.event_date >= $cutoff - 60
group by w.customer_id
