"""RFM: recency, frequency and monetary scores 1-5 within each business unit, and the playbook's
named segments from marketing's rule table (dbt seed ``marketing.rfm_segment_rules``).

Scores are quintiles of the business unit's buyers by percent rank, so equal values always share
a score (many customers bought once: they all get F = 1, not a random split of them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import product

import duckdb

TABLE = "features.customer_rfm"
RULES_TABLE = "marketing.rfm_segment_rules"


@dataclass(frozen=True)
class SegmentRule:
    priority: int
    segment: str
    r_min: int
    r_max: int
    f_min: int
    f_max: int
    m_min: int
    m_max: int
    typical_pattern: str | None = None
    action: str | None = None

    def matches(self, r: int, f: int, m: int) -> bool:
        return (
            self.r_min <= r <= self.r_max and self.f_min <= f <= self.f_max and self.m_min <= m <= self.m_max
        )


def segment_of(rules: Sequence[SegmentRule], r: int, f: int, m: int) -> str:
    for rule in sorted(rules, key=lambda rule: rule.priority):
        if rule.matches(r, f, m):
            return rule.segment
    raise ValueError(f"no RFM rule in {RULES_TABLE} covers the scores {r}-{f}-{m}")


def validate_rules(rules: Sequence[SegmentRule]) -> None:
    """Refuse a playbook that leaves a score combination without a segment, has bounds outside
    1-5, or whose typical pattern does not land in its own segment."""
    if not rules:
        raise ValueError(f"{RULES_TABLE} is empty")
    problems = []
    for rule in rules:
        bounds = (rule.r_min, rule.r_max, rule.f_min, rule.f_max, rule.m_min, rule.m_max)
        if not all(1 <= b <= 5 for b in bounds) or rule.r_min > rule.r_max or rule.f_min > rule.f_max:
            problems.append(f"{rule.segment!r}: bounds must be 1 <= min <= max <= 5, got {bounds}")
        elif rule.m_min > rule.m_max:
            problems.append(f"{rule.segment!r}: m_min > m_max")
    if problems:
        raise ValueError(f"invalid rules in {RULES_TABLE}: " + "; ".join(problems))
    uncovered = [
        f"{r}-{f}-{m}"
        for r, f, m in product(range(1, 6), repeat=3)
        if not any(rule.matches(r, f, m) for rule in rules)
    ]
    if uncovered:
        raise ValueError(
            f"{RULES_TABLE} leaves {len(uncovered)} score combinations without a segment: {uncovered[:10]}"
        )
    for rule in rules:
        if rule.typical_pattern:
            r, f, m = (int(s) for s in rule.typical_pattern.split("-"))
            if (got := segment_of(rules, r, f, m)) != rule.segment:
                problems.append(f"{rule.typical_pattern} is {got!r}, not {rule.segment!r}")
    if problems:
        raise ValueError(f"{RULES_TABLE}: typical patterns land in another segment: " + "; ".join(problems))


def read_rules(conn: duckdb.DuckDBPyConnection) -> list[SegmentRule]:
    rows = conn.execute(
        f"select priority, segment, r_min, r_max, f_min, f_max, m_min, m_max, typical_pattern, action "
        f"from {RULES_TABLE} order by priority"
    ).fetchall()
    return [SegmentRule(*row) for row in rows]


RFM_SQL = """
with
buyers as (
    select customer_id, reference_date, business_unit, currency_code,
        recency_days, frequency_lifetime as frequency, monetary_lifetime as monetary
    from {profile}
    where frequency_lifetime > 0 and business_unit is not null
),

scored as (
    select
        *,
        -- percent rank 0..1 -> 1..5; ties share the score (the lowest of their rank)
        least(5, 1 + floor(5 * percent_rank() over (partition by business_unit order by recency_days desc)))::int
            as r_score,
        least(5, 1 + floor(5 * percent_rank() over (partition by business_unit order by frequency)))::int
            as f_score,
        least(5, 1 + floor(5 * percent_rank() over (partition by business_unit order by monetary)))::int
            as m_score
    from buyers
),

segmented as (
    select
        s.*,
        s.r_score::varchar || '-' || s.f_score::varchar || '-' || s.m_score::varchar as rfm_cell,
        cells.segment,
        cells.action as segment_action
    from scored as s
    left join feat_rfm_cells as cells
        on s.r_score = cells.r and s.f_score = cells.f and s.m_score = cells.m
)

select
    customer_id, reference_date, business_unit, currency_code,
    recency_days, frequency, round(monetary, 2) as monetary,
    r_score, f_score, m_score, rfm_cell, segment, segment_action
from segmented
"""


def segment_cells(rules: Sequence[SegmentRule]) -> list[tuple[int, int, int, str, str | None]]:
    """The 125 (r, f, m) cells with their segment and action: the rule table, resolved once."""
    validate_rules(rules)
    by_name = {rule.segment: rule for rule in rules}
    cells = []
    for r, f, m in product(range(1, 6), repeat=3):
        segment = segment_of(rules, r, f, m)
        cells.append((r, f, m, segment, by_name[segment].action))
    return cells


def customer_rfm(
    conn: duckdb.DuckDBPyConnection, rules: Sequence[SegmentRule], profile: str = "features.customer_profile"
) -> duckdb.DuckDBPyRelation:
    """One row per buyer of ``profile`` (a table name) with scores, cell, segment and action."""
    conn.execute(
        "create or replace temp table feat_rfm_cells (r int, f int, m int, segment varchar, action varchar)"
    )
    conn.executemany("insert into feat_rfm_cells values (?, ?, ?, ?, ?)", segment_cells(rules))
    return conn.sql(RFM_SQL.format(profile=profile))


def segment_summary(conn: duckdb.DuckDBPyConnection):
    """Customers and mean monetary value per business unit and segment of the written table (polars)."""
    return conn.sql(
        "select business_unit, segment, count(*) as customers, round(avg(monetary), 2) as avg_monetary "
        f"from {TABLE} group by all order by business_unit, customers desc"
    ).pl()
