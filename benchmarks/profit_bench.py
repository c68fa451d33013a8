"""Benchmark of the profit engine (attribution, margin matrix, catchment) on a built warehouse, optionally
scaled up.

    uv run python -m benchmarks.profit_bench --db data/warehouse/cdp.duckdb [--replicate 50] [--store-copies 5]

Reads the warehouse read-only. With ``--replicate k`` the inputs the SQL reads (orders, e-mail clicks,
web sessions' UTM events, acquisitions, sales lines, spend) are copied k times into an in-memory
database, every customer, order and product id suffixed with the copy's number (k customers for one,
as many products: a catalogue k times as wide, so the matrix's rows grow too), then the assets' SQL
runs on them as the assets run it: a proxy of a k-times larger retailer, not a real one (the same
behaviour repeated). ``--store-copies n``: every physical store n times at the same place (the 1M demo
has 75 physical stores, the 20k one 15). Prints one JSON line: rows in, seconds per step (wall and CPU).
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from datetime import date

import duckdb

from platform_assets.lib.retailer import DEMO_RETAILER, load_retailer
from platform_assets.profit import attribution, catchment, margin_matrix

COPIES = {
    "sales.fct_orders": (
        "select channel, order_id || '#' || k as order_id, customer_id || '#' || k as customer_id, "
        "store_id || '#0' as store_id, country_code, "
        "currency_code, ordered_at, ordered_date, net_amount, margin_amount, is_cancelled, is_return_only "
        "from src.sales.fct_orders"
    ),
    "marketing.fct_email_events": (
        "select email_event_id || '#' || k as email_event_id, email_campaign_id, customer_id || '#' || k as "
        "customer_id, event_type, event_at from src.marketing.fct_email_events where event_type = 'click'"
    ),
    "marketing.fct_web_events": (
        "select session_id || '#' || k as session_id, customer_id || '#' || k as customer_id, event_at, utm_medium, "
        "utm_campaign from src.marketing.fct_web_events where utm_medium is not null"
    ),
    "marketing.dim_customer_acquisition": (
        "select customer_id || '#' || k as customer_id, acquisition_record_id || '#' || k as acquisition_record_id, "
        "acquisition_channel, campaign_code, acquired_at from src.marketing.dim_customer_acquisition"
    ),
    "sales.fct_sales_lines": (
        "select product_id || '#' || k as product_id, country_code, currency_code, quantity, unit_price, "
        "discount_amount, net_amount, margin_amount, is_return, is_cancelled, ordered_date, sold_date "
        "from src.sales.fct_sales_lines"
    ),
    "referential.dim_product_price": (
        "select product_id || '#' || k as product_id, country_code, currency_code, list_price, cost_price "
        "from src.referential.dim_product_price"
    ),
    "referential.dim_customer": (
        "select customer_id || '#' || k as customer_id, country_code, postcode from src.referential.dim_customer"
    ),
    "referential.dim_product": (
        "select product_id || '#' || k as product_id, department_id, department_name, category_name "
        "from src.referential.dim_product"
    ),
}


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def scaled(db: str, k: int, store_copies: int = 1) -> duckdb.DuckDBPyConnection:
    conn = duckdb.connect()
    conn.execute(f"attach '{db}' as src (read_only)")
    for table, select in COPIES.items():
        conn.execute(f"create schema if not exists {table.split('.')[0]}")
        conn.execute(f"create table {table} as select s.* from range({k}) as r(k), lateral ({select}) as s")
    # stores: copied store_copies times (the 1M demo has 75 physical stores, the 20k one 15), same places
    conn.execute(
        "create table referential.dim_store as select s.* replace (s.store_id || '#' || k as store_id) "
        f"from range({store_copies}) as r(k), src.referential.dim_store as s"
    )
    conn.execute("create schema if not exists staging")
    conn.execute(f"create table {catchment.CENTROIDS} as from src.{catchment.CENTROIDS}")
    # spend is per business unit, channel and day: a k-times larger retailer spends k times the money
    conn.execute(
        "create table marketing.fct_marketing_spend as select * replace (spend_amount * "
        f"{k} as spend_amount) from src.marketing.fct_marketing_spend"
    )
    return conn


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--replicate", type=int, default=1)
    parser.add_argument("--store-copies", type=int, default=1)
    parser.add_argument("--reference-date", default="2026-11-01")
    args = parser.parse_args()
    ref = date.fromisoformat(args.reference_date)
    retailer = load_retailer(DEMO_RETAILER)
    started = time.perf_counter()
    conn = scaled(args.db, args.replicate, args.store_copies)
    [(orders,)] = conn.execute("select count(*) from sales.fct_orders").fetchall()
    [(lines,)] = conn.execute("select count(*) from sales.fct_sales_lines").fetchall()
    [(customers,)] = conn.execute("select count(*) from referential.dim_customer").fetchall()
    [(stores,)] = conn.execute("select count(*) from referential.dim_store where not is_web_shop").fetchall()
    figures = {"replicate": args.replicate, "orders": orders, "sales_lines": lines, "customers": customers}
    figures["physical_stores"] = stores
    figures["copy_s"] = round(time.perf_counter() - started, 1)
    steps = {
        "attribution": lambda: (
            conn.execute(
                f"create temp table {attribution.CREDITS} as {attribution.credits_sql(retailer.attribution, ref)}"
            ),
            conn.execute(f"create table {attribution.TABLE} as {attribution.attribution_sql(ref)}"),
        ),
        "attribution_by_channel": lambda: conn.execute(
            f"create table {attribution.BY_CHANNEL_TABLE} as {attribution.by_channel_sql(ref)}"
        ),
        "margin_matrix": lambda: conn.execute(
            f"create table {margin_matrix.TABLE} as {margin_matrix.margin_matrix_sql(retailer.margin_matrix, ref)}"
        ),
    }
    steps["customer_catchment"] = lambda: conn.execute(
        f"create table {catchment.CUSTOMER_TABLE} as {catchment.customer_catchment_sql(retailer.catchment, ref)}"
    )
    steps["store_catchment"] = lambda: conn.execute(
        f"create table {catchment.STORE_TABLE} as {catchment.store_catchment_sql(retailer.catchment, ref)}"
    )
    conn.execute("create schema if not exists features")
    for name, step in steps.items():
        wall, cpu = time.perf_counter(), _cpu()
        step()
        figures[f"{name}_s"] = round(time.perf_counter() - wall, 2)
        figures[f"{name}_cpu_s"] = round(_cpu() - cpu, 2)
    [(rows,)] = conn.execute(f"select count(*) from {margin_matrix.TABLE}").fetchall()
    figures["margin_matrix_rows"] = rows
    figures["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
