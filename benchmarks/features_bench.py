"""Benchmark of the features layer on a built warehouse (e.g. 1M customers / ~20M sales lines).

    flock /tmp/cdp-1m.lock uv run python -m benchmarks.features_bench --db /tmp/<you>/cdp.duckdb

Works on the given DuckDB file (a copy: it writes the features tables into it). Three parts, each
in its own process so peak memory (ru_maxrss) is measured per part:
  ours     profile + RFM + CLV (fit, predict, backtest) exactly as the assets do, timed per step;
  summary  our recency/frequency/monetary summary alone (the CLV asset's DuckDB query, which also
           gives the backtest's summary in the same scan), for the ratio;
  pandas   the same summary the common way: lifetimes' ``summary_data_from_transaction_data``
           pattern (to_period, groupby day, groupby customer min/max/count, mean of repeat days),
           on the same lines read from DuckDB; checked equal to ours.
Prints one JSON line per part and a summary; ``--out`` appends them to a JSONL file.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

LINES_SQL = """
select l.customer_id, l.sold_date, l.net_amount::double as value
from sales.fct_sales_lines as l
inner join referential.dim_customer as d on l.customer_id = d.customer_id
where not l.is_return and not l.is_cancelled and l.sold_date < ? and d.country_code is not null
"""


def _cpu_s() -> float:
    """CPU seconds of this process, all threads: the work done, whatever the machine's load
    (on a shared machine the wall clock also measures the other users)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # ru_maxrss is in KiB on Linux


def part_ours(db: str, ref: date) -> dict:
    """The three feature assets and their blocking checks, materialised by Dagster on the copy."""
    os.environ["CDP_DUCKDB_PATH"] = db
    import dagster as dg
    import duckdb

    from platform_assets.features import checks
    from platform_assets.features.assets import customer_clv, customer_profile, customer_rfm
    from platform_assets.lib.resources import resources_from_env
    from platform_assets.lib.settings import REFERENCE_DATE_TAG

    _ensure_rfm_cells(db)
    timings, metadata = {}, {}
    instance = dg.DagsterInstance.ephemeral()
    started, cpu_started = time.perf_counter(), _cpu_s()
    for asset in (customer_profile, customer_rfm, customer_clv):
        name = asset.key.path[-1]
        t, cpu = time.perf_counter(), _cpu_s()
        result = dg.materialize(
            [customer_profile, customer_rfm, customer_clv, *checks.CHECKS],
            selection=dg.AssetSelection.assets(asset),  # the asset and its checks
            resources=resources_from_env(),
            instance=instance,
            tags={REFERENCE_DATE_TAG: ref.isoformat()},
        )
        timings[f"{name}_s"] = round(time.perf_counter() - t, 1)
        timings[f"{name}_cpu_s"] = round(_cpu_s() - cpu, 1)
        assert result.success, name
        checks_passed = all(e.passed for e in result.get_asset_check_evaluations())
        [event] = result.get_asset_materialization_events()
        meta = event.materialization.metadata
        metadata[name] = {
            "rows": meta["dagster/row_count"].value,
            "checks_passed": checks_passed,
            **{k: v.value for k, v in meta.items() if k.startswith("backtest_") and "_FR" in k},
        }
    with duckdb.connect(db, read_only=True) as conn:
        [(lines,)] = conn.execute("select count(*) from sales.fct_sales_lines").fetchall()
    return {
        "part": "ours",
        "total_s": round(time.perf_counter() - started, 1),
        "total_cpu_s": round(_cpu_s() - cpu_started, 1),
        **timings,
        "peak_rss_gb": round(_peak_gb(), 2),
        "sales_lines": lines,
        **metadata,
    }


def _ensure_rfm_cells(db: str) -> None:
    """A warehouse built before the RFM playbook's dbt model existed gets it (and the seed) here, as the
    refresh's dbt step would build them (untimed)."""
    import duckdb

    from platform_assets.lib.settings import DBT_PROJECT_DIR
    from platform_assets.referential.assets import DBT_BUILD_ARGS

    with duckdb.connect(db) as conn:
        built = conn.execute(
            "select 1 from duckdb_tables() "
            "where schema_name = 'intermediate' and table_name = 'int_rfm_segment_cells'"
        ).fetchall()
    if not built:
        dbt = Path(sys.executable).parent / "dbt"
        subprocess.run(
            [
                str(dbt),
                "build",
                "--quiet",
                "--select",
                "rfm_segment_rules",
                "int_rfm_segment_cells",
                *DBT_BUILD_ARGS,
            ],
            cwd=DBT_PROJECT_DIR,
            env={**os.environ, "CDP_DUCKDB_PATH": db},
            check=True,
        )


def part_summary(db: str, ref: date) -> dict:
    import duckdb

    from platform_assets.features import lifetime_value
    from platform_assets.lib.retailer import ClvSettings

    conn = duckdb.connect(db, read_only=True)
    t, cpu = time.perf_counter(), _cpu_s()
    periods = lifetime_value.clv_periods(ClvSettings(horizon=365 / 7), ref)  # the demo's
    summary = lifetime_value.customer_summaries(conn, periods).now
    elapsed, cpu = time.perf_counter() - t, _cpu_s() - cpu
    summary.select("customer_id", "x", "t_x", "T", "m").write_parquet(_summary_path(db, "ours"))
    return {
        "part": "summary",
        "seconds": round(elapsed, 2),
        "cpu_s": round(cpu, 2),
        "customers": summary.height,
        "peak_rss_gb": round(_peak_gb(), 2),
    }


def part_pandas(db: str, ref: date) -> dict:
    import duckdb
    import pandas as pd

    conn = duckdb.connect(db, read_only=True)
    t, cpu = time.perf_counter(), _cpu_s()
    transactions = conn.sql(LINES_SQL, params=[ref]).df()
    loaded = time.perf_counter() - t
    t = time.perf_counter()
    # lifetimes.utils.summary_data_from_transaction_data(transactions, "customer_id", "sold_date",
    # monetary_value_col="value", observation_period_end=ref - 1 day, freq="D"), written out (the package
    # itself is unmaintained and does not install on pandas 2 / numpy 2).
    transactions["sold_date"] = pd.to_datetime(transactions["sold_date"]).dt.to_period("D")
    period = transactions.groupby(["customer_id", "sold_date"], sort=False)["value"].sum().reset_index()
    period = period.sort_values(["customer_id", "sold_date"])
    period["first"] = ~period["customer_id"].duplicated()
    customers = period.groupby("customer_id")["sold_date"].agg(["min", "max", "count"])
    end = pd.Period(ref - timedelta(days=1), "D")  # lifetimes' observation_period_end: the last day
    customers["frequency"] = customers["count"] - 1
    customers["T"] = (end - customers["min"]).apply(lambda d: d.n) / 7
    customers["recency"] = (customers["max"] - customers["min"]).apply(lambda d: d.n) / 7
    repeat = period[~period["first"]].groupby("customer_id")["value"].mean()
    customers["monetary_value"] = repeat.reindex(customers.index).fillna(0.0)
    elapsed, cpu = time.perf_counter() - t, _cpu_s() - cpu
    out = customers[["frequency", "recency", "T", "monetary_value"]].reset_index()
    out.to_parquet(_summary_path(db, "pandas"))
    return {
        "part": "pandas",
        "load_s": round(loaded, 2),
        "compute_s": round(elapsed, 2),
        "seconds": round(loaded + elapsed, 2),
        "cpu_s": round(cpu, 2),
        "customers": len(out),
        "peak_rss_gb": round(_peak_gb(), 2),
    }


def _summary_path(db: str, name: str) -> str:
    return str(Path(db).with_name(f"bench_summary_{name}.parquet"))


def _same_summaries(db: str) -> bool:
    import polars as pl

    ours = pl.read_parquet(_summary_path(db, "ours")).sort("customer_id")
    theirs = pl.read_parquet(_summary_path(db, "pandas")).sort("customer_id")
    if ours.height != theirs.height or not ours["customer_id"].equals(theirs["customer_id"]):
        return False
    pairs = (("x", "frequency"), ("t_x", "recency"), ("T", "T"), ("m", "monetary_value"))
    return all(((ours[a] - theirs[b]).abs() < 1e-6 * (1 + theirs[b].abs())).all() for a, b in pairs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--reference-date", default="2026-11-01")
    parser.add_argument("--part", choices=["ours", "summary", "pandas"])
    parser.add_argument("--skip-pandas", action="store_true")
    parser.add_argument("--out")
    args = parser.parse_args()
    ref = date.fromisoformat(args.reference_date)
    if args.part:
        result = {"ours": part_ours, "summary": part_summary, "pandas": part_pandas}[args.part](args.db, ref)
        print(json.dumps(result))
        return
    results = []
    parts = ["ours", "summary"] + ([] if args.skip_pandas else ["pandas"])
    for part in parts:
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "benchmarks.features_bench",
                "--db",
                args.db,
                "--reference-date",
                args.reference_date,
                "--part",
                part,
            ],
            capture_output=True,
            text=True,
            check=False,
            env=os.environ,
        )
        if proc.returncode:
            sys.exit(f"benchmark part {part} failed:\n{proc.stderr[-3000:]}")
        results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        print(json.dumps(results[-1]), flush=True)
    by = {r["part"]: r for r in results}
    verdict = {
        "part": "verdict",
        "features_s": by["ours"]["total_s"],
        "features_peak_gb": by["ours"]["peak_rss_gb"],
        "target_s": 120,
        "target_gb": 6,
    }
    if "pandas" in by:
        verdict |= {
            "summary_ours_s": by["summary"]["seconds"],
            "summary_pandas_s": by["pandas"]["seconds"],
            "speedup": round(by["pandas"]["seconds"] / by["summary"]["seconds"], 1),
            "speedup_compute_only": round(by["pandas"]["compute_s"] / by["summary"]["seconds"], 1),
            "cpu_ratio": round(by["pandas"]["cpu_s"] / by["summary"]["cpu_s"], 1),
            "same_summary": _same_summaries(args.db),
        }
    print(json.dumps(verdict))
    if args.out:
        with open(args.out, "a") as handle:
            for r in [*results, verdict]:
                handle.write(json.dumps({"db": args.db, "reference_date": args.reference_date, **r}) + "\n")


if __name__ == "__main__":
    main()
