"""Landing: one raw asset per source table, loaded by one subsettable step (one DuckDB writer)."""

import time
from datetime import UTC, datetime

import dagster as dg

from platform_assets.config import settings
from platform_assets.governance.ownership import LANDING
from platform_assets.landing.contracts import CONTRACTS, CONTRACTS_BY_TABLE, LINEAGE_COLUMNS, SourceContract
from platform_assets.landing.loader import SourceLoad, load_source
from platform_assets.quality.checks import check_specs, evaluate_table
from platform_assets.quality.reconciliation import (
    QUARANTINE,
    RECONCILIATION,
    quarantine_check,
    reconciliation_check,
)
from platform_assets.quality.rules import load_order, parsed
from platform_assets.quality.suites import discover_suites
from platform_assets.resources import Warehouse

SUITES = discover_suites()


def column_schema(contract: SourceContract) -> dg.TableSchema:
    """The contract as Dagster shows it: every raw column is text; the contract type is the promise."""
    return dg.TableSchema(
        columns=[
            dg.TableColumn(
                c.name,
                "varchar",
                description=f"{c.description} Contract type: {c.type}{' (' + c.format + ')' if c.format else ''}.",
                constraints=dg.TableColumnConstraints(nullable=not c.required),
            )
            for c in (*contract.columns, *LINEAGE_COLUMNS)
        ]
    )


def raw_spec(contract: SourceContract) -> dg.AssetSpec:
    return dg.AssetSpec(
        key=["raw", contract.table],
        description=f"{contract.description} Files: `{contract.system}/{contract.file_pattern}`.",
        group_name=LANDING.domain,
        owners=LANDING.owners,
        kinds={"duckdb", contract.file_format},
        metadata={
            **LANDING.metadata,
            "grain": contract.grain,
            "primary_key": ", ".join(contract.primary_key),
            "source_system": contract.system,
            "file_pattern": f"{contract.system}/{contract.file_pattern}",
            "dagster/column_schema": column_schema(contract),
            "dagster/table_name": f"raw.{contract.table}",
        },
        skippable=True,
    )


def raw_check_specs(contract: SourceContract) -> list[dg.AssetCheckSpec]:
    key = dg.AssetKey(["raw", contract.table])
    return [
        dg.AssetCheckSpec(
            RECONCILIATION,
            asset=key,
            blocking=True,
            description="Rows read = rows accepted + rows quarantined, for every file of the load.",
        ),
        dg.AssetCheckSpec(
            QUARANTINE,
            asset=key,
            description=f"Rows of the load moved to quarantine.{contract.table}, by rule, with examples.",
        ),
        *check_specs(key, SUITES.get(key)),
    ]


def _typed_column(contract: SourceContract):
    """Raw values are text: the suites read them in their contract type (they all parse after quarantine)."""
    columns = {c.name: c for c in contract.columns}

    def column_sql(name: str) -> str:
        return parsed(columns[name]) if name in columns else f'"{name}"'

    return column_sql


@dg.multi_asset(
    name="raw_sources",
    specs=[raw_spec(c) for c in CONTRACTS],
    check_specs=[spec for c in CONTRACTS for spec in raw_check_specs(c)],
    can_subset=True,
    pool="duckdb_writer",
)
def raw_sources(context: dg.AssetExecutionContext, warehouse: Warehouse):
    """Reads every file of each selected source from the landing directory into ``raw.<system>_<entity>``,
    quarantines the rows that break a rule, then checks each table (reconciliation, profile, suite)."""
    landing_dir = settings().landing_dir
    if not landing_dir.is_dir():
        raise FileNotFoundError(
            f"landing directory {landing_dir} does not exist: generate the demo data "
            "(`make data`) or set CDP_LANDING_DIR"
        )
    loaded_at = datetime.now(UTC).replace(tzinfo=None)
    selected = [key.path[-1] for key in context.selected_asset_keys]
    checks: dict[str, set[str]] = {}
    for check_key in context.selected_asset_check_keys:
        checks.setdefault(check_key.asset_key.path[-1], set()).add(check_key.name)
    with warehouse.connect() as conn:
        ordered = load_order(selected)  # reference tables (stores, products, receipts) first
        for n, table in enumerate(ordered, start=1):
            contract = CONTRACTS_BY_TABLE[table]
            started = time.perf_counter()
            load = load_source(conn, landing_dir, contract, context.run_id, loaded_at)
            seconds = time.perf_counter() - started
            context.log.info(
                f"[{n}/{len(ordered)}] raw.{table}: {load.rows_read:,} rows read from {len(load.files)} file(s), "
                f"{load.rows_quarantined:,} quarantined, in {seconds:.1f}s"
            )
            yield dg.MaterializeResult(
                asset_key=["raw", table], metadata=_load_metadata(load, landing_dir, seconds)
            )
            started = time.perf_counter()
            yield from _checks(conn, contract, checks.get(table, set()), context.run_id)
            context.log.info(f"raw.{table}: checks in {time.perf_counter() - started:.1f}s")


def _checks(conn, contract: SourceContract, names: set[str], load_id: str):
    if RECONCILIATION in names:
        yield reconciliation_check(conn, contract.table, load_id)
    if QUARANTINE in names:
        yield quarantine_check(conn, contract.table, load_id)
    key = dg.AssetKey(["raw", contract.table])
    yield from evaluate_table(conn, key, SUITES.get(key), names, load_id, _typed_column(contract))


def _load_metadata(load: SourceLoad, landing_dir, seconds: float) -> dict:
    read = [f for f in load.files if f.duplicate_of is None]
    return {
        "dagster/row_count": load.rows_accepted,
        "rows_read": load.rows_read,
        "rows_quarantined": load.rows_quarantined,
        "quarantined_by_rule": dg.MetadataValue.json(load.quarantined_by_rule),
        "files": len(read),
        "files_delivered_twice": len(load.files) - len(read),
        "bytes": sum(f.bytes for f in read),
        "encodings": ", ".join(sorted({f.encoding for f in read})),
        "landing_dir": str(landing_dir),
        "rows_per_file": dg.MetadataValue.md(
            "| file | rows | quarantined | note |\n|---|---|---|---|\n"
            + "\n".join(
                f"| {f.file} | {f.rows:,} | {load.quarantined_by_file.get(f.file, 0):,} "
                f"| {'same content as ' + f.duplicate_of + ', skipped' if f.duplicate_of else f.encoding} |"
                for f in load.files
            )
        ),
        "load_seconds": round(seconds, 2),
        "rules_seconds": round(load.rules_seconds, 2),
    }
