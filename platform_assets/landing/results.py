"""What the landing step reports per source table: the load's metadata and the table's checks
(reconciliation, quarantine, primary key, profile, suite) as Dagster results."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import duckdb

from platform_assets.landing.contracts import SourceContract
from platform_assets.landing.keys import PRIMARY_KEY, primary_key_check
from platform_assets.landing.loader import SourceLoad
from platform_assets.lib.metadata import check_description
from platform_assets.quality.reconciliation import (
    QUARANTINE,
    RECONCILIATION,
    quarantine_check,
    reconciliation_check,
)
from platform_assets.quality.rules import typed_columns
from platform_assets.quality.suites import Suite
from platform_assets.quality.table_checks import Limits, check_specs, evaluate_table


def raw_check_specs(contract: SourceContract, suite: Suite | None) -> list[dg.AssetCheckSpec]:
    key = dg.AssetKey(["raw", contract.table])
    return [
        dg.AssetCheckSpec(
            RECONCILIATION,
            asset=key,
            blocking=True,
            description=check_description(
                "Rows read = rows accepted + rows quarantined + rows folded (distinct_on), "
                "for every file of the load.",
                blocking=True,
            ),
        ),
        dg.AssetCheckSpec(
            QUARANTINE,
            asset=key,
            blocking=True,
            description=check_description(
                f"Rows of the load moved to quarantine.{contract.table}, by rule, with examples; fails when "
                "any row was quarantined: a warning, or an ERROR when a file's or the load's quarantined "
                "share is above the retailer's quality.max_quarantined_share (the file and rule named).",
                blocking=True,
            ),
        ),
        dg.AssetCheckSpec(
            PRIMARY_KEY,
            asset=key,
            blocking=True,
            description=check_description(
                f"The contract's key ({', '.join(contract.primary_key)}) is unique and complete on every row.",
                blocking=True,
            ),
        ),
        *check_specs(key, suite),
    ]


def not_delivered_checks(
    contract: SourceContract, names: set[str], note: str
) -> Iterator[dg.AssetCheckResult]:
    """A source not delivered: its table is empty by design, so each selected check passes without
    evaluating anything, and says so (it neither fails on nor vouches for data that is not there)."""
    for name in sorted(names):
        yield dg.AssetCheckResult(
            asset_key=dg.AssetKey(["raw", contract.table]),
            check_name=name,
            passed=True,
            description=f"not evaluated: {note}; raw.{contract.table} is empty by design",
            metadata={"evaluated": False, "delivered": False, "reason": note},
        )


def raw_table_checks(
    conn: duckdb.DuckDBPyConnection,
    contract: SourceContract,
    suite: Suite | None,
    names: set[str],
    load_id: str,
    limits: Limits,
    not_delivered: str | None = None,
    max_quarantined_share: float = 1.0,
) -> Iterator[dg.AssetCheckResult]:
    """The selected checks of ``raw.<table>`` after its load; the suite reads values in their contract type."""
    if not_delivered:
        yield from not_delivered_checks(contract, names, not_delivered)
        return
    if RECONCILIATION in names:
        yield reconciliation_check(conn, contract.table, load_id)
    if QUARANTINE in names:
        yield quarantine_check(conn, contract.table, load_id, max_quarantined_share)
    if PRIMARY_KEY in names:
        yield primary_key_check(conn, contract)
    key = dg.AssetKey(["raw", contract.table])
    yield from evaluate_table(conn, key, suite, names, load_id, limits, typed_columns(contract))


def load_metadata(load: SourceLoad, landing_dir: Path, seconds: float) -> dict:
    if load.not_delivered:
        return {
            "dagster/row_count": 0,
            "delivered": False,
            "note": load.not_delivered,
            "landing_dir": str(landing_dir),
        }
    read = [f for f in load.files if f.duplicate_of is None]
    return {
        "dagster/row_count": load.rows_accepted,
        "delivered": True,
        "files_glob": load.files_glob or "",
        "rows_read": load.rows_read,
        "rows_quarantined": load.rows_quarantined,
        "rows_folded": load.rows_folded,
        "quarantined_by_rule": dg.MetadataValue.json(load.quarantined_by_rule),
        "field_warnings": load.field_warnings,
        "field_warnings_by_rule": dg.MetadataValue.json(load.field_warnings_by_rule),
        "null_markers_read_as_null": dg.MetadataValue.json(load.nulled_by_column),
        "files": len(read),
        "files_delivered_twice": len(load.files) - len(read),
        "bytes": sum(f.bytes for f in read),
        "encodings": ", ".join(sorted({f.encoding for f in read})),
        "landing_dir": str(landing_dir),
        "rows_per_file": dg.MetadataValue.md(
            "| file | rows | quarantined | folded | note |\n|---|---|---|---|---|\n"
            + "\n".join(
                f"| {f.file} | {f.rows:,} | {load.quarantined_by_file.get(f.file, 0):,} "
                f"| {load.folded_by_file.get(f.file, 0):,} "
                f"| {'same content as ' + f.duplicate_of + ', skipped' if f.duplicate_of else f.encoding} |"
                for f in load.files
            )
        ),
        "load_seconds": round(seconds, 2),
        "rules_seconds": round(load.rules_seconds, 2),
    }
