"""Landing: one raw asset per source table, loaded by one subsettable step (one DuckDB writer)."""

import time
from datetime import UTC, datetime

import dagster as dg

from platform_assets.config import settings
from platform_assets.governance.ownership import LANDING
from platform_assets.landing.contracts import CONTRACTS, CONTRACTS_BY_TABLE, LINEAGE_COLUMNS, SourceContract
from platform_assets.landing.loader import load_source
from platform_assets.resources import Warehouse


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


@dg.multi_asset(
    name="raw_sources",
    specs=[raw_spec(c) for c in CONTRACTS],
    can_subset=True,
    pool="duckdb_writer",
)
def raw_sources(context: dg.AssetExecutionContext, warehouse: Warehouse):
    """Reads every file of each selected source from the landing directory into ``raw.<system>_<entity>``."""
    landing_dir = settings().landing_dir
    if not landing_dir.is_dir():
        raise FileNotFoundError(
            f"landing directory {landing_dir} does not exist: generate the demo data "
            "(`make data`) or set CDP_LANDING_DIR"
        )
    loaded_at = datetime.now(UTC).replace(tzinfo=None)
    selected = [key.path[-1] for key in context.selected_asset_keys]
    with warehouse.connect() as conn:
        for n, table in enumerate(sorted(selected), start=1):
            contract = CONTRACTS_BY_TABLE[table]
            started = time.perf_counter()
            loads = load_source(conn, landing_dir, contract, context.run_id, loaded_at)
            rows = sum(f.rows for f in loads)
            seconds = time.perf_counter() - started
            context.log.info(
                f"[{n}/{len(selected)}] raw.{table}: {rows:,} rows from {len(loads)} file(s) in {seconds:.1f}s"
            )
            yield dg.MaterializeResult(
                asset_key=["raw", table],
                metadata={
                    "dagster/row_count": rows,
                    "files": len(loads),
                    "bytes": sum(f.bytes for f in loads),
                    "landing_dir": str(landing_dir),
                    "rows_per_file": dg.MetadataValue.md(
                        "| file | rows |\n|---|---|\n"
                        + "\n".join(f"| {f.file} | {f.rows:,} |" for f in loads)
                    ),
                    "load_seconds": round(seconds, 2),
                },
            )
