"""One publication, start to end: sweep the exports of erased persons, build the analyst and
restricted files aside, document them, swap them in, prune old snapshots, rewrite the kept ones that
hold a person erased since, log the publication in the working file (``ops.publication_log``). No Dagster: the asset hands in the run's facts.

Each published file also carries its own ``ops.publication`` row (builder.py): which run built it.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from platform_assets.lib.tables import table_exists
from platform_assets.privacy import retention
from platform_assets.privacy.cleanups import record_cleanups
from platform_assets.privacy.exports import sweep_exports
from platform_assets.privacy.snapshots import anonymise_snapshots, erase_from_snapshots
from platform_assets.privacy.tables import LOG_TABLE, REGISTER_TABLE, SUPPRESSION_TABLE
from platform_assets.publish import builder, snapshots
from platform_assets.publish.classification import (
    ANALYST_SCHEMAS,
    ANALYST_TABLES,
    RESTRICTED_SCHEMAS,
    check_all,
)
from platform_assets.publish.docs import TableDoc, dictionary_markdown

LOG = "ops.publication_log"
# Asset metadata: False keeps the asset's table out of the analyst file (restricted file only).
ANALYST_FLAG = "published_to_analysts"
FORMER_LOG = "publications"  # the log's name until issue 19: an existing one is renamed
LOG_SCHEMA = (
    ("run_id", "varchar", "Dagster run that published."),
    ("reference_date", "date", "The date the published scores are computed as of."),
    ("published_at", "timestamp", "When the files were swapped in (UTC)."),
    ("snapshot", "varchar", "Snapshot directory under the published directory's snapshots/."),
    ("analyst_tables", "bigint", "Tables in the analyst file."),
    ("analyst_rows", "bigint", "Rows in the analyst file, all tables."),
    ("restricted_tables", "bigint", "Tables in the restricted file."),
    ("checks_passed", "bigint", "Asset checks of the run that passed."),
    ("checks_warned", "bigint", "Non-blocking asset checks of the run that failed (published anyway)."),
    ("erased_customers", "bigint", "Customers erased so far (hashed ids on the suppression list)."),
    (
        "full_refresh",
        "boolean",
        "Whether the run built every asset: the latest such row dates a run that has no reference date tag.",
    ),
)
LOG_COLUMNS = {name: description for name, _, description in LOG_SCHEMA}
DESCRIPTION = (
    "Publication of the analyst warehouse: the analyst file (no direct identifiers) and the restricted "
    "file (personal data), built from the working file, documented, and swapped in atomically once "
    "every blocking check of the run passed; the last snapshots are kept. One row per publication."
)


@dataclass(frozen=True)
class Run:
    run_id: str
    reference_date: date
    checks_passed: int
    checks_warned: list[str]  # non-blocking checks that failed: published anyway, and said
    full_refresh: bool  # the run built every asset (lib/reference_date.py reads the latest one's date)


@dataclass(frozen=True)
class Published:
    snapshot: str
    analyst: builder.BuiltFile
    restricted: builder.BuiltFile
    undocumented: list[str]  # schema.table.column of the analyst file without a description
    erased: int
    swept: dict[str, int]  # export file -> rows of erased persons removed
    pruned: list[str]
    snapshots_erased: dict[str, dict[str, int]]  # earlier snapshot/file -> rows of erased persons removed
    log_rows: int
    # earlier snapshot/file -> rows whose identifiers were removed (inactive customers past retention)
    snapshots_anonymised: dict[str, dict[str, int]] | None = None


def publish(
    conn: duckdb.DuckDBPyConnection,
    run: Run,
    docs: dict[str, TableDoc],
    published_dir: Path,
    exports_dir: Path,
    snapshots_kept: int,
    withheld: frozenset[str] = frozenset(),
) -> Published:
    """Builds both files from the working file behind ``conn`` and makes them the current publication;
    a build that fails leaves nothing behind and the previous publication in place. ``withheld``:
    tables kept out of the analyst file (the restricted file has them)."""
    published_at = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    name = snapshots.snapshot_name(published_at, run.run_id)
    building = snapshots.start_building(published_dir, run.run_id)
    try:
        conn.execute("checkpoint")
        create_log(conn)
        swept = sweep_exports(conn, exports_dir)
        analyst_tables = builder.source_tables(conn, ANALYST_SCHEMAS, ANALYST_TABLES)
        analyst_tables = {t: c for t, c in analyst_tables.items() if t not in withheld}
        check_all(analyst_tables)  # every unclassified column at once, before any work
        restricted_tables = builder.source_tables(conn, RESTRICTED_SCHEMAS)
        facts = {"run_id": run.run_id, "reference_date": run.reference_date, "published_at": published_at}
        analyst = builder.build(
            conn,
            building / "analyst.duckdb",
            "analyst_build",
            analyst_tables,
            docs,
            True,
            {**facts, "file_kind": "analyst"},
        )
        restricted = builder.build(
            conn,
            building / "restricted.duckdb",
            "restricted_build",
            restricted_tables,
            docs,
            False,
            {**facts, "file_kind": "restricted"},
        )
        erased, requests = erasure_counts(conn)
        undocumented = [
            f"{e.schema_name}.{e.table_name}.{e.column_name}" for e in analyst.entries if not e.description
        ]
        (building / "data_dictionary.md").write_text(
            dictionary_markdown(
                "Analyst warehouse — data dictionary",
                f"Published by run `{run.run_id}` as of {run.reference_date} ({published_at} UTC). "
                "No direct identifiers: personal data is in the restricted file only.",
                analyst.docs,
                analyst.entries,
                analyst.rows,
            )
        )
        (building / "processing_register.md").write_text(register_page(conn, run, published_at))
        snapshots.write_manifest(
            building,
            {
                "run_id": run.run_id,
                "reference_date": run.reference_date.isoformat(),
                "published_at": published_at.isoformat(),
                "snapshot": name,
                "files": {"analyst": analyst.rows, "restricted": restricted.rows},
                "checks": {"passed": run.checks_passed, "failed_non_blocking": run.checks_warned},
                "undocumented_columns": undocumented,
                "erasure": {
                    "customers_erased": erased,
                    "requests_logged": requests,
                    "export_rows_removed": swept,
                },
            },
        )
        snapshots.promote(building, published_dir, name)
        pruned = snapshots.prune(published_dir, snapshots_kept)
        # the kept earlier snapshots lose who was erased since (the new one was built without them)
        earlier = [s for s in snapshots.snapshots(published_dir) if s.name != name]
        snapshots_erased = erase_from_snapshots(conn, earlier, run.run_id, builder.STORAGE_VERSION)
        record_cleanups(conn, run.run_id, published_at, cleanup_places(swept, snapshots_erased))
        # and lose the identifiers of the customers past retention for inactivity (privacy/dormancy.py)
        snapshots_anonymised = anonymise_snapshots(conn, earlier, run.run_id, builder.STORAGE_VERSION)
        if snapshots_anonymised:
            places = {
                f"snapshot:{file}:{table}": rows
                for file, tables in snapshots_anonymised.items()
                for table, rows in tables.items()
            }
            retention.record(
                conn, retention.anonymised(retention.SNAPSHOT_RULE, places), run.run_id, run.reference_date
            )
        row = [
            run.run_id,
            run.reference_date,
            published_at,
            name,
            len(analyst.rows),
            sum(analyst.rows.values()),
            len(restricted.rows),
            run.checks_passed,
            len(run.checks_warned),
            erased,
            run.full_refresh,
        ]
        log_rows = _log(conn, row)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)  # a build never promoted leaves nothing behind
        raise
    return Published(
        name,
        analyst,
        restricted,
        undocumented,
        erased,
        swept,
        pruned,
        snapshots_erased,
        log_rows,
        snapshots_anonymised,
    )


def register_page(conn: duckdb.DuckDBPyConnection, run: Run, published_at: datetime) -> str:
    """The register of processing (``ops.processing_register``, written by its asset this run) as a page."""
    from platform_assets.privacy.register import register_markdown  # it reads this package's rules

    rows = []
    if table_exists(conn, REGISTER_TABLE):
        frame = conn.execute(f"select * from {REGISTER_TABLE} order by domain")
        names = [d[0] for d in frame.description]
        rows = [dict(zip(names, values, strict=True)) for values in frame.fetchall()]
    return register_markdown(
        rows,
        f"Generated by run `{run.run_id}` as of {run.reference_date} ({published_at} UTC) from the published "
        "tables' data classification, the ownership registry and the purposes each domain declares "
        "(platform_assets/governance/processing.py). Also the table `ops.processing_register` of both files."
        + ("" if rows else " No register was generated in this run."),
    )


def cleanup_places(swept: dict[str, int], snapshots_erased: dict[str, dict[str, int]]) -> dict[str, int]:
    """The places this publication removed erased persons from, for ``ops.erasure_cleanups``."""
    places = {f"export:{file}": rows for file, rows in swept.items()}
    for file, tables in snapshots_erased.items():
        places.update({f"snapshot:{file}:{table}": rows for table, rows in tables.items()})
    return places


def slowest(seconds: dict[str, float], n: int = 6) -> dict[str, float]:
    """Where a publication's time went: its slowest tables (and scans), in seconds."""
    return {k: round(v, 1) for k, v in sorted(seconds.items(), key=lambda kv: -kv[1])[:n]}


def erasure_counts(conn: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    """(customers on the suppression list, erasure requests logged)."""
    erased = requests = 0
    if table_exists(conn, SUPPRESSION_TABLE):
        [(erased,)] = conn.execute(
            f"select count(*) from {SUPPRESSION_TABLE} where key_type = 'customer_id'"
        ).fetchall()
    if table_exists(conn, LOG_TABLE):
        [(requests,)] = conn.execute(f"select count(*) from {LOG_TABLE}").fetchall()
    return int(erased), int(requests)


def create_log(conn: duckdb.DuckDBPyConnection) -> None:
    """Before the build: once the files are swapped in, only an insert is left to do."""
    conn.execute("create schema if not exists ops")
    if not table_exists(conn, LOG) and table_exists(conn, f"ops.{FORMER_LOG}"):
        conn.execute(f"alter table ops.{FORMER_LOG} rename to {LOG.split('.')[1]}")
    columns = ", ".join(f"{name} {type_}" for name, type_, _ in LOG_SCHEMA)
    conn.execute(f"create table if not exists {LOG} ({columns})")
    for name, type_, _ in LOG_SCHEMA:  # a log written before a column was added
        conn.execute(f"alter table {LOG} add column if not exists {name} {type_}")


def _log(conn: duckdb.DuckDBPyConnection, row: list) -> int:
    names = ", ".join(name for name, _, _ in LOG_SCHEMA)
    conn.execute(f"insert into {LOG} ({names}) values ({', '.join('?' * len(row))})", row)
    [(rows,)] = conn.execute(f"select count(*) from {LOG}").fetchall()
    return int(rows)
