"""The RFM summary the platform's way: orders from ``sales.fct_orders`` (order grain, already summed by
dbt) and the return lines booked apart, as the features layer reads them (profile.ORDERS_SQL and
RETURNS_SQL), then customers in DuckDB and quintiles per business unit in SQL (as the features layer
scores R, F and M), returning the same rows as the pandas reference.

The pandas reference reads every line sold before the reference date (returns included, by the date
they were booked). An order's sold lines are booked on its order date and its returns on or after it,
so those lines are the orders placed before the date, minus the returns booked on or after it: the
orders give frequency, monetary and the last date, the few return lines correct them.
"""

from __future__ import annotations

import time

import duckdb

RFM_SQL = """
    create or replace temp table bench_rfm as
    with per_order as (
        select country_code, customer_id, ordered_date, net_amount::decimal(18, 2) as net_amount
        from sales.fct_orders
        where customer_id is not null and ordered_date < $1
    ),
    late_returns as (
        -- return lines of those orders: booked after the date (not yet known), or the last date
        select country_code, customer_id,
               sum(net_amount) filter (where sold_date >= $1) as unknown_amount,
               max(sold_date) filter (where sold_date < $1) as last_return_date
        from sales.fct_sales_lines
        where is_return and customer_id is not null and ordered_date < $1
        group by all
    ),
    per_customer as (
        select country_code, customer_id, max(ordered_date) as last_order_date,
               count(*) as frequency, sum(net_amount) as net_amount
        from per_order
        group by all
    ),
    summary as (
        select c.country_code, c.customer_id,
               greatest(c.last_order_date, r.last_return_date) as last_sold_date,
               c.frequency,
               (c.net_amount - coalesce(r.unknown_amount, 0))::double as monetary
        from per_customer as c
        left join late_returns as r on c.country_code = r.country_code and c.customer_id = r.customer_id
    )
    select *, date_diff('day', last_sold_date, $1::date) as recency_days,
           6 - ntile(5) over (partition by country_code order by recency_days, customer_id) as r,
           ntile(5) over (partition by country_code order by frequency, customer_id) as f,
           ntile(5) over (partition by country_code order by monetary, customer_id) as m
    from summary
"""


def rfm_ours_seconds(conn: duckdb.DuckDBPyConnection, reference_date: str) -> float:
    started = time.perf_counter()
    conn.execute(RFM_SQL, [reference_date])
    return time.perf_counter() - started
