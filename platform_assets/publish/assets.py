"""The publication: the last asset of the graph. Builds the analyst and restricted files from the
working file and swaps them in atomically, only when every blocking check of the run passed."""

import shutil
from datetime import UTC, datetime

import dagster as dg
import duckdb

from platform_assets.config import resolve_reference_date, settings
from platform_assets.governance.ownership import PUBLISH
from platform_assets.privacy.erasure import LOG_TABLE, SUPPRESSION_TABLE, table_exists
from platform_assets.privacy.exports import sweep_exports
from platform_assets.publish import builder, snapshots
from platform_assets.publish.classification import ANALYST_SCHEMAS, RESTRICTED_SCHEMAS, check_all
from platform_assets.publish.docs import TableDoc, dictionary_markdown, table_docs
from platform_assets.resources import Warehouse

LOG = "ops.publications"
LOG_COLUMNS = {
    "run_id": "Dagster run that published.",
    "reference_date": "The date the published scores are computed as of.",
    "published_at": "When the files were swapped in (UTC).",
    "snapshot": "Snapshot directory under the published directory's snapshots/.",
    "analyst_tables": "Tables in the analyst file.",
    "analyst_rows": "Rows in the analyst file, all tables.",
    "restricted_tables": "Tables in the restricted file.",
    "checks_passed": "Asset checks of the run that passed.",
    "checks_warned": "Non-blocking asset checks of the run that failed (published anyway).",
    "erased_customers": "Customers erased so far (hashed ids on the suppression list).",
}
DESCRIPTION = (
    "Publication of the analyst warehouse: the analyst file (no direct identifiers) and the restricted "
    "file (personal data), built from the working file, documented, and swapped in atomically once "
    "every blocking check of the run passed; the last snapshots are kept. One row per publication."
)


class BlockingCheckFailedError(RuntimeError):
    """A blocking check of this run failed: nothing is published."""


def check_outcomes(context: dg.AssetExecutionContext) -> tuple[int, list[str]]:
    """Checks of this run: (passed, failed non-blocking). A failed blocking one stops here,
    whatever the executor did (a belt to Dagster's braces)."""
    passed, warned, blocking = 0, [], []
    for entry in context.instance.all_logs(
        context.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION
    ):
        evaluation = entry.dagster_event.event_specific_data
        name = f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}"
        if evaluation.passed:
            passed += 1
        elif evaluation.blocking or evaluation.severity == dg.AssetCheckSeverity.ERROR:
            blocking.append(name)
        else:
            warned.append(name)
    if blocking:
        raise BlockingCheckFailedError(
            f"blocking checks failed, nothing published: {', '.join(sorted(blocking))}"
        )
    return passed, sorted(warned)


def build_publication(upstream: dg.Definitions) -> dg.AssetsDefinition:
    """The publication asset, depending on every materialisable asset of ``upstream`` so it runs
    last, and documenting the published tables from their specs."""
    # read from the definitions themselves: resolving the graph would need the resources
    specs = [
        spec
        for assets in upstream.assets or []
        if isinstance(assets, dg.AssetsDefinition) and assets.is_materializable
        for spec in assets.specs
    ]
    keys = sorted((spec.key for spec in specs), key=lambda k: k.path)
    docs = table_docs(specs)
    docs[LOG] = TableDoc(DESCRIPTION, LOG_COLUMNS, PUBLISH.metadata)

    @dg.asset(
        key=LOG.split("."),
        deps=keys,
        description=DESCRIPTION,
        group_name=PUBLISH.domain,
        owners=PUBLISH.owners,
        kinds={"duckdb", "python"},
        pool="duckdb_writer",
        metadata={
            **PUBLISH.metadata,
            "grain": "one row per publication",
            "dagster/table_name": LOG,
            "dagster/column_schema": dg.TableSchema(
                columns=[dg.TableColumn(n, description=d) for n, d in LOG_COLUMNS.items()]
            ),
        },
    )
    def publications(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
        cfg = settings()
        passed, warned = check_outcomes(context)
        reference_date = resolve_reference_date(context.run.tags, cfg.reference_date)
        published_at = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
        name = snapshots.snapshot_name(published_at, context.run_id)
        building = snapshots.start_building(cfg.published_dir, context.run_id)
        try:
            with warehouse.connect() as conn:
                conn.execute("checkpoint")
                _create_log(conn)
                swept = sweep_exports(conn, cfg.exports_dir)
                analyst_tables = builder.source_tables(conn, ANALYST_SCHEMAS)
                check_all(analyst_tables)  # every unclassified column at once, before any work
                restricted_tables = builder.source_tables(conn, RESTRICTED_SCHEMAS)
                publication = {
                    "run_id": context.run_id,
                    "reference_date": reference_date,
                    "published_at": published_at,
                }
                analyst = builder.build(
                    conn,
                    building / "analyst.duckdb",
                    "analyst_build",
                    analyst_tables,
                    docs,
                    True,
                    {**publication, "file_kind": "analyst"},
                )
                restricted = builder.build(
                    conn,
                    building / "restricted.duckdb",
                    "restricted_build",
                    restricted_tables,
                    docs,
                    False,
                    {**publication, "file_kind": "restricted"},
                )
                erased, requests = _erasure_counts(conn)
                undocumented = [
                    f"{e.schema_name}.{e.table_name}.{e.column_name}"
                    for e in analyst.entries
                    if not e.description
                ]
                (building / "data_dictionary.md").write_text(
                    dictionary_markdown(
                        "Analyst warehouse — data dictionary",
                        f"Published by run `{context.run_id}` as of {reference_date} ({published_at} UTC). "
                        "No direct identifiers: personal data is in the restricted file only.",
                        analyst.docs,
                        analyst.entries,
                        analyst.rows,
                    )
                )
                manifest = {
                    "run_id": context.run_id,
                    "reference_date": reference_date.isoformat(),
                    "published_at": published_at.isoformat(),
                    "snapshot": name,
                    "files": {"analyst": analyst.rows, "restricted": restricted.rows},
                    "checks": {"passed": passed, "failed_non_blocking": warned},
                    "undocumented_columns": undocumented,
                    "erasure": {
                        "customers_erased": erased,
                        "requests_logged": requests,
                        "export_rows_removed": swept,
                    },
                }
                snapshots.write_manifest(building, manifest)
                snapshot = snapshots.promote(building, cfg.published_dir, name)
                removed = snapshots.prune(cfg.published_dir, cfg.snapshots_kept)
                row = [
                    context.run_id,
                    reference_date,
                    published_at,
                    name,
                    len(analyst.rows),
                    sum(analyst.rows.values()),
                    len(restricted.rows),
                    passed,
                    len(warned),
                    erased,
                ]
                count = _log(conn, row)
        except BaseException:
            shutil.rmtree(building, ignore_errors=True)  # a build never promoted leaves nothing behind
            raise
        context.log.info(
            f"published {snapshot} ({len(analyst.rows)} analyst tables); pruned {removed or 'none'}"
        )
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": count,
                "analyst_file": dg.MetadataValue.path(str(cfg.analyst_path)),
                "restricted_file": dg.MetadataValue.path(str(cfg.restricted_path)),
                "snapshot": name,
                "analyst_tables": len(analyst.rows),
                "analyst_rows": sum(analyst.rows.values()),
                "restricted_tables": len(restricted.rows),
                "checks_passed": passed,
                "checks_warned": dg.MetadataValue.json(warned),
                "undocumented_columns": dg.MetadataValue.json(undocumented),
                "customers_erased": erased,
                "export_rows_removed": dg.MetadataValue.json(swept),
                "snapshots_pruned": dg.MetadataValue.json(removed),
                "reference_date": str(reference_date),
                "slowest_analyst": dg.MetadataValue.json(_slowest(analyst.seconds)),
                "slowest_restricted": dg.MetadataValue.json(_slowest(restricted.seconds)),
            }
        )

    return publications


def _slowest(seconds: dict[str, float], n: int = 6) -> dict[str, float]:
    """Where a publication's time went: its slowest tables (and scans), in seconds."""
    return {k: round(v, 1) for k, v in sorted(seconds.items(), key=lambda kv: -kv[1])[:n]}


def _erasure_counts(conn: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    erased = requests = 0
    if table_exists(conn, SUPPRESSION_TABLE):
        erased = conn.execute(
            f"select count(*) from {SUPPRESSION_TABLE} where key_type = 'customer_id'"
        ).fetchall()[0][0]
    if table_exists(conn, LOG_TABLE):
        requests = conn.execute(f"select count(*) from {LOG_TABLE}").fetchall()[0][0]
    return erased, requests


def _create_log(conn: duckdb.DuckDBPyConnection) -> None:
    """Before the build: once the files are swapped in, only an insert is left to do."""
    conn.execute("create schema if not exists ops")
    conn.execute(
        f"create table if not exists {LOG} (run_id varchar, reference_date date, published_at timestamp, "
        "snapshot varchar, analyst_tables bigint, analyst_rows bigint, restricted_tables bigint, "
        "checks_passed bigint, checks_warned bigint, erased_customers bigint)"
    )


def _log(conn: duckdb.DuckDBPyConnection, row: list) -> int:
    conn.execute(f"insert into {LOG} values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", row)
    return conn.execute(f"select count(*) from {LOG}").fetchall()[0][0]
