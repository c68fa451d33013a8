"""What the quality gates cost: the daily refresh with and without its checks, same data, fresh warehouses.

    uv run python benchmarks/quality_overhead.py --landing data/demo/landing --work /tmp/bench
    uv run python benchmarks/quality_overhead.py --landing data/bench/1000000/demo/landing \
        --work data/bench/quality-1m --with-checks-from benchmarks/results/<date>-1000k.json

Runs ``daily_refresh`` (every asset and check, as production runs it: in one process) and the
same assets without any asset check (no GX suite, profile, reconciliation or dbt test), each into
its own fresh DuckDB file, then prints wall times, per-step times and the overhead. Quarantine
rules run inside the load in both runs: their time (``rules_seconds`` on each raw asset) is moved
from the baseline to the quality side. At 1M customers wrap it in ``flock -x /tmp/cdp-quiet.lock``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg

REPO = Path(__file__).resolve().parents[1]
JOBS = {"with_checks": "daily_refresh", "without_checks": "daily_refresh_without_checks"}


def run(job: str, landing: Path, work: Path, reference_date: str) -> dict:
    home = work / job / "dagster_home"
    db = work / job / "cdp.duckdb"
    shutil.rmtree(work / job, ignore_errors=True)
    home.mkdir(parents=True)
    shutil.copyfile(REPO / "platform_assets" / "dagster_instance.yaml", home / "dagster.yaml")
    env = {
        **os.environ,
        "CDP_LANDING_DIR": str(landing),
        "CDP_DUCKDB_PATH": str(db),
        "CDP_DATA_DIR": str(work / job),
        "DAGSTER_HOME": str(home),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DAGSTER_DISABLE_TELEMETRY": "yes",
        "GX_ANALYTICS_ENABLED": "false",
    }
    started = time.perf_counter()
    with (work / job / "run.log").open("w") as log:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "dagster",
                "job",
                "execute",
                "-m",
                "benchmarks.quality_overhead_defs",
                "-j",
                job,
                "--tags",
                json.dumps({"cdp/reference_date": reference_date}),
            ],
            cwd=REPO,
            env=env,
            check=True,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    wall = time.perf_counter() - started
    os.environ["DAGSTER_HOME"] = str(home)
    with dg.DagsterInstance.get() as instance:
        [record] = instance.get_run_records(limit=1)
        steps = {
            s.step_key: s.end_time - s.start_time
            for s in instance.get_run_step_stats(record.dagster_run.run_id)
        }
        rules = 0.0
        for event in instance.get_records_for_run(
            record.dagster_run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION, limit=10_000
        ).records:
            materialization = event.event_log_entry.dagster_event.event_specific_data.materialization
            if "rules_seconds" in materialization.metadata:
                rules += materialization.metadata["rules_seconds"].value
        # Time the profile and suite checks measured themselves (inside the landing step too).
        checks = 0.0
        for event in instance.get_records_for_run(
            record.dagster_run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION, limit=10_000
        ).records:
            evaluation = event.event_log_entry.dagster_event.event_specific_data
            if "seconds" in evaluation.metadata:
                checks += evaluation.metadata["seconds"].value
        status = record.dagster_run.status.value
    return {
        "job": job,
        "status": status,
        "wall_seconds": round(wall, 1),
        "rules_seconds": round(rules, 1),
        "check_seconds_measured": round(checks, 1),
        "steps": {k: round(v, 1) for k, v in sorted(steps.items())},
    }


def from_bench_report(path: Path) -> dict:
    """The with-checks figures of a benchmark report: the same job, data and process model."""
    graph = json.loads(path.read_text())["graph"]
    return {
        "job": JOBS["with_checks"],
        "status": "SUCCESS" if graph["succeeded"] else "FAILURE",
        "wall_seconds": graph["seconds"],
        "rules_seconds": None,  # only the baseline's rules are moved to the quality side
        "check_seconds_measured": None,
        "source": f"make bench ({path.name}), run {graph['run_id']}",
        "steps": {step["step"]: step["seconds"] for step in graph["steps"]},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--landing", type=Path, required=True)
    parser.add_argument("--work", type=Path, required=True, help="fresh warehouses and Dagster homes go here")
    parser.add_argument("--reference-date", default="2026-11-01")
    parser.add_argument("--out", type=Path, help="also write the figures as JSON")
    parser.add_argument(
        "--with-checks-from",
        type=Path,
        help="a `make bench` report (results/<date>-<scale>.json) of the same data and code: its whole-graph "
        "run is the with-checks run, so only the run without checks is made",
    )
    parser.add_argument(
        "--only",
        choices=sorted(JOBS),
        help="run one of the two jobs; the other's last result in --work is reused",
    )
    args = parser.parse_args()
    results = {}
    if args.with_checks_from:
        results["with_checks"] = from_bench_report(args.with_checks_from)
    for name, job in JOBS.items():
        if name in results:
            continue
        saved = args.work / job / "result.json"
        if args.only and args.only != name and saved.exists():
            results[name] = json.loads(saved.read_text())
            continue
        results[name] = run(job, args.landing.resolve(), args.work.resolve(), args.reference_date)
        saved.write_text(json.dumps(results[name], indent=2) + "\n")
    base = results["without_checks"]["wall_seconds"] - results["without_checks"]["rules_seconds"]
    quality = results["with_checks"]["wall_seconds"] - base
    summary = {
        "landing": str(args.landing),
        "baseline_seconds": round(base, 1),
        "with_quality_seconds": results["with_checks"]["wall_seconds"],
        "quality_seconds": round(quality, 1),
        "overhead": round(quality / base, 3),
        "runs": results,
    }
    print(json.dumps(summary, indent=2))
    if args.out:
        args.out.write_text(json.dumps(summary, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
