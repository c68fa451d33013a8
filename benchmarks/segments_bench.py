"""Benchmark of the behavioural segments on a built warehouse (its features.customer_profile).

    uv run python -m benchmarks.segments_bench --db /tmp/<you>/cdp.duckdb --reference-date 2026-11-01
    flock /tmp/cdp-1m.lock uv run python -m benchmarks.segments_bench --db ... --assign-rows 1000000

Works on a copy of the given file (and a models directory beside it). Through Dagster, exactly as
the daily job: day 1 materialises customer_segment on the reference date's profile (no frozen model
yet: it discovers, trains and registers), day 2 recomputes the profile as of the next day and only
assigns (the frozen model). Reports discovery time, held-out accuracy, day-to-day stability (share
changing segment, adjusted Rand index) and assignment time. Then ``--assign-rows`` customers are
assigned by the frozen classifier on a synthetic profile: the warehouse's buyers resampled with
replacement (real behaviours, repeated) when the warehouse has fewer, timed from the profile frame
in memory to segment ids (reading the table is not included; measured apart as ``read_seconds``).
Prints one JSON object; ``--out`` appends it to a JSONL file.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path


def _peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def _materialize(assets, day: date):
    import dagster as dg

    from platform_assets.lib.resources import resources_from_env
    from platform_assets.lib.settings import REFERENCE_DATE_TAG

    result = dg.materialize(
        assets,
        resources=resources_from_env(),
        instance=dg.DagsterInstance.ephemeral(),
        tags={REFERENCE_DATE_TAG: day.isoformat()},
    )
    if not result.success:
        raise RuntimeError(f"materialisation as of {day} failed")
    [event] = [
        e for e in result.get_asset_materialization_events() if e.asset_key.path[-1] == "customer_segment"
    ]
    return {k: getattr(v, "value", v) for k, v in event.materialization.metadata.items()}


def run(db: Path, ref: date, assign_rows: int, work: Path) -> dict:
    copy = work / "cdp.duckdb"
    shutil.copy(db, copy)
    os.environ["CDP_DUCKDB_PATH"] = str(copy)
    os.environ["CDP_DATA_DIR"] = str(work)
    import duckdb
    import polars as pl

    from platform_assets.features.assets import customer_profile
    from platform_assets.scores.segments import prepare
    from platform_assets.scores.segments.assets import customer_segment
    from platform_assets.scores.segments.freeze import load_frozen

    with duckdb.connect(str(copy)) as conn:
        # a clean start: the file may hold an earlier segmentation
        conn.execute("drop table if exists scores.customer_segment")
        if conn.execute("select 1 from duckdb_tables() where table_name = 'model_registry'").fetchall():
            conn.execute(
                "delete from ops.model_registry where model in ('segmentation', 'segment_classifier')"
            )
    started = time.perf_counter()
    day1 = _materialize([customer_profile, customer_segment], ref)
    day1_seconds = time.perf_counter() - started
    started = time.perf_counter()
    day2 = _materialize([customer_profile, customer_segment], ref + timedelta(days=1))
    day2_seconds = time.perf_counter() - started

    with duckdb.connect(str(copy), read_only=True) as conn:
        frozen = load_frozen(conn)
        started = time.perf_counter()
        profile = conn.sql("select * from features.customer_profile").pl()
        read_seconds = time.perf_counter() - started
    buyers = prepare.buyers(profile)
    synthetic = (
        buyers
        if buyers.height >= assign_rows
        else buyers.sample(n=assign_rows, with_replacement=True, seed=1)
    )
    synthetic = synthetic.head(assign_rows).with_columns(
        pl.format("syn{}", pl.int_range(pl.len())).alias("customer_id")
    )
    started = time.perf_counter()
    segment_ids, _ = frozen.classifier.assign(prepare.readable(synthetic))
    assign_seconds = time.perf_counter() - started
    stability = day2["stability_vs_previous_run"]
    return {
        "db": str(db),
        "reference_date": str(ref),
        "customers_profiled": profile.height,
        "buyers": buyers.height,
        "segmentation_version": day1["segmentation_version"],
        "segments": len(set(segment_ids.tolist())),
        "discovery_seconds": day1["discovery_seconds"],
        "discovery_choice": day1["discovery_choice"],
        "classifier_choice": day1["classifier_choice"],
        "holdout_accuracy": day1["holdout_accuracy"],
        "day1_profile_and_segments_seconds": round(day1_seconds, 1),
        "day2_rediscovered": day2["discovered_in_this_run"],
        "day2_profile_and_segments_seconds": round(day2_seconds, 1),
        "day2_assign_seconds": day2["assign_seconds"],
        "day_to_day_kept_share": stability.get("kept_share"),
        "day_to_day_adjusted_rand": stability.get("adjusted_rand"),
        "day_to_day_customers_compared": stability.get("customers_compared"),
        "assign_rows": synthetic.height,
        "assign_rows_synthetic": buyers.height < assign_rows,
        "assign_seconds": round(assign_seconds, 2),
        "read_profile_seconds": round(read_seconds, 2),
        "peak_rss_gb": round(_peak_gb(), 2),
        "machine": f"{platform.node()} {os.cpu_count()} cpus",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--reference-date", type=date.fromisoformat, default=date(2026, 11, 1))
    parser.add_argument("--assign-rows", type=int, default=1_000_000)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "yes")
    with tempfile.TemporaryDirectory(dir=args.workdir) as work:
        result = run(args.db, args.reference_date, args.assign_rows, Path(work))
    line = json.dumps(result)
    print(line)
    if args.out:
        with args.out.open("a") as handle:
            handle.write(line + "\n")


if __name__ == "__main__":
    main()
