"""Web stitching's quality: measured against the demo's truth each run, shared devices reported."""

from datetime import UTC, datetime

import dagster as dg

from platform_assets.governance.ownership import REFERENTIAL
from platform_assets.lib import layers
from platform_assets.lib.metadata import asset_metadata, markdown_table
from platform_assets.lib.settings import PlatformSettings
from platform_assets.lib.step_output import summary
from platform_assets.lib.warehouse import Warehouse
from platform_assets.referential import web_stitching

STITCH_INPUTS = [
    dg.AssetKey(["staging", "stg_web__events"]),
    dg.AssetKey(["intermediate", "int_web_cookies"]),
    dg.AssetKey(["referential", "cookie_xref"]),
    dg.AssetKey(["referential", "web_cookie_conflicts"]),
    dg.AssetKey(["referential", "customer_xref"]),
]


@dg.asset(
    key=web_stitching.TABLE.split("."),
    deps=STITCH_INPUTS,
    group_name=layers.QUALITY,
    owners=REFERENTIAL.owners,
    kinds={"duckdb", "polars"},
    metadata=asset_metadata(
        REFERENTIAL,
        web_stitching.TABLE,
        "one row per run measured",
        [(c, t, d) for c, (t, d) in web_stitching.COLUMNS.items()],
    ),
    pool="duckdb_writer",
)
def web_stitch_quality(
    context: dg.AssetExecutionContext, platform: PlatformSettings, warehouse: Warehouse
) -> dg.MaterializeResult:
    """Cookie stitching against the demo generator's truth (ground_truth/web_cookies.csv): precision,
    recall (all single-person cookies, and those that logged in), bot flag precision and recall,
    shared devices kept apart, erased persons' cookies attributed (must be 0). Also reports the
    cookies kept apart as shared devices, with examples that carry no identifier."""
    with warehouse.connect() as conn, platform.scans(conn) as scan:
        quality = web_stitching.stitch_quality(conn, platform.ground_truth_path, scan)
        web_stitching.record(conn, quality, context.run_id, datetime.now(UTC).replace(tzinfo=None))
        [(shared, kept_apart)] = conn.execute(web_stitching.CONFLICTS_SQL).fetchall()
        examples = conn.sql(web_stitching.CONFLICT_EXAMPLES_SQL).pl()
        [(events,)] = conn.execute("select count(*) from staging.stg_web__events").fetchall()
    figures = (
        {"precision": quality.stitch_precision, "recall": quality.stitch_recall}
        if quality
        else {"ground_truth": "absent" if events else "no web events"}
    )
    summary(context, web_stitching.TABLE, 1 if quality else 0, shared_cookies=shared, **figures)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": 1 if quality else 0,
            "web_events": events,
            **(quality.as_dict() if quality else {"measured": False, "why": figures["ground_truth"]}),
            "shared_cookies_kept_apart": shared,
            "events_of_shared_cookies": kept_apart,
            "shared_cookie_examples": dg.MetadataValue.md(
                markdown_table(examples) if examples.height else "none"
            ),
        }
    )
