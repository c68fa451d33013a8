"""The retailer's configuration as referential tables: business units and the plausible date window."""

import dagster as dg

from platform_assets.governance.ownership import REFERENTIAL
from platform_assets.lib import layers
from platform_assets.lib.metadata import asset_metadata, markdown_table
from platform_assets.lib.settings import PlatformSettings
from platform_assets.lib.warehouse import Warehouse
from platform_assets.referential.business_units import (
    BOT_RULE_TABLE,
    DATES_TABLE,
    DESCRIPTIONS,
    TABLES,
    UNITS_TABLE,
    write_referential,
)

_GRAINS = {UNITS_TABLE: "one row per business unit", DATES_TABLE: "one row", BOT_RULE_TABLE: "one row"}
_COLUMNS = TABLES
# The bot rule's settings are read by a staging model (stg_web__events): they sit in its layer, so the
# lineage still reads left to right (lib/layers.py).
_LAYERS = {UNITS_TABLE: layers.REFERENTIAL, DATES_TABLE: layers.REFERENTIAL, BOT_RULE_TABLE: layers.STAGING}


def _spec(table: str) -> dg.AssetSpec:
    columns = [(name, type_, text) for name, (type_, text) in _COLUMNS[table].items()]
    return dg.AssetSpec(
        key=table.split("."),
        description=DESCRIPTIONS[table],
        group_name=_LAYERS[table],
        owners=REFERENTIAL.owners,
        kinds={"duckdb", "python"},
        metadata=asset_metadata(REFERENTIAL, table, _GRAINS[table], columns),
    )


@dg.multi_asset(specs=[_spec(table) for table in TABLES], pool="duckdb_writer", name="retailer_referential")
def retailer_referential(context: dg.AssetExecutionContext, platform: PlatformSettings, warehouse: Warehouse):
    """Writes the configured business units, date window and web bot rule (``CDP_RETAILER_CONFIG``):
    the dbt models and tests read them instead of any code, seed or dbt var."""
    config = platform.retailer
    with warehouse.connect() as conn:
        counts = write_referential(conn, config)
        units = conn.sql(f"select * from {UNITS_TABLE} order by country_code").pl()
    source = {"retailer_config": platform.retailer_config}
    context.log.info(
        f"retailer: {counts[UNITS_TABLE]} business unit(s) ({', '.join(units['country_code'])}), dates "
        f"{config.dates.earliest} to {config.dates.latest}, from {platform.retailer_config}"
    )
    yield dg.MaterializeResult(
        asset_key=UNITS_TABLE.split("."),
        metadata={
            "dagster/row_count": counts[UNITS_TABLE],
            "units": dg.MetadataValue.md(markdown_table(units)),
            **source,
        },
    )
    yield dg.MaterializeResult(
        asset_key=DATES_TABLE.split("."),
        metadata={
            "dagster/row_count": 1,
            "earliest_date": str(config.dates.earliest),
            "latest_date": str(config.dates.latest),
            **source,
        },
    )
    yield dg.MaterializeResult(
        asset_key=BOT_RULE_TABLE.split("."),
        metadata={"dagster/row_count": 1, **config.web_bots.model_dump(), **source},
    )
