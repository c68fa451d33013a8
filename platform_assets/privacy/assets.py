"""The register of processing and the retention policy as assets of the publication layer. The register
(``ops.processing_register``) is built from the other domains' definitions like the publication: it
depends on every asset so it describes what this run publishes, and the publication depends on it (its
blocking check stops a publication that would hold a table without a classification or a purpose).
The consent history and the access requests have their own modules (``consent_assets.py``,
``access_assets.py``)."""

from datetime import UTC, datetime

import dagster as dg

from platform_assets.governance.ownership import PUBLISH
from platform_assets.governance.processing import SIDE_TABLES
from platform_assets.lib import layers
from platform_assets.lib.metadata import asset_metadata, check_description, markdown_table
from platform_assets.lib.reference_date import run_reference_date
from platform_assets.lib.settings import PlatformSettings
from platform_assets.lib.tables import (
    comment_table,
    replace_table_from_frame,
    table_exists,
)
from platform_assets.lib.warehouse import Warehouse
from platform_assets.privacy import register, retention
from platform_assets.publish.builder import PUBLICATION_DOCS, source_tables
from platform_assets.publish.check_results import COLUMNS as CHECK_RESULT_COLUMNS
from platform_assets.publish.check_results import TABLE as CHECK_RESULTS
from platform_assets.publish.classification import (
    ANALYST_SCHEMAS,
    ANALYST_TABLES,
    RESTRICTED_SCHEMAS,
    analyst_columns,
)
from platform_assets.publish.publication import ANALYST_FLAG
from platform_assets.publish.publication import LOG as PUBLICATION_LOG
from platform_assets.publish.publication import LOG_COLUMNS as PUBLICATION_LOG_COLUMNS

REGISTER_CHECK = "every_published_table_classified_with_a_purpose"
EXPORTS = "activation.audience_exports"


def _table(spec: dg.AssetSpec) -> str:
    name = spec.metadata.get("dagster/table_name") or ".".join(spec.key.path)
    return ".".join(str(name).split(".")[-2:])


def _columns(spec: dg.AssetSpec) -> list[str]:
    schema = spec.metadata.get("dagster/column_schema")
    return [c.name for c in schema.columns] if isinstance(schema, dg.TableSchema) else []


def published(table: str, withheld: frozenset[str]) -> tuple[bool, bool]:
    """(restricted file, analyst file eligibility) of a working-file table."""
    schema = table.split(".")[0]
    restricted = schema in RESTRICTED_SCHEMAS
    eligible = schema in ANALYST_SCHEMAS or table in ANALYST_TABLES or table in PUBLICATION_DOCS
    return restricted, eligible and table not in withheld


def export_recipients(conn) -> list[str]:
    """The campaign channels this run exported audiences to (the activation's recipients)."""
    if not table_exists(conn, EXPORTS):
        return ["campaign channels: none exported"]
    channels = [
        c
        for (c,) in conn.execute(
            f"select distinct channel from {EXPORTS} "
            f"where reference_date = (select max(reference_date) from {EXPORTS}) order by 1"
        ).fetchall()
    ]
    listed = ", ".join(channels) if channels else "none exported this run"
    return [f"campaign channels (one file per campaign, channel and unit under the exports folder): {listed}"]


def build_register(upstream: dg.Definitions) -> dg.AssetsDefinition:
    specs = [
        spec
        for assets in upstream.assets or []
        if isinstance(assets, dg.AssetsDefinition) and assets.is_materializable
        for spec in assets.specs
    ]
    key = dg.AssetKey(register.TABLE.split("."))
    domains = (
        {_table(s): s.metadata.get("domain") for s in specs} | SIDE_TABLES | {register.TABLE: PUBLISH.domain}
    )
    withheld = frozenset(_table(s) for s in specs if s.metadata.get(ANALYST_FLAG) is False)
    # tables the publication will hold that this run may not have written yet (the publication's own)
    expected = {_table(s): _columns(s) for s in specs if published(_table(s), withheld)[0]}
    expected |= {t: list(doc.columns) for t, doc in PUBLICATION_DOCS.items()}
    expected |= {
        CHECK_RESULTS: list(CHECK_RESULT_COLUMNS),
        PUBLICATION_LOG: list(PUBLICATION_LOG_COLUMNS),
        register.TABLE: [c for c, _, _ in register.COLUMNS],
    }

    @dg.asset(
        key=key,
        deps=sorted((spec.key for spec in specs), key=lambda k: k.path),
        description=(
            "Register of processing activities (GDPR art. 30), generated each run: per domain, its purpose, "
            "legal basis, categories of persons and of data, recipients (published files, export channels), "
            "retention, owners and the published tables involved, from the tables' data classification, the "
            "ownership registry and the purposes declared in platform_assets/governance/processing.py."
        ),
        group_name=layers.PUBLICATION,
        owners=PUBLISH.owners,
        kinds={"duckdb", "python"},
        pool="duckdb_writer",
        metadata=asset_metadata(PUBLISH, register.TABLE, "one row per processing activity", register.COLUMNS),
        check_specs=[
            dg.AssetCheckSpec(
                REGISTER_CHECK,
                asset=key,
                blocking=True,
                description=check_description(
                    "Every table the publication will hold has a data classification (no personal-looking "
                    "column without a privacy rule), a domain and a purpose declared for that domain.",
                    blocking=True,
                ),
            )
        ],
    )
    def processing_register(
        context: dg.AssetExecutionContext, warehouse: Warehouse, platform: PlatformSettings
    ) -> dg.MaterializeResult:
        with warehouse.connect() as conn:
            tables = {**expected, **source_tables(conn, RESTRICTED_SCHEMAS)}
            classes = [
                classify(t, columns, domains.get(t), withheld) for t, columns in sorted(tables.items())
            ]
            rows = register.register_rows(
                classes,
                {
                    "activation": export_recipients(conn),
                    "publish": [
                        "the person themselves (access and portability bundles under the exports folder)"
                    ],
                },
                platform.snapshots_kept,
                retention_declared(platform),
            )
            frame = _frame(rows)
            count = replace_table_from_frame(conn, register.TABLE, frame)
            comment_table(
                conn,
                register.TABLE,
                "Register of processing activities (GDPR art. 30): one row per activity.",
                {name: text for name, _, text in register.COLUMNS},
            )
        found = register.problems(classes)
        context.log.info(
            f"register of processing: {count} activities, {len(classes)} tables, {len(found)} problems"
        )
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": count,
                "tables": len(classes),
                "register": dg.MetadataValue.md(
                    markdown_table(frame.select("activity", "domain", "classification", "legal_basis"))
                ),
            },
            check_results=[
                dg.AssetCheckResult(
                    check_name=REGISTER_CHECK,
                    passed=not found,
                    severity=dg.AssetCheckSeverity.ERROR,
                    metadata={"tables": len(classes), "problems": dg.MetadataValue.json(found)},
                )
            ],
        )

    return processing_register


def classify(
    table: str, columns: list[str], domain: str | None, withheld: frozenset[str]
) -> register.TableClass:
    """The table's class; in the analyst file when eligible and some column survives the rules."""
    _, eligible = published(table, withheld)
    if eligible and columns and not register.classify(table, columns, domain, False).unclassified_columns:
        eligible = bool(analyst_columns(table, columns))
    return register.classify(table, columns, domain, eligible)


def _frame(rows: list[dict]):
    import polars as pl

    schema = {
        name: pl.List(pl.String) if type_ == "varchar[]" else pl.String for name, type_, _ in register.COLUMNS
    }
    return pl.DataFrame(rows, schema=schema)


def retention_declared(platform: PlatformSettings) -> dict[str, str]:
    """Domain -> the configured retention periods that apply to it, in words (for the register)."""
    days = platform.retailer.privacy.retention.campaign_exports_days
    if days is None:
        return {"activation": "campaign export files: kept (no retention period configured)"}
    return {"activation": f"campaign export files removed {days} days after their day"}


@dg.asset(
    key=retention.TABLE.split("."),
    deps=[dg.AssetKey(["activation", "audience_exports"])],
    description=(
        "Retention of files holding personal data, applied each run as the retailer configures it "
        "(privacy.retention): campaign export folders older than the period are removed; one row per place "
        "removed, kept across runs. Nothing outside the policy is touched."
    ),
    group_name=layers.PUBLICATION,
    owners=PUBLISH.owners,
    kinds={"python"},
    pool="duckdb_writer",
    metadata=asset_metadata(PUBLISH, retention.TABLE, "one row per run and place removed", retention.COLUMNS),
)
def retention_log(
    context: dg.AssetExecutionContext, warehouse: Warehouse, platform: PlatformSettings
) -> dg.MaterializeResult:
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    ref = run_reference_date(context, platform, warehouse)
    days = platform.retailer.privacy.retention.campaign_exports_days
    removed = retention.apply_retention(platform.exports_path, ref, days)
    with warehouse.connect() as conn:
        conn.execute("create schema if not exists ops")
        conn.execute(
            f"create table if not exists {retention.TABLE} "
            f"({', '.join(f'{name} {type_}' for name, type_, _ in retention.COLUMNS)})"
        )
        rows = retention.log_rows(removed, context.run_id, ref, now)
        if rows:
            conn.executemany(f"insert into {retention.TABLE} values (?, ?, ?, ?, ?, ?, ?)", rows)
        comment_table(
            conn,
            retention.TABLE,
            "What the retention policy removed, run by run: one row per place removed.",
            {name: text for name, _, text in retention.COLUMNS},
        )
        [(total,)] = conn.execute(f"select count(*) from {retention.TABLE}").fetchall()
    context.log.info(
        f"retention: {len(removed)} places removed ({sum(r.files for r in removed)} files); "
        f"campaign exports kept {days if days is not None else 'without limit'} days"
    )
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": int(total),
            "places_removed": dg.MetadataValue.json({r.place: r.files for r in removed}),
            "campaign_exports_days": days if days is not None else "not configured",
        }
    )
