"""Every dbt model is an asset and every dbt test an asset check, in one dbt build step."""

import shutil
import time
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from platform_assets.lib import engine
from platform_assets.lib.reference_date import NoReferenceDateError, run_reference_date
from platform_assets.lib.settings import PlatformSettings
from platform_assets.lib.step_output import library_output_to_debug
from platform_assets.lib.warehouse import Warehouse
from platform_assets.referential.project import dbt_project
from platform_assets.referential.translator import CdpDbtTranslator


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=CdpDbtTranslator(),
    pool="duckdb_writer",
)
def dbt_models(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, platform: PlatformSettings, warehouse: Warehouse
):
    """Builds the selected dbt models and runs their tests (no model reads the reference date: the
    referential holds every day received; the Python assets compute as of the date)."""
    # The seed step may run before any other asset has created the warehouse's folder; dbt opens the
    # file itself: wait here (CDP_LOCK_TIMEOUT) while another process holds it, with a clear error.
    warehouse.wait_until_free()
    spark = platform.engine == "spark"
    if spark:  # the sources, as Parquet files dbt registers on Spark (lib/engine.py)
        with warehouse.connect() as conn:
            handed = engine.export_for_spark(
                conn, engine.dbt_sources(dbt_project.manifest_path), engine.handoff_path(platform.spark_path)
            )
        context.log.info(f"spark: {len(handed)} sources handed over ({sum(handed.values())} rows)")
    # dbt holds the DuckDB file while it runs, so row counts are read once it has finished;
    # events are then yielded in dbt's order (a test's check after its model's materialisation).
    # No --vars: a changed var makes dbt re-parse the whole project (~8 s per dbt step at 1M).
    # dbt unit tests (fixed inputs) run in CI, not in every refresh (dbt's advice): about 2 s each.
    # dbt's own log (which dagster-dbt echoes) and dagster-dbt's notes go to the debug level
    with library_output_to_debug(context):
        invocation = dbt.cli(["build", *DBT_BUILD_ARGS], context=context)
        events = list(invocation.stream())
    context.log.info(dbt_summary(events))
    if spark:  # what dbt built on Spark, read back into the warehouse for the Python assets after it
        built = [
            ".".join(_event_key(context, e).path)
            for e in events
            if isinstance(e, dg.Output | dg.AssetMaterialization)
        ]
        with warehouse.connect() as conn:
            engine.import_from_spark(conn, built, platform.spark_path)
    pruned = prune_dbt_targets(invocation.target_path, DBT_TARGET_RETENTION_DAYS, time.time())
    if pruned:
        context.log.info(
            f"removed {len(pruned)} dbt target folders older than {DBT_TARGET_RETENTION_DAYS} days"
        )
    # chosen once dbt has built the sales (a first untagged run dates itself from them); only metadata here
    try:
        reference_date = str(run_reference_date(context, platform, warehouse))
    except NoReferenceDateError:
        reference_date = "none yet"
    with warehouse.connect() as conn:
        for event in events:
            if isinstance(event, dg.Output | dg.AssetMaterialization):
                table = ".".join(_event_key(context, event).path)
                rows = conn.execute(f"select count(*) from {table}").fetchall()[0][0]
                event = event.with_metadata(
                    {**event.metadata, "dagster/row_count": rows, "reference_date": reference_date}
                )
            yield event


DBT_BUILD_ARGS = ["--exclude-resource-type", "unit_test"]


def dbt_summary(events: list) -> str:
    """The step's one line: what dbt built and how its tests went."""
    built = sum(isinstance(e, dg.Output | dg.AssetMaterialization) for e in events)
    checks = [e for e in events if isinstance(e, dg.AssetCheckResult)]
    failed = [e for e in checks if not e.passed and e.severity == dg.AssetCheckSeverity.ERROR]
    warned = [e for e in checks if not e.passed and e.severity == dg.AssetCheckSeverity.WARN]
    return (
        f"dbt build: {built} models and seeds, {len(checks)} tests: "
        f"{len(checks) - len(failed) - len(warned)} passed, {len(warned)} warned, {len(failed)} failed"
    )


# dagster-dbt gives every dbt invocation its own target folder (manifest, compiled SQL, run results,
# logs: about 7 MB); three per nightly refresh would fill the disk by some 8 GB a year. A week of them is
# kept to debug with.
DBT_TARGET_RETENTION_DAYS = 7


def prune_dbt_targets(current: Path, keep_days: float, now: float) -> list[Path]:
    """Removes the other per-invocation folders beside ``current`` (named like it: ``<op>-<run>-<id>``)
    last written more than ``keep_days`` before ``now``; returns what it removed."""
    op = current.name.split("-")[0]
    removed = []
    for folder in current.parent.glob(f"{op}-*-*"):
        if folder != current and folder.is_dir() and now - folder.stat().st_mtime > keep_days * 86400:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def _event_key(context: dg.AssetExecutionContext, event) -> dg.AssetKey:
    if isinstance(event, dg.Output):
        return context.asset_key_for_output(event.output_name)
    return event.asset_key
