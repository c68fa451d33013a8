-- Garden purchases per customer before the cutoff: the same season a year earlier, the last two
-- years, and the days since the latest (every fact kept before $cutoff).
select
    l.customer_id,
    count(distinct l.sold_date) filter (
        where l.sold_date >= $cutoff - 365 and l.sold_date < $cutoff - 275
    ) as garden_days_same_season_last_year,
    count(distinct l.sold_date) as garden_days_2y,
    sum(l.net_amount) as garden_spend_2y,
    $cutoff - max(l.sold_date) as days_since_garden_purchase
from sales.fct_sales_lines as l
join referential.dim_product as p on p.product_id = l.product_id
where p.department_name = 'Garden & outdoor'
    and l.customer_id is not null
    and not l.is_cancelled
    and not l.is_return
    and l.sold_date < $cutoff
    and l.sold_date >= $cutoff - 730
group by l.customer_id
