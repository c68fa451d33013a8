"""The quality checks of one table as check results (a library: the checks are declared by
``checks.py`` and, for raw tables, by the landing step): profile + volume, and its expectation suite.

Every asset gets, when it applies:
  profile                row count, null rate and distinct count per column and their change since
                         the previous run (metadata); fails (warning) when the row count moves more
                         than ``volume_tolerance`` from its recent average
  expectations_critical  the suite's critical expectations: blocking
  expectations_warning   the suite's warning expectations: failing counts and examples, not blocking
Not-null, unique and row-count expectations are counted in SQL on every row (``whole_table.py``);
GX validates the others on a frame of the columns they read, a repeatable sample above
``gx_max_rows`` rows.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import dagster as dg
import duckdb

from platform_assets.lib.metadata import check_description
from platform_assets.quality import whole_table
from platform_assets.quality.profiling import (
    previous_profile,
    profile_markdown,
    profile_table,
    recent_row_counts,
    record_profile,
    table_columns,
    volume_verdict,
)
from platform_assets.quality.suites import Suite, failures_markdown, validate
from platform_assets.quality.whole_table import ColumnSql

if TYPE_CHECKING:
    import pandas as pd

PROFILE = "profile"
CRITICAL = "expectations_critical"
WARNING = "expectations_warning"

plain_column = whole_table.quoted  # a column as it is (raw tables: ``rules.typed_columns``)


@dataclass(frozen=True)
class Limits:
    """The settings the checks read (``PlatformSettings.gx_max_rows`` / ``volume_tolerance``)."""

    gx_max_rows: int
    volume_tolerance: float
    # the retailer's values the suites name by placeholder (``suites.retailer_values``)
    retailer_values: Mapping[str, object] | None = None


def _listed(suite: Suite, severity: str) -> str:
    """The severity's expectations in a few words: each kind (without ``expect_``) and its columns."""
    columns: dict[str, list[str]] = {}
    for expectation in suite.of_severity(severity):
        kwargs = expectation.get("kwargs", {})
        target = kwargs.get("column") or "+".join(kwargs.get("column_list", []))
        columns.setdefault(expectation["type"].removeprefix("expect_"), []).extend([target] if target else [])
    return "; ".join(
        f"{kind} on {', '.join(dict.fromkeys(cols))}" if cols else kind for kind, cols in columns.items()
    )


def check_specs(key: dg.AssetKey, suite: Suite | None, profiled: bool = True) -> list[dg.AssetCheckSpec]:
    specs = []
    if profiled:
        specs.append(
            dg.AssetCheckSpec(
                PROFILE,
                asset=key,
                description=check_description(
                    "Row count, null rate and distinct count per column vs the previous run; fails when "
                    "the row count leaves its recent average by more than the volume tolerance.",
                    blocking=False,
                ),
            )
        )
    if suite and suite.of_severity("critical"):
        specs.append(
            dg.AssetCheckSpec(
                CRITICAL,
                asset=key,
                blocking=True,
                description=check_description(
                    f"The critical expectations of expectations/{suite.path.name}"
                    f" ({_listed(suite, 'critical')}).",
                    blocking=True,
                ),
            )
        )
    if suite and suite.of_severity("warning"):
        specs.append(
            dg.AssetCheckSpec(
                WARNING,
                asset=key,
                description=check_description(
                    f"The warning expectations of expectations/{suite.path.name}"
                    f" ({_listed(suite, 'warning')}).",
                    blocking=False,
                ),
            )
        )
    return specs


def evaluate_table(
    conn: duckdb.DuckDBPyConnection,
    key: dg.AssetKey,
    suite: Suite | None,
    check_names: set[str],
    run_id: str,
    limits: Limits,
    column_sql: ColumnSql = plain_column,
) -> Iterator[dg.AssetCheckResult]:
    """The selected checks of one table, read from the warehouse."""
    table = ".".join(key.path)
    if PROFILE in check_names:
        yield profile_check(conn, key, table, run_id, limits.volume_tolerance)
    severities = [s for s, n in (("critical", CRITICAL), ("warning", WARNING)) if n in check_names]
    if suite is None or not severities:
        return
    suite = suite.resolved(limits.retailer_values)
    # read once for both severities, only when GX has something to validate
    frame = suite_frame(conn, table, suite, column_sql, limits.gx_max_rows) if suite.validated_by_gx else None
    for severity in severities:
        started = time.perf_counter()
        sql_failures = whole_table.failures(conn, table, suite.whole_table(severity), column_sql)
        yield suite_check(key, suite, severity, frame, sql_failures, time.perf_counter() - started)


@dataclass(frozen=True)
class SuiteFrame:
    frame: pd.DataFrame
    table_rows: int
    seconds: float

    @property
    def sampled(self) -> bool:
        return len(self.frame) < self.table_rows


def suite_frame(
    conn: duckdb.DuckDBPyConnection, table: str, suite: Suite, column_sql: ColumnSql, limit: int
) -> SuiteFrame:
    """The columns GX reads; a repeatable sample above ``limit`` rows."""
    started = time.perf_counter()
    columns = suite.columns if suite.columns is not None else table_columns(conn, table)
    select = ", ".join(f"{column_sql(c)} as {plain_column(c)}" for c in columns) if columns else "1 as _row"
    [(rows,)] = conn.execute(f"select count(*) from {table}").fetchall()
    # GX on pandas costs microseconds per row and expectation: a big table is validated on a
    # repeatable sample; the rules that need every row run in SQL (whole_table.py, quarantine rules
    # on raw, dbt tests on models).
    # The sample is the rows whose hashed position falls under the share: repeatable for a given
    # table, and cheap (a reservoir over every row took 4.4 s on the 1M-row profile, this 0.8 s;
    # DuckDB's system sampling is faster still but differs between runs when it reads in parallel).
    per_million = round(1_000_000 * limit / rows) if rows else 0
    sample = f" where hash(rowid + 42) % 1000000 < {per_million}" if rows > limit else ""
    frame = conn.sql(f"select {select} from {table}{sample}").df()
    return SuiteFrame(frame, rows, time.perf_counter() - started)


def profile_check(
    conn: duckdb.DuckDBPyConnection, key: dg.AssetKey, table: str, run_id: str, volume_tolerance: float
) -> dg.AssetCheckResult:
    started = time.perf_counter()
    profile = profile_table(conn, table)
    previous = previous_profile(conn, table, run_id)
    rows = profile[0].rows if profile else 0
    verdict = volume_verdict(rows, recent_row_counts(conn, table, run_id), volume_tolerance)
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
            "volume_tolerance": volume_tolerance,
            "profile": dg.MetadataValue.md(profile_markdown(profile, previous)),
            "seconds": round(time.perf_counter() - started, 2),
        },
    )


def suite_check(
    key: dg.AssetKey,
    suite: Suite,
    severity: str,
    data: SuiteFrame | None,
    sql_failures: list,
    sql_seconds: float = 0.0,
) -> dg.AssetCheckResult:
    """One severity of the suite: the GX part on ``data`` plus the failures counted on every row."""
    started = time.perf_counter()
    count, failures = validate(suite, severity, data.frame) if data is not None else (0, [])
    count += len(suite.whole_table(severity))
    failures = [*sql_failures, *failures]
    sample = (
        f" (GX on a repeatable sample of {len(data.frame):,} of {data.table_rows:,} rows; "
        "not-null, unique and row count on every row)"
        if data is not None and data.sampled
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
            "rows_validated": len(data.frame) if data is not None else 0,
            "table_rows": data.table_rows if data is not None else "not read",
            "sampled": data is not None and data.sampled,
            "seconds": round(time.perf_counter() - started + sql_seconds + (data.seconds if data else 0), 2),
        },
    )
