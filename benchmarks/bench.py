"""`make bench`: the whole daily refresh at a chosen scale, per step and per asset, against the floor.

    uv run python benchmarks/bench.py --customers 100000          # default scale
    uv run python benchmarks/bench.py --customers 1000000         # the 1M target run

Generates the synthetic retailer (reused when the same scale and seed already exist), materialises the
whole graph with `dagster job execute` (the production path: one process per step, one DuckDB writer at
a time) while sampling the memory of the whole process tree, then reads step timings back from the
Dagster instance, and writes `benchmarks/results/<date>-<scale>.{json,md}`. Side by side in the same
run: identity-resolution throughput, a bare DuckDB scan-and-aggregate of the sales lines (the floor the
feature stage is compared to), and the RFM summary the common pandas way vs ours.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as a script from the repo root

from benchmarks.side_by_side import floor_scan_seconds, rfm_comparison  # noqa: E402

RESULTS = REPO / "benchmarks" / "results"
PAGE = os.sysconf("SC_PAGE_SIZE")


# --- memory of a process tree, read from /proc (no dependency) -------------------------------------


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            kids += [int(c) for c in (task / "children").read_text().split()]
    return kids


def tree_rss_bytes(root: int) -> int:
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
        except (OSError, IndexError, ValueError):
            continue
        stack += _children(pid)
    return total


@dataclass
class MemorySampler:
    """Samples a process tree's resident memory every ``interval`` seconds in a thread."""

    pid: int
    interval: float = 0.2
    samples: list[tuple[float, int]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def __enter__(self) -> MemorySampler:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append((time.time(), tree_rss_bytes(self.pid)))
            self._stop.wait(self.interval)

    def peak(self, start: float = 0.0, end: float = float("inf")) -> int:
        return max((rss for t, rss in self.samples if start <= t <= end), default=0)


def run_measured(cmd: list[str], env: dict[str, str], log: Path) -> tuple[float, int, int, MemorySampler]:
    """Runs ``cmd``; returns wall seconds, peak tree memory, exit code and samples. Output to ``log``."""
    started = time.time()
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=REPO)
        with MemorySampler(proc.pid) as sampler:
            code = proc.wait()
    return time.time() - started, sampler.peak(), code, sampler


# --- the benchmark -----------------------------------------------------------------------------------


def machine() -> dict:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    import duckdb

    return {
        "cpus": os.cpu_count(),
        "cpu_model": cpu,
        "memory_gb": round(mem_kb / 1024**2, 1),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "os": platform.platform(),
        "load_average_at_start": os.getloadavg(),
    }


def generate(customers: int, seed: int, out: Path, env: dict[str, str], logs: Path) -> dict:
    manifest = out / "manifest.json"
    if manifest.exists():
        meta = json.loads(manifest.read_text())
        if meta.get("customers") == customers and meta.get("seed") == seed:
            return {"reused": True}
    shutil.rmtree(out, ignore_errors=True)
    cmd = [sys.executable, "-m", "platform_assets.demo", "--customers", str(customers), "--seed", str(seed)]
    wall, peak, code, _ = run_measured([*cmd, "--out", str(out)], env, logs / "generate.log")
    if code:
        raise SystemExit(f"generation failed, see {logs / 'generate.log'}")
    size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    return {
        "reused": False,
        "seconds": round(wall, 1),
        "peak_memory_gb": round(peak / 1e9, 2),
        "disk_gb": size / 1e9,
    }


def step_report(home: Path, sampler: MemorySampler) -> tuple[str, list[dict]]:
    import dagster as dg

    os.environ["DAGSTER_HOME"] = str(home)
    instance = dg.DagsterInstance.get()
    run = instance.get_runs(limit=1)[0]
    assets_by_step: dict[str, list[str]] = {}
    for entry in instance.all_logs(run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION):
        key = entry.dagster_event.asset_key.to_user_string()
        assets_by_step.setdefault(entry.step_key, []).append(key)
    steps = []
    for stat in sorted(instance.get_run_step_stats(run.run_id), key=lambda s: s.start_time or 0):
        steps.append(
            {
                "step": stat.step_key,
                "status": stat.status.value if stat.status else None,
                "seconds": round((stat.end_time or 0) - (stat.start_time or 0), 1),
                "peak_memory_gb": round(sampler.peak(stat.start_time or 0, stat.end_time or 0) / 1e9, 2),
                "assets": sorted(assets_by_step.get(stat.step_key, [])),
            }
        )
    return run.run_id, steps


def table_rows(db: Path) -> dict[str, int]:
    import duckdb

    with duckdb.connect(str(db), read_only=True) as conn:
        tables = conn.execute(
            "select schema_name, table_name from duckdb_tables() where not internal order by 1, 2"
        ).fetchall()
        return {
            f"{s}.{t}": conn.execute(f'select count(*) from "{s}"."{t}"').fetchall()[0][0] for s, t in tables
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--reference-date", default="2026-11-01")
    parser.add_argument("--work", type=Path, help="scratch directory (default data/bench/<customers>)")
    args = parser.parse_args(argv)

    work = (args.work or REPO / "data" / "bench" / str(args.customers)).resolve()
    logs = work / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    home = work / "dagster_home"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir()
    shutil.copy(REPO / "platform_assets" / "dagster_instance.yaml", home / "dagster.yaml")
    db = work / "warehouse" / "cdp.duckdb"
    for stale in db.parent.glob("cdp.duckdb*"):
        stale.unlink()
    env = {
        **os.environ,
        "CDP_DATA_DIR": str(work),
        "CDP_LANDING_DIR": str(work / "demo" / "landing"),
        "CDP_DUCKDB_PATH": str(db),
        "DAGSTER_HOME": str(home),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DAGSTER_DISABLE_TELEMETRY": "yes",
        "GX_ANALYTICS_ENABLED": "false",
    }
    report: dict = {
        "scale": {"customers": args.customers, "seed": args.seed, "reference_date": args.reference_date},
        "machine": machine(),
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    print(f"generating {args.customers:,} customers into {work / 'demo'} ...", flush=True)
    report["generation"] = generate(args.customers, args.seed, work / "demo", env, logs)

    print("materialising the whole graph (daily_refresh) ...", flush=True)
    dagster = str(Path(sys.executable).parent / "dagster")
    tags = json.dumps({"cdp/reference_date": args.reference_date})
    cmd = [
        dagster,
        "job",
        "execute",
        "-m",
        "platform_assets.definitions",
        "-j",
        "daily_refresh",
        "--tags",
        tags,
    ]
    wall, peak, code, sampler = run_measured(cmd, env, logs / "daily_refresh.log")
    run_id, steps = step_report(home, sampler)
    report["graph"] = {
        "run_id": run_id,
        "succeeded": code == 0,
        "seconds": round(wall, 1),
        "peak_memory_gb": round(peak / 1e9, 2),
        "steps": steps,
    }
    if code:
        print(f"the run failed (exit {code}), see {logs / 'daily_refresh.log'}", file=sys.stderr)
    rows = table_rows(db)
    report["rows"] = rows
    report["side_by_side"] = side_by_side(db, steps, rows)
    write(report, args.customers)
    return code


def side_by_side(db: Path, steps: list[dict], rows: dict[str, int]) -> dict:
    identity = next((s for s in steps if s["step"] == "identity_resolution"), None)
    records = rows.get("referential.customer_xref", 0)
    floor = floor_scan_seconds(db)
    features = [s for s in steps if any(a.startswith("features/") for a in s["assets"])]
    feature_seconds = round(sum(s["seconds"] for s in features), 1)
    return {
        "identity_records_per_second": round(records / identity["seconds"]) if identity else None,
        "identity_records": records,
        "floor_scan_aggregate_seconds": floor,
        "feature_stage_seconds": feature_seconds or None,
        "feature_stage_vs_floor": round(feature_seconds / floor, 2) if feature_seconds and floor else None,
        "rfm": rfm_comparison(db),
    }


def write(report: dict, customers: int) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    stem = f"{datetime.now(UTC):%Y-%m-%d}-{customers // 1000}k"
    (RESULTS / f"{stem}.json").write_text(json.dumps(report, indent=2, default=str) + "\n")
    (RESULTS / f"{stem}.md").write_text(markdown(report))
    print(f"report: {RESULTS / stem}.md and .json")
    print(markdown(report))


def markdown(r: dict) -> str:
    m, g, s = r["machine"], r["graph"], r["side_by_side"]
    gen = r["generation"]
    lines = [
        f"# Benchmark — {r['scale']['customers']:,} customers (seed {r['scale']['seed']}), {r['started_at']}",
        "",
        f"Machine: {m['cpus']} CPUs ({m['cpu_model']}), {m['memory_gb']} GB RAM, Python {m['python']}, "
        f"DuckDB {m['duckdb']}, load average at start {tuple(round(x, 2) for x in m['load_average_at_start'])}.",
        "",
        (
            "Generation: reused existing data."
            if gen.get("reused")
            else f"Generation: {gen['seconds']} s, peak {gen['peak_memory_gb']} GB, {gen['disk_gb']:.2f} GB on disk."
        ),
        "",
        f"**Whole daily refresh: {g['seconds']} s ({g['seconds'] / 60:.1f} min), peak memory "
        f"{g['peak_memory_gb']} GB, {'succeeded' if g['succeeded'] else 'FAILED'}** (run `{g['run_id']}`).",
        "",
        "| step | status | seconds | peak GB | assets |",
        "|---|---|---:|---:|---|",
    ]
    for step in g["steps"]:
        assets = ", ".join(step["assets"][:6]) + (
            f" (+{len(step['assets']) - 6})" if len(step["assets"]) > 6 else ""
        )
        lines.append(
            f"| {step['step']} | {step['status']} | {step['seconds']} | {step['peak_memory_gb']} | {assets} |"
        )
    rfm = s["rfm"]
    lines += [
        "",
        "## Side by side",
        "",
        f"- Identity resolution: {s['identity_records']:,} source records, "
        f"{s['identity_records_per_second']} records/s (whole identity step).",
        f"- Floor: bare DuckDB scan-and-aggregate of `sales.fct_sales_lines`: {s['floor_scan_aggregate_seconds']} s.",
        f"- Feature stage: {s['feature_stage_seconds']} s, {s['feature_stage_vs_floor']} times the floor.",
        f"- RFM summary: {rfm}",
        "",
        "## Rows per table",
        "",
        "| table | rows |",
        "|---|---:|",
        *(f"| {t} | {n:,} |" for t, n in r["rows"].items()),
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
