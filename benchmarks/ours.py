"""The RFM summary the platform's way: orders then customers in DuckDB, quintiles per business unit in SQL (as the
features layer scores R, F and M), returning the same rows as the pandas reference."""

from __future__ import annotations

import time

import duckdb

RFM_SQL = """
    create or replace temp table bench_rfm as
    with per_order as (
        -- orders first, as the features layer reads them (sales.fct_orders): frequency is then a
        -- plain count, not a distinct aggregate over the lines
        select country_code, customer_id, order_id, max(sold_date) as sold_date,
               sum(net_amount::double) as net_amount
        from sales.fct_sales_lines
        where customer_id is not null and sold_date < $1
        group by all
    ),
    per_customer as (
        select country_code, customer_id, max(sold_date) as last_sold_date,
               count(*) as frequency, sum(net_amount) as monetary
        from per_order
        group by all
    )
    select *, date_diff('day', last_sold_date, $1::date) as recency_days,
           6 - ntile(5) over (partition by country_code order by recency_days, customer_id) as r,
           ntile(5) over (partition by country_code order by frequency, customer_id) as f,
           ntile(5) over (partition by country_code order by monetary, customer_id) as m
    from per_customer
"""


def rfm_ours_seconds(conn: duckdb.DuckDBPyConnection, reference_date: str) -> float:
    started = time.perf_counter()
    conn.execute(RFM_SQL, [reference_date])
    return time.perf_counter() - started
