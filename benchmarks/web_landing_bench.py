"""Web analytics landing + stitching at scale: issue 23's target, at 1M customers (~31M events, 396
daily gzip NDJSON files) landing + stitching in <= 120 s with <= 8 GB of peak memory.

    uv run python benchmarks/web_landing_bench.py --customers 1000000
    uv run python benchmarks/web_landing_bench.py --customers 20000      # a quick look

The synthetic export (``benchmarks/web_data.py``: the contract's shape and sizes, 1.5 cookies per
customer, logins tying cookies to e-commerce accounts, shared devices, bots, a few malformed lines) is
written once under ``data/bench-web/<scale>/`` and reused. Each run builds a fresh warehouse in that
folder with the other inputs stitching reads (the demo retailer's referential tables, the accounts'
``customer_xref``, the catalogue categories, an empty erasure list), then, under ``flock
/tmp/cdp-1m.lock`` (no other big run at the same time) and with the load average recorded, times:

  landing      the landing step's work for raw.web_events: plan (files scanned, read by DuckDB,
               business units checked) and load (rename into raw, null markers, quarantine rules,
               audit), then its blocking checks (reconciliation, quarantine, primary key)
  stitching    ``dbt build`` of the web models and their tests (stg_web__events, int_web_cookies,
               cookie_xref, web_cookie_conflicts, fct_web_events; stg_catalog__categories with them)
               and the stitch quality asset's computation against the generator's truth

with the peak resident memory of the whole process tree (this process, DuckDB's threads, dbt),
sampled from /proc. Prints one JSON line and writes it to ``benchmarks/results/<date>-web-<scale>.json``.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as a script from the repo root

import duckdb  # noqa: E402

from benchmarks import web_data  # noqa: E402
from benchmarks.bench import MemorySampler, machine  # noqa: E402
from platform_assets.landing.contracts import CONTRACTS_BY_TABLE  # noqa: E402
from platform_assets.landing.keys import primary_key_check  # noqa: E402
from platform_assets.landing.loader import create_raw_table_sql, load_source, plan_source  # noqa: E402
from platform_assets.lib.retailer import DEMO_RETAILER, load_retailer  # noqa: E402
from platform_assets.lib.settings import DBT_PROJECT_DIR  # noqa: E402
from platform_assets.quality.reconciliation import quarantine_check, reconciliation_check  # noqa: E402
from platform_assets.referential import web_stitching  # noqa: E402
from platform_assets.referential.business_units import write_referential  # noqa: E402

RESULTS = REPO / "benchmarks" / "results"
LOCK = Path("/tmp/cdp-1m.lock")
WEB_MODELS = (
    "stg_catalog__categories",
    "stg_web__events",
    "int_web_cookies",
    "cookie_xref",
    "web_cookie_conflicts",
    "fct_web_events",
)
TARGET_SECONDS, TARGET_GB = 120, 8


def prepare(warehouse: Path, data_dir: Path, retailer) -> None:
    """The inputs stitching reads besides the web export (not timed)."""
    with duckdb.connect(str(warehouse)) as conn:
        write_referential(conn, retailer)
        conn.execute(f"attach '{data_dir / 'inputs.duckdb'}' as inputs (read_only)")
        conn.execute("create table referential.customer_xref as select * from inputs.customer_xref")
        conn.execute("detach inputs")
        conn.execute("create schema if not exists ops")
        conn.execute("create table ops.erasure_suppression (key_type varchar, key_hash varchar)")
        conn.execute("create schema if not exists raw")
        conn.execute(create_raw_table_sql(CONTRACTS_BY_TABLE["catalog_categories"]))
        conn.execute(
            """insert into raw.catalog_categories
            select printf('D%02d', d), null, printf('Department %d', d), '1', 'catalog/categories.csv', d, 'prep', now()
            from range(1, 10) t(d)
            union all
            select printf('D%02dC%02d', d, c), printf('D%02d', d), printf('Category %d.%d', d, c), '2',
                'catalog/categories.csv', 100 + d * 10 + c, 'prep', now()
            from range(1, 10) t(d), range(1, 7) u(c)"""
        )


def land(warehouse: Path, landing: Path, retailer, memory_limit: str) -> dict:
    """The landing step's work for raw.web_events, timed part by part."""
    contract = CONTRACTS_BY_TABLE["web_events"]
    figures: dict = {}
    with duckdb.connect(str(warehouse)) as conn:
        conn.execute(f"set memory_limit = '{memory_limit}'")
        load_id, loaded_at = "bench", datetime.now(UTC).replace(tzinfo=None)
        started = time.perf_counter()
        plan = plan_source(conn, landing, contract, retailer, DEMO_RETAILER)
        figures["plan_s"] = time.perf_counter() - started
        started = time.perf_counter()
        load = load_source(conn, landing, contract, load_id, loaded_at, retailer, DEMO_RETAILER, plan)
        figures["load_s"] = time.perf_counter() - started
        started = time.perf_counter()
        checks = [
            reconciliation_check(conn, contract.table, load_id),
            quarantine_check(conn, contract.table, load_id, retailer.max_quarantined_share(contract.table)),
            primary_key_check(conn, contract),
        ]
        figures["checks_s"] = time.perf_counter() - started
    figures.update(
        rows_read=load.rows_read,
        rows_quarantined=load.rows_quarantined,
        quarantined_by_rule=load.quarantined_by_rule,
        checks_passed={c.check_name: c.passed for c in checks},
    )
    return figures


def stitch(warehouse: Path, truth: Path, memory_limit: str) -> dict:
    """dbt build of the web models (with their tests; DuckDB's memory limit ``CDP_DBT_MEMORY_LIMIT``),
    then the stitch quality asset's computation."""
    started, wall_started = time.perf_counter(), time.time()
    dbt = Path(sys.executable).parent / "dbt"
    done = subprocess.run(
        [str(dbt), "build", "--select", *WEB_MODELS, "--exclude-resource-type", "unit_test"],
        cwd=DBT_PROJECT_DIR,
        env={**os.environ, "CDP_DUCKDB_PATH": str(warehouse), "CDP_DBT_MEMORY_LIMIT": memory_limit},
        capture_output=True,
        text=True,
    )
    dbt_seconds, dbt_wall = time.perf_counter() - started, (wall_started, time.time())
    if done.returncode != 0:
        raise RuntimeError(f"dbt build failed:\n{done.stdout[-4000:]}")
    target = DBT_PROJECT_DIR / (os.environ.get("DBT_TARGET_PATH") or "target")  # where dbt writes
    results = json.loads((target / "run_results.json").read_text())["results"]
    models = {
        r["unique_id"].split(".")[-1]: round(r["execution_time"], 2)
        for r in results
        if r["unique_id"].startswith("model.")
    }
    tests = sum(r["execution_time"] for r in results if r["unique_id"].startswith("test."))
    started, wall_started = time.perf_counter(), time.time()
    with duckdb.connect(str(warehouse)) as conn:
        quality = web_stitching.stitch_quality(conn, truth)
        web_stitching.record(conn, quality, "bench", datetime.now(UTC).replace(tzinfo=None))
        [(shared, _)] = conn.execute(web_stitching.CONFLICTS_SQL).fetchall()
        conn.sql(web_stitching.CONFLICT_EXAMPLES_SQL).pl()
        [(events, bots, attributed)] = conn.execute(
            "select count(*), count(*) filter (where is_bot), "
            "(select count(*) from referential.cookie_xref) from staging.stg_web__events"
        ).fetchall()
    return {
        "dbt_build_s": dbt_seconds,
        "dbt_window": dbt_wall,
        "stitch_quality_window": (wall_started, time.time()),
        "dbt_models_s": models,
        "dbt_tests_s": round(tests, 2),
        "dbt_tests": sum(r["unique_id"].startswith("test.") for r in results),
        "stitch_quality_s": time.perf_counter() - started,
        "staged_events": events,
        "bot_events": bots,
        "cookies_attributed": attributed,
        "shared_cookies": shared,
        "stitch_precision": quality and round(quality.stitch_precision, 5),
        "stitch_recall_logged_in": quality and round(quality.stitch_recall_logged_in, 5),
        "bot_precision": quality and round(quality.bot_precision, 5),
        "bot_recall": quality and round(quality.bot_recall, 5),
    }


def cpu_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument(
        "--memory-limit",
        default="6GB",
        help="DuckDB's memory_limit for the landing and for dbt (CDP_DBT_MEMORY_LIMIT)",
    )
    args = parser.parse_args()
    scale = f"{args.customers // 1000}k"
    data_dir = REPO / "data" / "bench-web" / scale
    started = time.perf_counter()
    facts = web_data.write(data_dir, args.customers)
    print(f"web export: {facts} ({time.perf_counter() - started:.0f} s, reused when present)", flush=True)
    retailer = load_retailer(DEMO_RETAILER)
    run_dir = data_dir / "run"
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir()
    warehouse = run_dir / "warehouse.duckdb"
    prepare(warehouse, data_dir, retailer)
    with LOCK.open("w") as lock:
        waited = time.perf_counter()
        fcntl.flock(lock, fcntl.LOCK_EX)  # no other big run at the same time
        result = {
            "customers": args.customers,
            **facts,
            "memory_limit": args.memory_limit,
            "lock_wait_s": round(time.perf_counter() - waited, 1),
        }
        result["machine"] = machine()  # its load_average_at_start: what else was running
        cpu_before = cpu_seconds()
        with MemorySampler(os.getpid()) as memory:
            started, wall_started = time.perf_counter(), time.time()
            landing = land(warehouse, data_dir / "landing", retailer, args.memory_limit)
            landed, wall_landed = time.perf_counter(), time.time()
            print(f"landing: {landed - started:.1f} s {landing}", flush=True)
            stitching = stitch(warehouse, data_dir / "ground_truth", args.memory_limit)
            finished = time.perf_counter()
        cpu = cpu_seconds() - cpu_before
    landing_s = landed - started
    stitching_s = finished - landed
    peak_gb = memory.peak() / 1024**3
    result.update(
        date=datetime.now(UTC).isoformat(timespec="seconds"),
        landing_s=round(landing_s, 1),
        landing_events_per_s=round(landing["rows_read"] / landing_s),
        stitching_s=round(stitching_s, 1),
        total_s=round(landing_s + stitching_s, 1),
        cpu_s=round(cpu, 1),
        peak_gb=round(peak_gb, 2),
        landing_peak_gb=round(memory.peak(wall_started, wall_landed) / 1024**3, 2),
        target_met={"seconds": landing_s + stitching_s <= TARGET_SECONDS, "memory": peak_gb <= TARGET_GB},
        landing={k: round(v, 1) if isinstance(v, float) else v for k, v in landing.items()},
        stitching={
            k: round(v, 1) if isinstance(v, float) else v for k, v in stitching.items() if "window" not in k
        },
        dbt_peak_gb=round(memory.peak(*stitching["dbt_window"]) / 1024**3, 2),
        stitch_quality_peak_gb=round(memory.peak(*stitching["stitch_quality_window"]) / 1024**3, 2),
        warehouse_gb=round(warehouse.stat().st_size / 1024**3, 2),
    )
    line = json.dumps(result)
    print(line)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{datetime.now(UTC):%Y-%m-%d}-web-{scale}.json").write_text(line + "\n")


if __name__ == "__main__":
    main()
