"""Benchmark of the churn, life-moment and appetence scores on a built warehouse (e.g. 1M customers).

    flock /tmp/cdp-1m.lock uv run python -m benchmarks.scores_bench --db /tmp/<you>/cdp.duckdb \
        --data-dir /tmp/<you> --ground-truth /tmp/gen1m/ground_truth

The warehouse must hold the referential and features.customer_profile as of the reference date (the
daily_refresh job up to features). Materialises scores.customer_churn, scores.customer_life_moments
and scores.customer_appetence (with customer_department_appetence) with their blocking checks, as the assets run in production (training, backtest and scoring
included; it writes the scores tables, ops rows and model artifacts into the given places), and
prints one JSON line: wall seconds per asset, peak memory of the process, rows, backtest figures (the
churn backtest per band too).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
from datetime import date


def churn_bands(db: str) -> dict:
    """The latest churn backtest per business unit and band: customers, predicted and observed churn
    (%), the observed rate's 95 % interval and the customers that measure a 5-point gap."""
    import duckdb

    with duckdb.connect(db, read_only=True) as conn:
        rows = conn.execute(
            "select business_unit, metric, value from ops.model_metrics where model = 'churn' "
            "and metric like 'backtest_band_%' and run_id = (select run_id from ops.model_metrics "
            "where model = 'churn' order by computed_at desc limit 1)"
        ).fetchall()
    from platform_assets.scores.churn.model import BANDS

    bands: dict = {}
    for unit, metric, value in rows:
        for name in (band.replace(" ", "_") for band, _ in BANDS):
            if metric.startswith(f"backtest_band_{name}_"):
                what = metric.removeprefix(f"backtest_band_{name}_")
                bands.setdefault(unit, {}).setdefault(name, {})[what] = round(value, 1)
    return bands


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--data-dir", required=True, help="where model artifacts go (CDP_DATA_DIR)")
    parser.add_argument("--ground-truth", default=None, help="the generator's ground_truth folder")
    parser.add_argument("--reference-date", default="2026-11-01")
    parser.add_argument("--out", default=None, help="append the JSON line to this file")
    args = parser.parse_args()
    os.environ["CDP_DUCKDB_PATH"] = args.db
    os.environ["CDP_DATA_DIR"] = args.data_dir
    if args.ground_truth:
        os.environ["CDP_GROUND_TRUTH_DIR"] = args.ground_truth

    import dagster as dg

    from platform_assets.lib.resources import resources_from_env
    from platform_assets.lib.settings import REFERENCE_DATE_TAG
    from platform_assets.scores import appetence, churn, life_moments

    ref = date.fromisoformat(args.reference_date)
    report: dict = {"db": args.db, "reference_date": str(ref), "cpus": os.cpu_count()}
    for name, domain in (("churn", churn), ("life_moments", life_moments), ("appetence", appetence)):
        started = time.perf_counter()
        result = dg.materialize(
            [*domain.defs.assets, *domain.defs.asset_checks],
            resources=resources_from_env(),
            tags={REFERENCE_DATE_TAG: str(ref)},
        )
        seconds = time.perf_counter() - started
        event = result.get_asset_materialization_events()[0]  # the domain's main table (appetence: two)
        metadata = {k: v.value for k, v in event.materialization.metadata.items()}
        report[name] = {
            "seconds": round(seconds, 1),
            "asset_run_seconds": metadata.get("run_seconds"),
            "rows": metadata.get("dagster/row_count"),
            "checks_passed": all(e.passed for e in result.get_asset_check_evaluations()),
            "figures": {
                k: v
                for k, v in metadata.items()
                if isinstance(v, float | int) and k.startswith(("backtest", "new", "mov", "ren"))
            },
        }
    report["churn"]["bands"] = churn_bands(args.db)
    report["total_seconds"] = round(
        sum(report[n]["seconds"] for n in ("churn", "life_moments", "appetence")), 1
    )
    report["peak_rss_gb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2, 2)
    line = json.dumps(report)
    print(line)
    if args.out:
        with open(args.out, "a") as handle:
            handle.write(line + "\n")


if __name__ == "__main__":
    main()
