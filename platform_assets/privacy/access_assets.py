"""The right of access as an asset: ``ops.privacy_requests`` and the bundles (``access.py`` does the
work), with its blocking check on statuses, due dates and bundles."""

from datetime import UTC, datetime

import dagster as dg

from platform_assets.governance.ownership import PUBLISH
from platform_assets.lib import layers
from platform_assets.lib.metadata import asset_metadata, check_description
from platform_assets.lib.reference_date import run_reference_date
from platform_assets.lib.settings import PlatformSettings
from platform_assets.lib.tables import comment_table, replace_table_from_frame
from platform_assets.lib.warehouse import Warehouse
from platform_assets.privacy import access, retention

ACCESS_CHECK = "statuses_due_dates_and_bundles"


def build_access(upstream: dg.Definitions) -> dg.AssetsDefinition:
    """``ops.privacy_requests``: the access requests answered, depending on every asset of ``upstream``
    (a bundle holds every table about the person), whose descriptions explain each section."""
    from platform_assets.publish.docs import table_docs

    specs = [
        spec
        for assets in upstream.assets or []
        if isinstance(assets, dg.AssetsDefinition) and assets.is_materializable
        for spec in assets.specs
    ]
    explanations = {table: (doc.description, doc.columns) for table, doc in table_docs(specs).items()}
    key = dg.AssetKey(access.TABLE.split("."))

    @dg.asset(
        key=key,
        deps=sorted((spec.key for spec in specs), key=lambda k: k.path),
        description=(
            "Right of access and portability: each request of consent/access_requests.csv resolved through "
            "identity resolution and answered with a bundle under the exports folder (JSON, CSVs, manifest with "
            "sha256), or no data held, or flagged for a person when the identifiers match two customers; with "
            "the legal due date (received + 30 days). Hashed identifiers only."
        ),
        group_name=layers.PUBLICATION,
        owners=PUBLISH.owners,
        kinds={"duckdb", "python"},
        pool="duckdb_writer",
        metadata=asset_metadata(PUBLISH, access.TABLE, "one row per access request received", access.COLUMNS),
        check_specs=[
            dg.AssetCheckSpec(
                ACCESS_CHECK,
                asset=key,
                blocking=True,
                description=check_description(
                    "One row per request, a known status, the due date 30 days after receipt, and every answered "
                    "request's bundle present with each file matching its manifest's sha256.",
                    blocking=True,
                ),
            )
        ],
    )
    def privacy_requests(
        context: dg.AssetExecutionContext, warehouse: Warehouse, platform: PlatformSettings
    ) -> dg.MaterializeResult:
        now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
        with warehouse.connect() as conn:
            ref = run_reference_date(context, platform, warehouse)
            days = platform.retailer.privacy.retention.access_bundles_days
            done = access.answer(conn, platform.exports_path, explanations, context.run_id, now, days, ref)
            if done.expired:  # the retention policy's log says what it removed
                rule = f"access bundles answered more than {days} days before the reference date"
                removals = [
                    retention.Removal("access_bundles", f"exports/{bundle}", files, rule)
                    for bundle, files in sorted(done.expired.items())
                ]
                retention.record(conn, removals, context.run_id, ref)
            rows = replace_table_from_frame(conn, access.TABLE, done.log)
            comment_table(
                conn,
                access.TABLE,
                "Privacy requests (right of access and portability): status, legal due date, bundle. "
                "One row per request; hashed identifiers only.",
                {name: text for name, _, text in access.COLUMNS},
            )
            problems = access_problems(conn, platform.exports_path)
        counts = done.log.group_by("status").len().sort("status")
        context.log.info(
            f"access requests: {rows} ({', '.join(f'{s} {n}' for s, n in counts.iter_rows())}); "
            f"{len(done.written)} bundles written, {len(done.deleted)} deleted (erased since), "
            f"{len(done.expired)} deleted after the retention period"
        )
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": rows,
                "statuses": dg.MetadataValue.json(dict(counts.iter_rows())),
                "bundles_written": len(done.written),
                "bundles_deleted_after_erasure": len(done.deleted),
                "bundles_deleted_after_retention_period": len(done.expired),
            },
            check_results=[
                dg.AssetCheckResult(
                    check_name=ACCESS_CHECK,
                    passed=not problems,
                    severity=dg.AssetCheckSeverity.ERROR,
                    metadata={"problems": dg.MetadataValue.json(problems[:20])},
                )
            ],
        )

    return privacy_requests


def access_problems(conn, exports_dir) -> list[str]:
    """What breaks the requests' invariants: keys, statuses, due dates, bundles and their manifests."""
    statuses = ", ".join(f"'{s}'" for s in access.STATUSES)
    [(duplicated, unknown, due, no_bundle)] = conn.execute(
        f"select count(*) - count(distinct request_id), count(*) filter (where status is null or status not in ({statuses})), "
        f"count(*) filter (where due_date is distinct from received_at::date + {access.DUE_DAYS}), "
        f"count(*) filter (where status = '{access.ANSWERED}' and bundle is null) from {access.TABLE}"
    ).fetchall()
    problems = [
        f"{n} {what}"
        for n, what in (
            (duplicated, "duplicated request ids"),
            (unknown, "unknown statuses"),
            (due, "due dates not received + 30 days"),
            (no_bundle, "answered without a bundle"),
        )
        if n
    ]
    for (bundle,) in conn.execute(
        f"select bundle from {access.TABLE} where status = '{access.ANSWERED}' and bundle is not null"
    ).fetchall():
        problems += access.verify_bundle(exports_dir / bundle)
    return problems
