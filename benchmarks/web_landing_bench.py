"""Web analytics landing on synthetic files of the contract's shape: time to read gzip NDJSON line by
line into raw.web_events (malformed lines to quarantine) and to build the stitching models' input.

    uv run python benchmarks/web_landing_bench.py --events 1000000 --files 10

Writes nothing but a temporary directory; prints seconds per step and events per second. The web
files the generator writes are not needed (the contract's keys, plausible values)."""

from __future__ import annotations

import argparse
import gzip
import json
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from platform_assets.landing.contracts import CONTRACTS_BY_TABLE
from platform_assets.landing.loader import load_source
from platform_assets.lib.retailer import DEMO_RETAILER, load_retailer

TYPES = ("session_start", "page_view", "product_view", "search", "cart_add", "cart_remove", "login")


def write_files(landing: Path, events: int, files: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    per_file = events // files
    start = datetime(2026, 1, 1, tzinfo=UTC)
    n = 0
    for f in range(files):
        day = start + timedelta(days=f)
        path = landing / "web" / f"events_{day:%Y-%m-%d}.ndjson.gz"
        path.parent.mkdir(parents=True, exist_ok=True)
        with gzip.open(path, "wt", encoding="utf-8", compresslevel=6) as out:
            for i in range(per_file):
                n += 1
                cookie = f"ck_{rng.randrange(per_file // 10):016x}"
                kind = rng.choice(TYPES)
                out.write(
                    json.dumps(
                        {
                            "event_id": f"WEB{n:012d}",
                            "event_at": (day + timedelta(seconds=i * 86400 // per_file)).strftime(
                                "%Y-%m-%dT%H:%M:%SZ"
                            ),
                            "cookie_id": cookie,
                            "session_id": f"{cookie}-{i // 20}",
                            "event_type": kind,
                            "country_code": "FR",
                            "account_id": f"{rng.randrange(16**12):012x}" if kind == "login" else None,
                            "page_type": None if kind == "session_start" else "product",
                            "category_id": "D01C01" if kind in ("product_view", "cart_add") else None,
                            "sku": "10000001" if kind in ("product_view", "cart_add") else None,
                            "search_query": "tondeuse" if kind == "search" else None,
                            "utm_source": "google" if kind == "session_start" else None,
                            "utm_medium": "cpc" if kind == "session_start" else None,
                            "utm_campaign": None,
                            "user_agent": "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
                            "ip_address": f"192.0.2.{rng.randrange(256)}",
                        },
                        separators=(",", ":"),
                    )
                    + "\n"
                )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--files", type=int, default=10)
    args = parser.parse_args()
    retailer = load_retailer(DEMO_RETAILER)
    with tempfile.TemporaryDirectory(prefix="cdp-web-bench-") as tmp:
        landing = Path(tmp) / "landing"
        started = time.perf_counter()
        write_files(landing, args.events, args.files)
        print(
            f"wrote {args.events:,} events in {args.files} gzip files: {time.perf_counter() - started:.1f} s"
        )
        with duckdb.connect(str(Path(tmp) / "bench.duckdb")) as conn:
            started = time.perf_counter()
            load = load_source(
                conn,
                landing,
                CONTRACTS_BY_TABLE["web_events"],
                "bench",
                datetime(2026, 12, 1),
                retailer,
                DEMO_RETAILER,
            )
            seconds = time.perf_counter() - started
            print(
                f"landing raw.web_events: {load.rows_read:,} rows, {load.rows_quarantined} quarantined, "
                f"{seconds:.1f} s ({load.rows_read / seconds:,.0f} events/s)"
            )


if __name__ == "__main__":
    main()
