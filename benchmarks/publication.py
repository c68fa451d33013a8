"""Benchmark of the publish domain on an existing working file (e.g. a 1M-customer build).

    flock /tmp/cdp-1m.lock uv run python -m benchmarks.publication /tmp/<you>/cdp.duckdb /tmp/<you>/published

Works on the file in place: use a copy (it adds ops.erasure_suppression / ops.erasure_log when the
file has none, as identity resolution would). Measures (1) finding the erasures through the identity
clusters, (2) the whole publication asset (analyst + restricted files, comments, swap), with a
reader querying the published file in a loop from another process during (2).
"""

import json
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import duckdb


def erasure_phase(db: Path) -> dict:
    from platform_assets.privacy.erasure import (
        SUPPRESSION_TABLE,
        find_erasures,
        load_suppression,
        record_keys,
    )

    started = time.perf_counter()
    with duckdb.connect(str(db)) as conn:
        assignments = conn.sql("select record_id, customer_id from referential.customer_xref").pl()
        # the build may predate int_erasure_requests_standardised: standardise the e-mail like it does
        requests = conn.sql(
            "select erasure_request_id, lower(trim(email)) as email_std, null::varchar as phone_e164, "
            "country_code, requested_at from staging.stg_consent__erasure_requests"
        ).pl()
        suppression, _ = load_suppression(conn, Path("/nonexistent"))
        keys = record_keys(conn, assignments)
        keyed = time.perf_counter() - started
        now = datetime.now(UTC).replace(tzinfo=None)
        erasure = find_erasures(assignments, keys, requests, suppression, set(), "benchmark", now)
        conn.register("suppression_frame", erasure.new_suppression)
        conn.execute(
            f"create table if not exists {SUPPRESSION_TABLE} as select * from suppression_frame limit 0"
        )
        conn.execute(f"insert into {SUPPRESSION_TABLE} select * from suppression_frame")
        conn.register("log_frame", erasure.new_log)
        conn.execute("create table if not exists ops.erasure_log as select * from log_frame limit 0")
        conn.execute("insert into ops.erasure_log select * from log_frame")
    return {
        "records": assignments.height,
        "requests": requests.height,
        "customers_erased": len(erasure.erased_customer_ids),
        "records_erased": erasure.erased_records,
        "suppression_entries": erasure.new_suppression.height,
        "hashing_seconds": round(keyed, 1),
        "erasure_seconds": round(time.perf_counter() - started, 1),
    }


def publication_phase(db: Path, published: Path) -> dict:
    from platform_assets.definitions import build_defs
    from platform_assets.lib.resources import resources_from_env

    defs = build_defs(
        resources_from_env(
            {
                "CDP_DUCKDB_PATH": str(db),
                "CDP_PUBLISHED_DIR": str(published),
                "CDP_EXPORTS_DIR": str(published / "x"),
            }
        )
    )

    stop = published.parent / "stop-reader"
    stop.unlink(missing_ok=True)
    reader = None
    if (published / "analyst.duckdb").exists():
        reader = subprocess.Popen(
            [sys.executable, "-m", "tests.publish.reader", str(published / "analyst.duckdb"), str(stop)],
            stdout=(published.parent / "reads.jsonl").open("w"),
        )
    started = time.perf_counter()
    result = defs.resolve_job_def("daily_refresh").execute_in_process(
        instance=dg.DagsterInstance.ephemeral(),
        tags={"cdp/reference_date": "2026-11-01"},
        asset_selection=[dg.AssetKey(["ops", "publication_log"])],
    )
    seconds = time.perf_counter() - started
    reads = []
    if reader:
        stop.touch()
        reader.wait(timeout=120)
        reads = [json.loads(line) for line in (published.parent / "reads.jsonl").read_text().splitlines()]
    manifest = json.loads((published / "manifest.json").read_text())
    return {
        "success": result.success,
        "publication_seconds": round(seconds, 1),
        "analyst_mb": round((published / "analyst.duckdb").stat().st_size / 1e6),
        "restricted_mb": round((published / "restricted.duckdb").stat().st_size / 1e6),
        "analyst_rows": sum(manifest["files"]["analyst"].values()),
        "reader_queries": len(reads),
        "reader_errors": [r["error"] for r in reads if "error" in r],
        "reader_incomplete": sum(1 for r in reads if r.get("complete") is False),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


if __name__ == "__main__":
    db, published = Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve()
    figures = {"customers_in_file": None}
    with duckdb.connect(str(db), read_only=True) as conn:
        figures["customers_in_file"] = conn.execute(
            "select count(*) from referential.dim_customer"
        ).fetchall()[0][0]
    figures["erasure"] = erasure_phase(db)
    figures["first_publication"] = publication_phase(db, published)
    figures["second_publication_with_reader"] = publication_phase(db, published)
    print(json.dumps(figures, indent=2))
