-- Marketing's RFM playbook resolved once: each of the 125 (R, F, M) score cells with the segment
-- of the first rule, by priority, whose three ranges hold it, and that rule's action.
with

rules as (
    select * from {{ ref('rfm_segment_rules') }}
),

scores as (
    select score from (values (1), (2), (3), (4), (5)) as scores (score)
),

cells as (
    select
        r.score::integer as r_score,
        f.score::integer as f_score,
        m.score::integer as m_score
    from scores as r
    cross join scores as f
    cross join scores as m
),

matches as (
    select
        cells.r_score,
        cells.f_score,
        cells.m_score,
        rules.priority,
        rules.segment,
        rules.action
    from cells
    left join rules
        on cells.r_score between rules.r_min and rules.r_max
        and cells.f_score between rules.f_min and rules.f_max
        and cells.m_score between rules.m_min and rules.m_max
    -- the first rule by priority wins; a cell no rule holds keeps one row with a null segment
    qualify row_number() over (
        partition by cells.r_score, cells.f_score, cells.m_score order by rules.priority nulls last
    ) = 1
),

final as (
    select
        -- ids (the cell)
        r_score,
        f_score,
        m_score,

        -- strings
        r_score::string || '-' || f_score::string || '-' || m_score::string as rfm_cell,
        segment,
        action as segment_action,

        -- numerics
        priority as rule_priority

    from matches
)

select * from final
