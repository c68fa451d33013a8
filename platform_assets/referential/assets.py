"""Every dbt model is an asset and every dbt test an asset check, in one dbt build step."""

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from platform_assets.config import resolve_reference_date, settings
from platform_assets.referential.project import dbt_project
from platform_assets.referential.translator import CdpDbtTranslator
from platform_assets.resources import Warehouse


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=CdpDbtTranslator(),
    pool="duckdb_writer",
)
def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: Warehouse):
    """Builds the selected dbt models and runs their tests (no model reads the reference date: the
    referential holds every day received; the Python assets compute as of the date)."""
    reference_date = resolve_reference_date(context.run.tags, settings().reference_date)
    # The seed step may run before any other asset has created the warehouse's folder.
    warehouse.database.parent.mkdir(parents=True, exist_ok=True)
    # dbt holds the DuckDB file while it runs, so row counts are read once it has finished;
    # events are then yielded in dbt's order (a test's check after its model's materialisation).
    # No --vars: a changed var makes dbt re-parse the whole project (~8 s per dbt step at 1M).
    events = list(dbt.cli(["build"], context=context).stream())
    with warehouse.connect() as conn:
        for event in events:
            if isinstance(event, dg.Output | dg.AssetMaterialization):
                table = ".".join(_event_key(context, event).path)
                rows = conn.execute(f"select count(*) from {table}").fetchall()[0][0]
                event = event.with_metadata(
                    {**event.metadata, "dagster/row_count": rows, "reference_date": str(reference_date)}
                )
            yield event


def _event_key(context: dg.AssetExecutionContext, event) -> dg.AssetKey:
    if isinstance(event, dg.Output):
        return context.asset_key_for_output(event.output_name)
    return event.asset_key
