"""Reads for the churn model: purchase days, the churn horizon, profiles and labels as of a date.

The profile is the features package's own (``features.profile.customer_profile``) recomputed as of
any cutoff, so the model trains on exactly the indicators it scores with.
"""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import polars as pl

from platform_assets.features import profile

# Gaps between consecutive purchase days in the last two years, per business unit.
GAPS_SQL = """
with days as (
    select l.customer_id, c.country_code as business_unit, l.sold_date as d
    from sales.fct_sales_lines as l
    join referential.dim_customer as c using (customer_id)
    where not l.is_cancelled and not l.is_return and l.sold_date < ? and l.sold_date >= ?
    group by all
)
select business_unit, d - lag(d) over (partition by customer_id order by d) as gap
from days
qualify gap is not null
"""


def inter_purchase_gaps(conn: duckdb.DuckDBPyConnection, reference_date: date) -> pl.DataFrame:
    """business_unit, gap (days) of every repeat purchase in the two years before the reference date."""
    return conn.sql(GAPS_SQL, params=[reference_date, reference_date - timedelta(days=730)]).pl()


def profile_as_of(conn: duckdb.DuckDBPyConnection, cutoff: date) -> pl.DataFrame:
    """The features package's customer profile as of ``cutoff``, buyers only."""
    return profile.customer_profile(conn, cutoff).filter("frequency_lifetime > 0").pl()


def buyers_between(conn: duckdb.DuckDBPyConnection, start: date, end: date) -> pl.DataFrame:
    """customer_id of everyone with a purchase on a local date in [start, end)."""
    return conn.sql(
        "select distinct customer_id from sales.fct_sales_lines where customer_id is not null "
        "and not is_cancelled and not is_return and sold_date >= ? and sold_date < ?",
        params=[start, end],
    ).pl()
