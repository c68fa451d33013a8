"""Identity resolution alone, on a built warehouse: standardisation (phones with phonenumbers, bad
values nulled) then matching, timed and measured against the generator's ground truth.

    python -m benchmarks.identity_bench --warehouse data/warehouse/cdp.duckdb \\
        --ground-truth data/demo/ground_truth --profile demo --customers 20000 [--out benchmarks/results]

The warehouse must hold ``intermediate.int_customer_records`` (any refresh builds it); it is copied to
a scratch file first, so the original is not touched. One JSON line per run on stdout, and with
``--out`` a ``<date>-identity-<profile>-<scale>.json`` file. Generate the hard profile with
``python -m platform_assets.demo --identity-noise hard``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from datetime import date
from pathlib import Path


def run(warehouse: Path, ground_truth: Path, retailer_config: Path) -> dict:
    import duckdb

    from platform_assets.lib.retailer import load_retailer
    from platform_assets.lib.tables import replace_tables
    from platform_assets.referential.identity.matching import MatchingConfig, resolve
    from platform_assets.referential.identity.quality import match_quality, read_ground_truth
    from platform_assets.referential.identity.schema import FOLDED, RECORDS, WARNINGS
    from platform_assets.referential.identity.standardise import standardise_records

    retailer = load_retailer(retailer_config)
    regions = {code: unit.default_phone_region for code, unit in retailer.units_by_code.items()}
    with tempfile.TemporaryDirectory(prefix="identity-bench-") as scratch:
        copy = Path(scratch) / "cdp.duckdb"
        shutil.copyfile(warehouse, copy)
        conn = duckdb.connect(str(copy))
        started = time.perf_counter()
        standardised = standardise_records(conn.sql(f"select * from {FOLDED}").pl(), regions)
        conn.register("standardised_records", standardised.records.to_arrow())
        conn.register("field_warnings", standardised.warnings.to_arrow())
        replace_tables(
            conn, {RECORDS: "select * from standardised_records", WARNINGS: "select * from field_warnings"}
        )
        standardise_s = time.perf_counter() - started
        started = time.perf_counter()
        result = resolve(conn, MatchingConfig())
        resolve_s = time.perf_counter() - started
        conn.close()
    truth = read_ground_truth(ground_truth)
    quality = match_quality(result.clusters.join(truth, on="record_id"))
    return {
        "records": standardised.records.height,
        "field_warnings": standardised.warnings.height,
        "clusters": result.clusters["cluster_id"].n_unique(),
        "precision": round(quality.precision, 5),
        "recall": round(quality.recall, 5),
        "f1": round(quality.f1, 5),
        "false_merges": quality.false_merges,
        "standardise_seconds": round(standardise_s, 1),
        "resolve_seconds": round(resolve_s, 1),
        "identity_seconds": round(standardise_s + resolve_s, 1),
        "phase_seconds": result.seconds,
        "matching_plan": result.plan,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.identity_bench", description=__doc__)
    parser.add_argument("--warehouse", type=Path, required=True)
    parser.add_argument("--ground-truth", type=Path, required=True)
    parser.add_argument(
        "--profile", choices=("demo", "hard"), required=True, help="the data's identity noise"
    )
    parser.add_argument("--customers", type=int, required=True, help="the data's scale (for the record)")
    parser.add_argument(
        "--retailer-config",
        type=Path,
        default=Path("platform_assets/retailers/demo.yml"),
        help="phone regions",
    )
    parser.add_argument("--out", type=Path, help="directory for the JSON result")
    args = parser.parse_args(argv)
    result = {
        "date": date.today().isoformat(),
        "profile": args.profile,
        "customers": args.customers,
        **run(args.warehouse, args.ground_truth, args.retailer_config),
    }
    line = json.dumps(result)
    print(line)
    if args.out is not None:
        scale = f"{args.customers // 1000}k"
        (args.out / f"{result['date']}-identity-{args.profile}-{scale}.json").write_text(line + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
