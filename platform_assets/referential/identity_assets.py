"""Identity resolution as an asset: the crosswalk from every source record to a stable customer id."""

import dagster as dg

from platform_assets.governance.ownership import PUBLISH, REFERENTIAL
from platform_assets.lib import layers
from platform_assets.lib.metadata import asset_metadata
from platform_assets.lib.settings import PlatformSettings
from platform_assets.lib.step_output import library_output_to_debug, summary
from platform_assets.lib.warehouse import Warehouse
from platform_assets.privacy.tables import REQUESTS_MODEL
from platform_assets.referential.identity.schema import (
    CARDS,
    ERASURE_TABLES,
    FOLDED,
    QUALITY,
    RECORDS,
    STANDARDISATION_TABLES,
    TABLES,
    WARNINGS,
    XREF,
)

# what each table is built from: the crosswalk from the records, cards and erasure requests; the
# erasure bookkeeping from the requests; the other identity tables with the crosswalk
DEPS = {XREF: (RECORDS, CARDS, REQUESTS_MODEL)} | dict.fromkeys(ERASURE_TABLES, (REQUESTS_MODEL,))
# the flow's layer of each table written here (the rest: referential); owners do not follow it
LAYERS = {QUALITY: layers.QUALITY, WARNINGS: layers.QUALITY}


def _spec(table: str) -> dg.AssetSpec:
    """The erasure bookkeeping is written with the crosswalk (one transaction) but owned by the publish
    domain, which answers for privacy; it stays in the referential layer (the facts read the
    suppression list). The match quality is owned by the referential team, shown in the quality layer."""
    description, grain, columns = TABLES[table]
    owner = PUBLISH if table in ERASURE_TABLES else REFERENTIAL
    return dg.AssetSpec(
        key=table.split("."),
        description=description,
        group_name=LAYERS.get(table, layers.REFERENTIAL),
        owners=owner.owners,
        kinds={"duckdb", "python"} if table in ERASURE_TABLES else {"duckdb", "splink", "python"},
        deps=[dep.split(".") for dep in DEPS.get(table, (XREF,))],
        metadata=asset_metadata(owner, table, grain, [(c, "string", text) for c, text in columns.items()]),
    )


@dg.multi_asset(specs=[_spec(table) for table in TABLES], pool="duckdb_writer", name="identity_resolution")
def identity_resolution(context: dg.AssetExecutionContext, platform: PlatformSettings, warehouse: Warehouse):
    """Deterministic rules (loyalty card, e-mail, phone), then Splink for the rest; connected
    components; stable ids against the previous crosswalk; merges and splits recorded."""
    # imported when the asset runs: keeps the code location fast (no polars/numpy at load)
    from platform_assets.referential.identity.matching import MatchingConfig
    from platform_assets.referential.identity.metadata import run_metadata
    from platform_assets.referential.identity.resolution import resolve_identities

    config = MatchingConfig.with_threshold(
        platform.match_threshold,  # Splink on the engine of CDP_ENGINE (lib/engine.py)
        engine=platform.engine,
        spark_dir=str(platform.spark_path),
        spark_master=platform.spark_master,
    )
    with warehouse.connect() as conn, library_output_to_debug(context):  # Splink's training notes
        run = resolve_identities(
            conn, config, context.run_id, platform.restricted_path, platform.ground_truth_path
        )
    context.log.info(identity_summary(run))
    for table, metadata in run_metadata(run).items():
        yield dg.MaterializeResult(asset_key=table.split("."), metadata=metadata)


def identity_summary(run) -> str:
    """The step's one line: records, customers, and match quality when a ground truth exists."""
    customers = run.xref["customer_id"].n_unique()
    line = f"identity: {run.xref.height:,} records -> {customers:,} customers"
    if run.quality:
        q = run.quality
        line += f"; against the ground truth precision {q.precision:.4f}, recall {q.recall:.4f}"
    return line + f" ({run.run_seconds:.1f} s)"


def _standardisation_spec(table: str) -> dg.AssetSpec:
    description, grain, columns = STANDARDISATION_TABLES[table]
    return dg.AssetSpec(
        key=table.split("."),
        description=description,
        group_name=LAYERS.get(table, layers.REFERENTIAL),
        owners=REFERENTIAL.owners,
        kinds={"duckdb", "python"},
        deps=[FOLDED.split(".")],
        metadata=asset_metadata(
            REFERENTIAL, table, grain, [(c, "string", text) for c, text in columns.items()]
        ),
    )


@dg.multi_asset(
    specs=[_standardisation_spec(table) for table in STANDARDISATION_TABLES],
    pool="duckdb_writer",
    name="record_standardisation",
)
def record_standardisation(
    context: dg.AssetExecutionContext, platform: PlatformSettings, warehouse: Warehouse
):
    """Phones in E.164 with phonenumbers (each business unit's default region), unusable values
    nulled with a warning row, records with no usable identifier flagged: what Splink matches."""
    from platform_assets.lib.metadata import markdown_table
    from platform_assets.lib.tables import replace_tables
    from platform_assets.referential.identity.standardise import standardise_records

    regions = {code: unit.default_phone_region for code, unit in platform.retailer.units_by_code.items()}
    with warehouse.connect() as conn:
        result = standardise_records(conn.sql(f"select * from {FOLDED}").pl(), regions)
        conn.register("standardised_records", result.records.to_arrow())
        conn.register("field_warnings", result.warnings.to_arrow())
        rows = replace_tables(
            conn,
            {RECORDS: "select * from standardised_records", WARNINGS: "select * from field_warnings"},
        )
        conn.unregister("standardised_records")
        conn.unregister("field_warnings")
    by_reason = result.warnings.group_by("field", "reason").len().sort("len", descending=True)
    summary(
        context,
        RECORDS,
        rows[RECORDS],
        phones_valid=int(result.records["phone_e164"].is_not_null().sum()),
        values_nulled=rows[WARNINGS],
    )
    yield dg.MaterializeResult(
        asset_key=RECORDS.split("."),
        metadata={
            "dagster/row_count": rows[RECORDS],
            "phone_regions": dg.MetadataValue.json(regions),
            "phones_valid": int(result.records["phone_e164"].is_not_null().sum()),
            "too_little_identity": int(result.records["has_too_little_identity"].sum()),
        },
    )
    yield dg.MaterializeResult(
        asset_key=WARNINGS.split("."),
        metadata={
            "dagster/row_count": rows[WARNINGS],
            "warnings_by_field": dg.MetadataValue.md(markdown_table(by_reason)),
        },
    )
