-- Every staging sales line (till receipt lines + web order lines) appears exactly once in
-- fct_sales_lines, and fct_sales_lines holds nothing else. Returns one row per problem.
-- Several parents: the meta makes it a Dagster check of fct_sales_lines.
{{ config(meta={'dagster': {'ref': {'name': 'fct_sales_lines'}}}) }}

with

receipt_lines as (
    select * from {{ ref('stg_pos__receipt_lines') }}
),

order_lines as (
    select * from {{ ref('stg_ecommerce__order_lines') }}
),

sales_lines as (
    select * from {{ ref('fct_sales_lines') }}
),

-- Compared on the natural keys (channel, order, line), not on built id strings: at 23M lines that
-- halves the test. "Nothing else in the fact" follows from equal row counts, no staged line
-- missing and unique keys on both sides (the unique tests on staging and on sales_line_id).
staged as (
    select 'store' as channel, receipt_id as order_id, line_number from receipt_lines
    union all
    select 'web' as channel, ecommerce_order_id as order_id, line_number from order_lines
),

missing_from_fact as (
    select
        'missing from fct_sales_lines' as problem,
        (case staged.channel when 'store' then 'pos' else 'web' end) || ':' || staged.order_id || ':'
            || staged.line_number as sales_line_id,
        null::bigint as n_staged,
        null::bigint as n_in_fact
    from staged
    anti join sales_lines using (channel, order_id, line_number)
),

row_counts as (
    select
        'row counts differ' as problem,
        null::string as sales_line_id,
        (select count(*) from staged) as n_staged,
        (select count(*) from sales_lines) as n_in_fact
),

final as (
    select * from missing_from_fact
    union all
    select * from row_counts
    where n_staged <> n_in_fact
)

select * from final
