"""Reference measurements run beside the graph in the benchmark: the floor and the pandas way."""

from __future__ import annotations

import time
from pathlib import Path

import duckdb

# What every feature pipeline must at least do: one pass over the sales lines, grouped per customer.
FLOOR_SQL = """
    create or replace temp table floor_per_customer as
    select customer_id, count(*) as n_lines, count(distinct order_id) as n_orders,
           sum(net_amount) as net_amount, max(sold_date) as last_sold_date, min(sold_date) as first_sold_date
    from sales.fct_sales_lines
    where customer_id is not null and sold_date < ?
    group by customer_id
"""


def floor_scan_seconds(db: Path, reference_date: str = "2026-11-01") -> float | None:
    """Wall time of a bare scan-and-aggregate of the sales lines (best of two: the first warms the cache)."""
    if not db.exists():
        return None
    with duckdb.connect(str(db), read_only=True) as conn:
        best = float("inf")
        for _ in range(2):
            started = time.perf_counter()
            conn.execute(FLOOR_SQL, [reference_date])
            best = min(best, time.perf_counter() - started)
    return round(best, 2)


def rfm_pandas(conn: duckdb.DuckDBPyConnection, reference_date: str):
    """RFM the common pandas way: load the lines, groupby-agg, quintiles with qcut. Returns seconds and
    the summary (one row per business unit and customer)."""
    import pandas as pd

    started = time.perf_counter()
    lines = conn.execute(
        "select customer_id, country_code, order_id, sold_date, net_amount::double as net_amount "
        "from sales.fct_sales_lines where customer_id is not null and sold_date < ?",
        [reference_date],
    ).df()
    ref = pd.Timestamp(reference_date)
    rfm = lines.groupby(["country_code", "customer_id"]).agg(
        last=("sold_date", "max"), frequency=("order_id", "nunique"), monetary=("net_amount", "sum")
    )
    rfm["recency"] = (ref - pd.to_datetime(rfm["last"])).dt.days
    by_bu = rfm.groupby(level="country_code")
    rfm["r"] = by_bu["recency"].transform(
        lambda s: pd.qcut(s.rank(method="first"), 5, labels=[5, 4, 3, 2, 1])
    )
    rfm["f"] = by_bu["frequency"].transform(
        lambda s: pd.qcut(s.rank(method="first"), 5, labels=[1, 2, 3, 4, 5])
    )
    rfm["m"] = by_bu["monetary"].transform(
        lambda s: pd.qcut(s.rank(method="first"), 5, labels=[1, 2, 3, 4, 5])
    )
    return time.perf_counter() - started, rfm


def rfm_comparison(db: Path, reference_date: str = "2026-11-01") -> dict:
    """Pandas RFM vs the platform's own (the features asset's computation, when the domain exists)."""
    if not db.exists():
        return {}
    with duckdb.connect(str(db), read_only=True) as conn:
        pandas_s, summary = rfm_pandas(conn, reference_date)
        result = {"customers": len(summary), "pandas_seconds": round(pandas_s, 2), "ours_seconds": None}
        try:
            from benchmarks.ours import rfm_ours_seconds
        except ImportError:
            return result
        result["ours_seconds"] = round(rfm_ours_seconds(conn, reference_date), 2)
        result["pandas_vs_ours"] = round(pandas_s / result["ours_seconds"], 1)
    return result
