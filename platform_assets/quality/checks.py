"""Quality checks of a table, as Dagster asset checks: profile + volume, and its expectation suite.

Every asset gets, when it applies:
  profile                row count, null rate and distinct count per column and their change since
                         the previous run (metadata); fails (warning) when the row count moves more
                         than ``CDP_VOLUME_TOLERANCE`` from its recent average
  expectations_critical  the suite's critical expectations: blocking
  expectations_warning   the suite's warning expectations: failing counts and examples, not blocking
Raw tables add ``reconciliation`` (``platform_assets/quality/reconciliation.py``); the landing step
runs their checks itself. Every other asset gets its checks from ``suite_checks`` below (one step
per table: a multi-check shared by several tables was split by Dagster into steps that could run
before their tables were built, seen on a multiprocess run at 100k customers): drop a
suite file in ``expectations/`` and its asset has checks, no code.
"""

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import dagster as dg
import duckdb
import pandas as pd

from platform_assets.config import settings
from platform_assets.quality.profiling import (
    previous_profile,
    profile_markdown,
    profile_table,
    recent_row_counts,
    record_profile,
    table_columns,
    volume_verdict,
)
from platform_assets.quality.suites import Suite, discover_suites, failures_markdown, validate
from platform_assets.resources import Warehouse

PROFILE = "profile"
CRITICAL = "expectations_critical"
WARNING = "expectations_warning"
PROFILED_SCHEMAS = ("raw", "referential", "sales", "marketing", "features", "scores")

# Column expression for the frame GX reads, per column name (raw tables: parsed from text).
ColumnSql = Callable[[str], str]


def _plain_column(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def check_specs(key: dg.AssetKey, suite: Suite | None, profiled: bool = True) -> list[dg.AssetCheckSpec]:
    specs = []
    if profiled:
        specs.append(
            dg.AssetCheckSpec(
                PROFILE,
                asset=key,
                description="Row count, null rate and distinct count per column vs the previous run; "
                "warns when the volume leaves its recent average by more than CDP_VOLUME_TOLERANCE.",
            )
        )
    if suite and suite.of_severity("critical"):
        specs.append(
            dg.AssetCheckSpec(
                CRITICAL,
                asset=key,
                blocking=True,
                description=f"Critical expectations of expectations/{suite.path.name} (blocking).",
            )
        )
    if suite and suite.of_severity("warning"):
        specs.append(
            dg.AssetCheckSpec(
                WARNING,
                asset=key,
                description=f"Warning expectations of expectations/{suite.path.name} (not blocking).",
            )
        )
    return specs


def evaluate_table(
    conn: duckdb.DuckDBPyConnection,
    key: dg.AssetKey,
    suite: Suite | None,
    check_names: set[str],
    run_id: str,
    column_sql: ColumnSql = _plain_column,
) -> Iterator[dg.AssetCheckResult]:
    """The selected checks of one table, read from the warehouse."""
    table = ".".join(key.path)
    if PROFILE in check_names:
        yield profile_check(conn, key, table, run_id)
    severities = [(s, n) for s, n in (("critical", CRITICAL), ("warning", WARNING)) if n in check_names]
    if suite is None or not severities:
        return
    frame = suite_frame(conn, table, suite, column_sql)  # read once for both severities
    for severity, _ in severities:
        yield suite_check(key, suite, severity, frame)


@dataclass(frozen=True)
class SuiteFrame:
    frame: pd.DataFrame
    table_rows: int
    seconds: float

    @property
    def sampled(self) -> bool:
        return len(self.frame) < self.table_rows


def suite_frame(
    conn: duckdb.DuckDBPyConnection, table: str, suite: Suite, column_sql: ColumnSql
) -> SuiteFrame:
    """The columns the suite names; a repeatable sample above ``CDP_GX_MAX_ROWS`` rows."""
    started = time.perf_counter()
    columns = suite.columns if suite.columns is not None else table_columns(conn, table)
    select = ", ".join(f"{column_sql(c)} as {_plain_column(c)}" for c in columns) if columns else "1 as _row"
    [(rows,)] = conn.execute(f"select count(*) from {table}").fetchall()
    limit = settings().gx_max_rows
    # GX on pandas costs microseconds per row and expectation: a big table is validated on a
    # repeatable sample; its row-exact rules run in SQL (quarantine rules on raw, dbt tests on models).
    # The sample is the rows whose hashed position falls under the share: repeatable for a given
    # table, and cheap (a reservoir over every row took 4.4 s on the 1M-row profile, this 0.8 s;
    # DuckDB's system sampling is faster still but differs between runs when it reads in parallel).
    per_million = round(1_000_000 * limit / rows) if rows else 0
    sample = f" where hash(rowid + 42) % 1000000 < {per_million}" if rows > limit else ""
    frame = conn.sql(f"select {select} from {table}{sample}").df()
    return SuiteFrame(frame, rows, time.perf_counter() - started)


def profile_check(
    conn: duckdb.DuckDBPyConnection, key: dg.AssetKey, table: str, run_id: str
) -> dg.AssetCheckResult:
    started = time.perf_counter()
    profile = profile_table(conn, table)
    previous = previous_profile(conn, table, run_id)
    rows = profile[0].rows if profile else 0
    verdict = volume_verdict(rows, recent_row_counts(conn, table, run_id), settings().volume_tolerance)
    record_profile(conn, table, run_id, datetime.now(UTC).replace(tzinfo=None), profile)
    before = next(iter(previous.values())).rows if previous else None
    return dg.AssetCheckResult(
        asset_key=key,
        check_name=PROFILE,
        passed=verdict.passed,
        severity=dg.AssetCheckSeverity.WARN,
        description=verdict.message,
        metadata={
            "row_count": rows,
            "row_count_change": rows - before if before is not None else "first profile",
            "recent_average_rows": round(verdict.recent_average, 1) if verdict.recent_average else "none",
            "volume_change": round(verdict.change, 4) if verdict.change is not None else "none",
            "volume_tolerance": settings().volume_tolerance,
            "profile": dg.MetadataValue.md(profile_markdown(profile, previous)),
            "seconds": round(time.perf_counter() - started, 2),
        },
    )


def suite_check(key: dg.AssetKey, suite: Suite, severity: str, data: SuiteFrame) -> dg.AssetCheckResult:
    started = time.perf_counter()
    count, failures = validate(suite, severity, data.frame)
    sample = (
        f" (on a repeatable sample of {len(data.frame):,} of {data.table_rows:,} rows)"
        if data.sampled
        else ""
    )
    return dg.AssetCheckResult(
        asset_key=key,
        check_name=CRITICAL if severity == "critical" else WARNING,
        passed=not failures,
        severity=dg.AssetCheckSeverity.ERROR if severity == "critical" else dg.AssetCheckSeverity.WARN,
        description=f"{count - len(failures)} of {count} {severity} expectations passed{sample}",
        metadata={
            "suite": f"expectations/{suite.path.name}",
            "expectations": count,
            "failed": len(failures),
            "failing_rows": sum(f.unexpected_count or 0 for f in failures),
            "failures": dg.MetadataValue.md(failures_markdown(failures)),
            "rows_validated": len(data.frame),
            "table_rows": data.table_rows,
            "sampled": data.sampled,
            "seconds": round(time.perf_counter() - started + data.seconds, 2),
        },
    )


def _targets(assets: Iterable[dg.AssetsDefinition]) -> list[dg.AssetKey]:
    """Materialisable assets that carry no checks of their own (the landing step runs its own)."""
    keys = []
    for assets_def in assets:
        if not isinstance(assets_def, dg.AssetsDefinition) or not assets_def.is_materializable:
            continue
        own = {spec.asset_key for spec in assets_def.check_specs if spec.name in (PROFILE, CRITICAL)}
        keys += [k for k in assets_def.keys if k not in own]
    return keys


def suite_checks(assets: Iterable[dg.AssetsDefinition]) -> list[dg.AssetChecksDefinition]:
    """Profile and suite checks for every asset of ``assets`` in a profiled schema or with a suite.

    One check step per table, so that it runs right after the step that builds the table (a dbt
    build is split around Python assets) and a blocking failure holds back only what is downstream."""
    suites = discover_suites()
    checks = []
    for key in _targets(assets):
        profiled = key.path[0] in PROFILED_SCHEMAS
        if profiled or key in suites:
            checks.append(_table_checks(key, suites.get(key), check_specs(key, suites.get(key), profiled)))
    return checks


def _table_checks(key: dg.AssetKey, suite: Suite | None, specs: list[dg.AssetCheckSpec]):
    @dg.multi_asset_check(
        specs=specs, can_subset=True, name=f"{'__'.join(key.path)}_quality", pool="duckdb_writer"
    )
    def table_checks(context: dg.AssetCheckExecutionContext, warehouse: Warehouse):
        """Profile and expectation suite of one table."""
        names = {check_key.name for check_key in context.selected_asset_check_keys}
        with warehouse.connect() as conn:
            yield from evaluate_table(conn, key, suite, names, context.run.run_id)

    return table_checks
