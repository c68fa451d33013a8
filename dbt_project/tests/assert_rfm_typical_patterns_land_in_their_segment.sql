-- Each rule's typical_pattern (the playbook's example R-F-M) falls in that rule's own segment, not
-- in an earlier overlapping rule nor in no cell at all. Returns one row per rule that breaks it.
-- Several parents: the meta makes it a Dagster check of int_rfm_segment_cells.
{{ config(meta={'dagster': {'ref': {'name': 'int_rfm_segment_cells'}}}) }}

with

rules as (
    select * from {{ ref('rfm_segment_rules') }}
),

cells as (
    select * from {{ ref('int_rfm_segment_cells') }}
),

final as (
    select
        rules.segment,
        rules.typical_pattern,
        cells.segment as segment_of_the_pattern
    from rules
    left join cells on cells.rfm_cell = rules.typical_pattern
    where rules.typical_pattern is not null
        and cells.segment is distinct from rules.segment
)

select * from final
