"""The register of processing and the retention policy as assets of the publication layer. The register
(``ops.processing_register``) is built from the other domains' definitions like the publication: it
depends on every asset so it describes what this run publishes, and the publication depends on it (its
blocking check stops a publication that would hold a table without a classification or a purpose).
The consent history and the access requests have their own modules (``consent_assets.py``,
``access_assets.py``)."""

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
from platform_assets.privacy import dormancy, register, retention
from platform_assets.privacy.exports import anonymise_exports, identified_export_rows
from platform_assets.privacy.tables import DORMANT_TABLE
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
    policy = platform.retailer.privacy.retention
    days = policy.campaign_exports_days
    declared = {
        "activation": "campaign export files: kept (no retention period configured)"
        if days is None
        else f"campaign export files removed {days} days after their day"
    }
    if policy.landing_files_days:
        periods = ", ".join(f"{s} {d} days" for s, d in sorted(policy.landing_files_days.items()))
        declared["landing"] = (
            f"landing files removed that long after their delivery, the newest kept: {periods}"
        )
    else:
        declared["landing"] = "landing files: kept (no retention period configured)"
    bundles = policy.access_bundles_days
    declared["publish"] = (
        "access bundles: kept (no retention period configured)"
        if bundles is None
        else f"access bundles deleted {bundles} days after the answer (the request stays)"
    )
    years = policy.inactive_customer_years
    inactive = (
        "customers without activity: identifiers kept (no retention period configured)"
        if years is None
        else f"customers without activity ({', '.join(policy.activity)}) for {years} years: direct identifiers "
        "removed from the restricted file, the exports and the kept snapshots, facts kept under the customer id"
    )
    for domain in ("referential", "marketing", "activation"):
        declared[domain] = "; ".join(filter(None, [declared.get(domain), inactive]))
    return declared


RETENTION_CHECK = "inactive_customers_keep_no_identifier_in_exports"
ACTIVITY_ASSETS = [
    ["sales", "fct_sales_lines"],
    ["marketing", "fct_email_events"],
    ["marketing", "fct_web_events"],
    ["referential", "consent_history"],
    ["referential", "customer_xref"],
    ["referential", "dim_customer"],
]


@dg.asset(
    key=retention.TABLE.split("."),
    deps=[dg.AssetKey(["activation", "audience_exports"]), *(dg.AssetKey(k) for k in ACTIVITY_ASSETS)],
    description=(
        "Retention of personal data, applied each run as the retailer configures it (privacy.retention): "
        "campaign export folders and landing files older than their period are removed; customers without "
        "activity for the configured years are listed in privacy.retention_dormant (working file only) and "
        "lose their direct identifiers in the exports here, in the restricted file and the kept snapshots at "
        "the publication, their facts kept. One row per place removed or anonymised, kept across runs. "
        "Nothing outside the policy is touched."
    ),
    group_name=layers.PUBLICATION,
    owners=PUBLISH.owners,
    kinds={"python", "duckdb"},
    pool="duckdb_writer",
    metadata=asset_metadata(PUBLISH, retention.TABLE, "one row per run and place removed", retention.COLUMNS),
    check_specs=[
        dg.AssetCheckSpec(
            RETENTION_CHECK,
            asset=retention.TABLE.split("."),
            blocking=True,
            description=check_description(
                "After the retention step, no export file holds a direct identifier of a customer past the "
                "retention period for inactive customers, and every customer listed is past it.",
                blocking=True,
            ),
        )
    ],
)
def retention_log(
    context: dg.AssetExecutionContext, warehouse: Warehouse, platform: PlatformSettings
) -> dg.MaterializeResult:
    ref = run_reference_date(context, platform, warehouse)
    policy = platform.retailer.privacy.retention
    removed = retention.apply_retention(platform.exports_path, ref, policy.campaign_exports_days)
    globs = {table: delivery.files for table, delivery in platform.retailer.sources.items()}
    removed += retention.apply_landing_retention(platform.landing_path, globs, ref, policy.landing_files_days)
    years = policy.inactive_customer_years
    with warehouse.connect() as conn:
        with platform.scans(conn) as scan:
            found = dormancy.find_dormant(conn, ref, years, policy.activity, context.run_id, scan)
        exports = anonymise_exports(conn, platform.exports_path, DORMANT_TABLE)
        if years is not None and found.cutoff is not None:
            rule = retention.inactive_rule(years, found.cutoff, policy.activity)
            places = {"customers": found.customers} | {f"exports/{f}": n for f, n in exports.items()}
            removed += retention.anonymised(rule, places)
        total = retention.record(conn, removed, context.run_id, ref)
        left = identified_export_rows(conn, platform.exports_path, DORMANT_TABLE)
        [(too_recent,)] = conn.execute(
            f"select count(*) from {DORMANT_TABLE} where not (last_activity_date < ?::date)",
            [found.cutoff or ref],
        ).fetchall()
        comment_table(conn, DORMANT_TABLE, dormancy.DESCRIPTION, {n: t for n, _, t in dormancy.COLUMNS})
    context.log.info(
        f"retention: {sum(r.files for r in removed)} files removed; {found.customers} customers past the "
        f"inactivity period ({found.undated} without dated activity kept), {sum(exports.values())} export rows "
        f"anonymised; campaign exports kept {policy.campaign_exports_days or 'without limit'} days, inactive "
        f"customers {years or 'without limit'} years"
    )
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": total,
            "places_removed": dg.MetadataValue.json({r.place: r.files for r in removed if r.files}),
            "campaign_exports_days": policy.campaign_exports_days or "not configured",
            "landing_files_days": dg.MetadataValue.json(policy.landing_files_days or "not configured"),
            "inactive_customer_years": years or "not configured",
            "inactive_customers": found.customers,
            "customers_without_dated_activity": found.undated,
            "export_rows_anonymised": dg.MetadataValue.json(exports),
        },
        check_results=[
            dg.AssetCheckResult(
                check_name=RETENTION_CHECK,
                passed=not left and not too_recent,
                severity=dg.AssetCheckSeverity.ERROR,
                metadata={
                    "export_rows_with_identifiers": dg.MetadataValue.json(left),
                    "listed_too_recent": too_recent,
                },
            )
        ],
    )
