"""Weekly units sold per business unit, store and department, from the sales facts (no Dagster).

A week starts on Monday (``date_trunc('week', ...)``); the weeks kept are the complete ones before the
reference date. Units are the quantities of sold lines (returns and cancelled lines left out). Every
store x department series runs from its first sale to the last complete week, weeks without a sale
read 0 (not missing)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import duckdb
import numpy as np
import polars as pl

from platform_assets.lib.engine_queries import Scan, on_duckdb
from platform_assets.lib.tables import relation_exists

WEEKLY_SQL = """
select
    s.country_code as business_unit, s.store_id, p.department_name,
    date_trunc('week', s.sold_date)::date as week_start,
    sum(s.quantity)::double as units
from sales.fct_sales_lines s
join referential.dim_product p using (product_id)
where not s.is_cancelled and not s.is_return and s.store_id is not null and p.department_name is not null
    and s.sold_date < $ref and date_trunc('week', s.sold_date)::date + 7 <= $ref
group by all
"""
WEEKLY_READS = ("sales.fct_sales_lines", "referential.dim_product")  # the scan grows with the sales
CAMPAIGNS = "staging.stg_campaigns__campaigns"  # the campaign calendar (a feature known ahead)
CAMPAIGNS_SQL = f"""
select country_code as business_unit, date_trunc('week', sent_on)::date as week_start, count(*)::double as campaigns
from {CAMPAIGNS}
where sent_on is not null
group by all
"""


@dataclass(frozen=True)
class Series:
    """``units[i, w]``: units of series ``keys[i]`` in week ``weeks[w]``; ``started[i]``: its first week."""

    keys: pl.DataFrame  # business_unit, store_id, department_name
    weeks: list[date]
    units: np.ndarray
    started: np.ndarray
    campaigns: np.ndarray  # [series, week + future weeks]: campaigns the unit sent that week (calendar)

    @property
    def last_week(self) -> date | None:
        return self.weeks[-1] if self.weeks else None


def has_campaign_calendar(conn: duckdb.DuckDBPyConnection) -> bool:
    """Whether the campaign calendar exists: a staging model, a view on DuckDB and a table read back
    from Spark (a check of tables only left the DuckDB forecast without its campaign feature)."""
    return relation_exists(conn, CAMPAIGNS)


def weekly(
    conn: duckdb.DuckDBPyConnection,
    reference_date: date,
    future_weeks: int,
    has_campaigns: bool,
    scan: Scan = on_duckdb,
) -> Series:
    """The weekly series as of ``reference_date``, and the campaign calendar over them and the
    ``future_weeks`` after. ``scan``: where the sales are summed per week (lib/engine_queries.py:
    on Spark with ``CDP_ENGINE=spark``); the series (weeks x stores x departments) are read here."""
    sql = WEEKLY_SQL.replace("$ref", f"date '{reference_date.isoformat()}'")
    frame = conn.sql(scan(sql, WEEKLY_READS)).pl()
    calendar = conn.sql(CAMPAIGNS_SQL).pl() if has_campaigns else pl.DataFrame()
    return build(frame, calendar, future_weeks)


def build(frame: pl.DataFrame, calendar: pl.DataFrame, future_weeks: int) -> Series:
    """``frame``: business_unit, store_id, department_name, week_start, units (weeks with sales)."""
    key = ["business_unit", "store_id", "department_name"]
    if frame.is_empty():
        return Series(
            pl.DataFrame(schema={k: pl.String for k in key}),
            [],
            np.zeros((0, 0)),
            np.zeros(0),
            np.zeros((0, 0)),
        )
    first, last = frame["week_start"].min(), frame["week_start"].max()
    weeks = [first + timedelta(days=7 * i) for i in range((last - first).days // 7 + 1)]
    keys = frame.select(key).unique().sort(key)
    index = {w: i for i, w in enumerate(weeks)}
    rows = keys.with_row_index("row")
    cells = frame.join(rows, on=key)
    units = np.zeros((keys.height, len(weeks)))
    units[cells["row"].to_numpy(), [index[w] for w in cells["week_start"].to_list()]] = cells[
        "units"
    ].to_numpy()
    started = (units > 0).argmax(axis=1)
    all_weeks = weeks + [last + timedelta(days=7 * (i + 1)) for i in range(future_weeks)]
    campaigns = np.zeros((keys.height, len(all_weeks)))
    if not calendar.is_empty():
        windex = {w: i for i, w in enumerate(all_weeks)}
        unit_rows = rows.group_by("business_unit").agg(pl.col("row"))
        for bu, week, count in calendar.iter_rows():
            if week in windex:
                for r in unit_rows.filter(pl.col("business_unit") == bu)["row"].explode().to_list():
                    campaigns[r, windex[week]] += count
    return Series(keys, weeks, units, started, campaigns)
