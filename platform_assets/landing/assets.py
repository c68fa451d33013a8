"""Landing: one raw asset per source table, loaded by one subsettable step (one DuckDB writer)."""

import time
from datetime import UTC, datetime

import dagster as dg

from platform_assets.governance.ownership import LANDING
from platform_assets.landing.contracts import CONTRACTS, CONTRACTS_BY_TABLE, LINEAGE_COLUMNS, SourceContract
from platform_assets.landing.loader import load_source, plan_sources
from platform_assets.landing.results import load_metadata, raw_check_specs, raw_table_checks
from platform_assets.lib import layers
from platform_assets.lib.settings import PlatformSettings
from platform_assets.lib.step_output import library_output_to_debug
from platform_assets.lib.warehouse import Warehouse
from platform_assets.quality.rules import load_order
from platform_assets.quality.suites import discover_suites, retailer_values
from platform_assets.quality.table_checks import Limits


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
        description=f"{contract.description} Files: as the retailer configuration says "
        f"(`sources.{contract.table}`); empty when it does not deliver them.",
        group_name=layers.LANDING,
        owners=LANDING.owners,
        kinds={"duckdb"},
        metadata={
            **LANDING.metadata,
            "grain": contract.grain,
            "primary_key": ", ".join(contract.primary_key),
            "source_system": contract.system,
            "dagster/column_schema": column_schema(contract),
            "dagster/table_name": f"raw.{contract.table}",
        },
        skippable=True,
    )


def _suite(contract: SourceContract):
    return discover_suites().get(dg.AssetKey(["raw", contract.table]))


@dg.multi_asset(
    name="raw_sources",
    specs=[raw_spec(c) for c in CONTRACTS],
    check_specs=[spec for c in CONTRACTS for spec in raw_check_specs(c, _suite(c))],
    can_subset=True,
    pool="duckdb_writer",
)
def raw_sources(context: dg.AssetExecutionContext, warehouse: Warehouse, platform: PlatformSettings):
    """Reads every file of each selected source from the landing directory into ``raw.<system>_<entity>``
    as the retailer configuration says, quarantines the rows that break a rule, then checks each table
    (reconciliation, key, profile, suite). Every source is checked before any is written; a source
    the configuration does not deliver is an empty table."""
    landing_dir = platform.landing_path
    if not landing_dir.is_dir():
        raise FileNotFoundError(
            f"landing directory {landing_dir} does not exist: generate the demo data "
            "(`make data`) or set CDP_LANDING_DIR"
        )
    loaded_at = datetime.now(UTC).replace(tzinfo=None)
    limits = Limits(platform.gx_max_rows, platform.volume_tolerance, retailer_values(platform.retailer))
    checks: dict[str, set[str]] = {}
    for check_key in context.selected_asset_check_keys:
        checks.setdefault(check_key.asset_key.path[-1], set()).add(check_key.name)
    retailer, config_path = platform.retailer, platform.retailer_config
    totals = {"rows": 0, "quarantined": 0, "folded": 0, "field warnings": 0, "files": 0, "not delivered": 0}
    step_started = time.perf_counter()
    with warehouse.connect() as conn, library_output_to_debug(context):  # GX's progress and notes
        ordered = load_order([key.path[-1] for key in context.selected_asset_keys])  # referenced first
        started = time.perf_counter()
        plans = plan_sources(
            conn, landing_dir, [CONTRACTS_BY_TABLE[t] for t in ordered], retailer, config_path
        )
        context.log.debug(
            f"{len(plans)} source(s) checked against {config_path} in {time.perf_counter() - started:.1f}s"
        )
        try:
            for n, (table, plan) in enumerate(zip(ordered, plans, strict=True), start=1):
                contract = CONTRACTS_BY_TABLE[table]
                started = time.perf_counter()
                load = load_source(
                    conn, landing_dir, contract, context.run_id, loaded_at, retailer, config_path, plan
                )
                seconds = time.perf_counter() - started
                if load.not_delivered:
                    totals["not delivered"] += 1
                    context.log.debug(f"[{n}/{len(ordered)}] raw.{table}: {load.not_delivered}: empty table")
                else:
                    totals["rows"] += load.rows_read
                    totals["quarantined"] += load.rows_quarantined
                    totals["folded"] += load.rows_folded
                    totals["field warnings"] += load.field_warnings
                    totals["files"] += len(load.files)
                    context.log.debug(
                        f"[{n}/{len(ordered)}] raw.{table}: {load.rows_read:,} rows read from {len(load.files)} "
                        f"file(s), {load.rows_quarantined:,} quarantined, {load.rows_folded:,} folded, "
                        f"{load.field_warnings:,} field warning(s), in {seconds:.1f}s"
                    )
                yield dg.MaterializeResult(
                    asset_key=["raw", table], metadata=load_metadata(load, landing_dir, seconds)
                )
                started = time.perf_counter()
                yield from raw_table_checks(
                    conn,
                    contract,
                    _suite(contract),
                    checks.get(table, set()),
                    context.run_id,
                    limits,
                    load.not_delivered,
                    retailer.max_quarantined_share(table),
                )
                context.log.debug(f"raw.{table}: checks in {time.perf_counter() - started:.1f}s")
        finally:  # a source not loaded (an earlier one failed) leaves no staged rows behind
            for plan in plans:
                plan.cleanup(conn)
    context.log.info(
        f"landing: {len(ordered)} source(s), {totals['files']:,} file(s), {totals['rows']:,} rows read, "
        f"{totals['quarantined']:,} quarantined, {totals['folded']:,} folded, {totals['field warnings']:,} "
        f"field warning(s), {totals['not delivered']} not delivered, in {time.perf_counter() - step_started:.1f}s"
    )
