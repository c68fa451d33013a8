"""RFM: recency, frequency and monetary scores 1-5 within each business unit, and each buyer's named
segment in marketing's playbook (dbt seed ``marketing.rfm_segment_rules``, applied to every
score cell by the dbt model ``intermediate.int_rfm_segment_cells``).

Scores are quintiles of the business unit's buyers by percent rank, so equal values always share
a score (many customers bought once: they all get F = 1, not a random split of them).
"""

from __future__ import annotations

import duckdb

TABLE = "features.customer_rfm"
# marketing.rfm_segment_rules resolved to its 125 (r, f, m) cells by dbt; its data tests stop the
# build when a cell has no segment, so every buyer gets one here.
CELLS_TABLE = "intermediate.int_rfm_segment_cells"


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
        cells.segment_action
    from scored as s
    left join {cells} as cells
        on s.r_score = cells.r_score and s.f_score = cells.f_score and s.m_score = cells.m_score
)

select
    customer_id, reference_date, business_unit, currency_code,
    recency_days, frequency, round(monetary, 2) as monetary,
    r_score, f_score, m_score, rfm_cell, segment, segment_action
from segmented
"""


def customer_rfm(
    conn: duckdb.DuckDBPyConnection, profile: str = "features.customer_profile"
) -> duckdb.DuckDBPyRelation:
    """One row per buyer of ``profile`` (a table name) with scores, cell, and the segment and action
    of that cell (``CELLS_TABLE``)."""
    return conn.sql(RFM_SQL.format(profile=profile, cells=CELLS_TABLE))


def segment_summary(conn: duckdb.DuckDBPyConnection):
    """Customers and mean monetary value per business unit and segment of the written table (polars)."""
    return conn.sql(
        "select business_unit, segment, count(*) as customers, round(avg(monetary), 2) as avg_monetary "
        f"from {TABLE} group by all order by business_unit, customers desc"
    ).pl()
