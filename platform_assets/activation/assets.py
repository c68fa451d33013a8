"""Activation assets: audiences (with holdouts, exclusions and contact history), exports, results.

Asset bodies read, call, write and report: audience_tables.py, selection.py, holdout.py, exports.py,
results.py and measurement.py hold the logic.
"""

import time
from datetime import UTC, datetime

import dagster as dg

from platform_assets.activation import audience_tables, cascade, columns, exports
from platform_assets.activation.selection import GROUPS, REASONS, Selection
from platform_assets.activation.store import (
    AUDIENCE_HISTORY,
    AUDIENCES,
    CASCADE_FOLLOW_UPS,
    CONTACT_HISTORY,
    EXCLUSIONS,
    EXPORTS,
    RESULTS,
    RESULTS_BY_ARM,
)
from platform_assets.governance.ownership import ACTIVATION
from platform_assets.lib import layers
from platform_assets.lib.metadata import asset_metadata, markdown_table, missing_inputs
from platform_assets.lib.reference_date import run_reference_date
from platform_assets.lib.settings import PlatformSettings
from platform_assets.lib.step_output import summary as step_summary
from platform_assets.lib.tables import not_delivered, replace_table
from platform_assets.lib.warehouse import Warehouse


def _spec(table: str, description: str, schema: tuple, grain: str, deps: list) -> dg.AssetSpec:
    return dg.AssetSpec(
        key=table.split("."),
        description=description,
        group_name=layers.ACTIVATION,
        owners=ACTIVATION.owners,
        kinds={"duckdb", "python"},
        deps=deps,
        metadata=asset_metadata(ACTIVATION, table, grain, schema),
    )


def _md(frame) -> dg.MetadataValue:
    return dg.MetadataValue.md(markdown_table(frame) if not frame.is_empty() else "_none_")


AUDIENCE_DEPS = [
    dg.AssetKey(["referential", "dim_customer"]),
    dg.AssetKey(["referential", "customer_xref"]),
    dg.AssetKey(["features", "customer_rfm"]),
    dg.AssetKey(["scores", "customer_segment"]),
    dg.AssetKey(["scores", "customer_churn"]),
    dg.AssetKey(["scores", "customer_life_moments"]),
    dg.AssetKey(["scores", "customer_appetence"]),
    dg.AssetKey(["activation", "decision_matrix"]),
    dg.AssetKey(["activation", "contact_pressure"]),
    dg.AssetKey(["staging", "stg_campaigns__contact_log"]),
    dg.AssetKey(["staging", "stg_campaigns__campaigns"]),
    dg.AssetKey(["marketing", "fct_email_events"]),
]


@dg.multi_asset(
    specs=[
        _spec(
            AUDIENCES,
            "Campaign audiences of the run: per campaign and business unit, the customers the decision "
            "matrix selected who consented to the channel, are not erased and fit under the contact-pressure "
            "limit; a deterministic hashed share (CDP_HOLDOUT_SHARE, default 10 %) of each is the holdout, "
            "recorded and never contacted.",
            columns.AUDIENCES,
            "one row per reference date, campaign and customer",
            AUDIENCE_DEPS,
        ),
        _spec(
            EXCLUSIONS,
            "Customers a decision-matrix rule matched but who are not in the campaign's audience, with the "
            "reason: erased, no_consent, no_contact_data or pressure_limit. Matched = selected + excluded.",
            columns.AUDIENCE_EXCLUSIONS,
            "one row per reference date, campaign and excluded customer",
            AUDIENCE_DEPS,
        ),
        _spec(
            AUDIENCE_HISTORY,
            "Every run's audiences (treatment and holdout), kept so each audience is measured against its "
            "holdout once its window has passed (activation.campaign_results). A rerun replaces its day.",
            columns.AUDIENCE_HISTORY,
            "one row per reference date, campaign and customer",
            AUDIENCE_DEPS,
        ),
        _spec(
            CONTACT_HISTORY,
            "Every contact sent: the campaign tool's contact log (treated contacts) and the treatment members "
            "of the platform's audiences. Holdouts are not contacts. The contact-pressure limit counts it.",
            columns.CONTACT_HISTORY,
            "one row per customer, campaign and contact date",
            AUDIENCE_DEPS,
        ),
        _spec(
            CASCADE_FOLLOW_UPS,
            "Cascades (a decision-matrix e-mail rule with a follow-up channel): each e-mail treatment member "
            "decided once, follow_up_days after the send - what the e-mail's events say (opened, unsubscribed, "
            "bounced, not opened) and whether the follow-up was selected or why not. Every day's decisions.",
            columns.CASCADE_FOLLOW_UPS,
            "one row per decision date, campaign, customer and e-mail day",
            AUDIENCE_DEPS,
        ),
    ],
    pool="duckdb_writer",
    can_subset=False,
)
def audiences(context: dg.AssetExecutionContext, warehouse: Warehouse, platform: PlatformSettings):
    ref = run_reference_date(context, platform, warehouse)
    started = time.perf_counter()
    selection = Selection(ref, platform.holdout_salt, platform.holdout_share)
    email_events = not platform.retailer.undelivered((cascade.EVENTS_SOURCE,))
    retention = platform.retailer.privacy.retention
    with warehouse.connect() as conn, platform.scans(conn) as scan:
        counts = audience_tables.write_audiences(
            conn, selection, context.run_id, email_events, retention, scan
        )
        if missing := platform.retailer.undelivered(audience_tables.CONSENT_SOURCES):
            reason = not_delivered(
                missing, platform.retailer_config, "each customer's consent to the channel"
            )
            counts = audience_tables.without_consent(conn, counts, reason)
        summary = audience_tables.summarise(conn)
    step_summary(
        context,
        AUDIENCES,
        counts.rows.get(AUDIENCES, 0),
        matched=counts.matched,
        selected=counts.selected,
        excluded=counts.excluded,
        **({"skipped": counts.skipped} if counts.skipped else {}),
    )
    common = {
        "reference_date": str(ref),
        "run_seconds": round(time.perf_counter() - started, 1),
        **missing_inputs(platform.retailer.absent_sources),
    }
    yield from _audience_results(counts, summary, common, platform.holdout_share)


def _audience_results(
    counts: audience_tables.AudienceCounts,
    summary: audience_tables.AudienceSummary,
    common: dict,
    share: float,
):
    """What the UI shows of the four tables the audiences step wrote."""
    sizes, excluded = summary.sizes, summary.excluded_by_reason
    groups = {g: int(sizes[g].sum()) if not sizes.is_empty() else 0 for g in GROUPS}
    yield dg.MaterializeResult(
        asset_key=AUDIENCES.split("."),
        metadata={
            "dagster/row_count": counts.rows[AUDIENCES],
            **common,
            "matched_customer_campaigns": counts.matched,
            "selected": counts.selected,
            "treatment": groups["treatment"],
            "holdout": groups["holdout"],
            "holdout_share_setting": share,
            "audiences": _md(sizes),
            "holdout_by_score_band": _md(summary.bands),
            "excluded_by_reason": dg.MetadataValue.json(excluded),
            **({"skipped": counts.skipped} if counts.skipped else {}),
        },
    )
    yield dg.MaterializeResult(
        asset_key=EXCLUSIONS.split("."),
        metadata={
            "dagster/row_count": counts.rows[EXCLUSIONS],
            **common,
            **{f"excluded_{r}": excluded[r] for r in REASONS},
            "exclusions_by_campaign": _md(summary.reasons),
        },
    )
    yield dg.MaterializeResult(
        asset_key=AUDIENCE_HISTORY.split("."), metadata={"dagster/row_count": counts.rows[AUDIENCE_HISTORY]}
    )
    yield dg.MaterializeResult(
        asset_key=CONTACT_HISTORY.split("."),
        metadata={
            "dagster/row_count": counts.rows[CONTACT_HISTORY],
            "campaign_tool_contacts": counts.tool_contacts,
        },
    )
    yield dg.MaterializeResult(
        asset_key=CASCADE_FOLLOW_UPS.split("."),
        metadata={
            "dagster/row_count": counts.rows[CASCADE_FOLLOW_UPS],
            "follow_ups_decided_today": sum(counts.follow_ups.values()),
            "follow_ups_by_decision": dg.MetadataValue.json(counts.follow_ups),
            "cascades_running": counts.cascades_running,
        },
    )


@dg.asset(
    key=EXPORTS.split("."),
    deps=[dg.AssetKey(AUDIENCES.split(".")), dg.AssetKey(["referential", "dim_customer"])],
    description="Audience files handed to the contact tools: one CSV per campaign x channel x business unit "
    "(treatment members only, only the contact fields the channel needs) with a manifest (rows, sha256, "
    "generation time, reference date), under CDP_EXPORTS_DIR/activation/<reference date>/. One row per file.",
    group_name=layers.ACTIVATION,
    owners=ACTIVATION.owners,
    kinds={"duckdb", "csv"},
    metadata=asset_metadata(
        ACTIVATION,
        EXPORTS,
        "one row per reference date, campaign, channel and business unit (one file)",
        columns.AUDIENCE_EXPORTS,
    ),
    pool="duckdb_writer",
)
def audience_exports(
    context: dg.AssetExecutionContext, warehouse: Warehouse, platform: PlatformSettings
) -> dg.MaterializeResult:
    ref = run_reference_date(context, platform, warehouse)
    started = time.perf_counter()
    generated_at = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    with warehouse.connect() as conn:
        files = exports.write_exports(
            conn,
            AUDIENCES,
            "referential.dim_customer",
            platform.exports_path,
            ref,
            context.run_id,
            generated_at,
        )
        rows = exports.record_exports(conn, files, ref)
    step_summary(context, EXPORTS, rows, files_written=len(files))
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": rows,
            "reference_date": str(ref),
            "files": len(files),
            "customers_exported": sum(e.rows for e in files),
            "directory": dg.MetadataValue.path(str(platform.exports_path / exports.SUBDIR / ref.isoformat())),
            "exports": _md(exports.listing(files)),
            "run_seconds": round(time.perf_counter() - started, 1),
        }
    )


RESULTS_DEPS = [
    dg.AssetKey(AUDIENCE_HISTORY.split(".")),
    dg.AssetKey(["staging", "stg_campaigns__campaigns"]),
    dg.AssetKey(["staging", "stg_campaigns__contact_log"]),
    dg.AssetKey(["referential", "customer_xref"]),
    dg.AssetKey(["sales", "fct_sales_lines"]),
    dg.AssetKey(["activation", "channel_costs"]),
]


@dg.multi_asset(
    specs=[
        _spec(
            RESULTS,
            "Measured campaigns: per campaign (the campaign tool's, and the platform's audiences once their "
            "window has passed), business unit, channel and send day, revenue per customer in treatment and "
            "control over the window, incremental revenue with a 95 % Welch interval, relative uplift (95 % "
            "interval, delta method), conversion rates, cost and ROI; beside them the CUPED estimate.",
            columns.CAMPAIGN_RESULTS,
            "one row per source, campaign, business unit, channel and send day",
            RESULTS_DEPS,
        ),
        _spec(
            RESULTS_BY_ARM,
            "The platform's measured campaigns within each churn model arm (champion, challenger): the "
            "measures of campaign_results on the arm's treatment and control, for the promotion rule "
            "(ops.model_comparisons).",
            columns.CAMPAIGN_RESULTS_BY_ARM,
            "one row per platform campaign, business unit, channel, send day and churn model arm",
            RESULTS_DEPS,
        ),
    ],
    name="campaign_results",
    pool="duckdb_writer",
)
def campaign_results(context: dg.AssetExecutionContext, warehouse: Warehouse, platform: PlatformSettings):
    # imported when the asset runs: keeps the code location fast
    from platform_assets.activation import results

    ref = run_reference_date(context, platform, warehouse)
    started = time.perf_counter()
    with warehouse.connect() as conn, platform.scans(conn) as scan:
        members, measured, by_arm, rows = results.write_results(conn, ref, scan)
        pending = results.audiences_in_window(conn, ref)
    step_summary(context, RESULTS, rows[RESULTS], audiences_still_in_their_window=pending)
    both = int(members.filter(members["in_both_groups"])["customer_id"].n_unique()) if members.height else 0
    yield dg.MaterializeResult(
        asset_key=RESULTS.split("."),
        metadata={
            "dagster/row_count": rows[RESULTS],
            "reference_date": str(ref),
            "campaigns_measured": rows[RESULTS],
            "platform_audiences_in_window": pending,
            "customers_in_both_groups_of_a_tool_campaign": both,
            "results": _md(results.results_shown(measured)),
            "run_seconds": round(time.perf_counter() - started, 1),
        },
    )
    yield dg.MaterializeResult(
        asset_key=RESULTS_BY_ARM.split("."),
        metadata={
            "dagster/row_count": rows[RESULTS_BY_ARM],
            "reference_date": str(ref),
            "results": _md(results.results_shown(by_arm, ("model_arm",))),
        },
    )


@dg.asset(
    key=["activation", "audience_summary"],
    deps=[dg.AssetKey(AUDIENCES.split(".")), dg.AssetKey(EXCLUSIONS.split("."))],
    description="The day's audiences in numbers, with no customer in them (published to the analyst file for "
    "the cockpits): customers per campaign, business unit, channel and group (treatment, holdout), and "
    "customers excluded per campaign, business unit and reason.",
    group_name=layers.ACTIVATION,
    owners=ACTIVATION.owners,
    kinds={"duckdb", "sql"},
    metadata=asset_metadata(
        ACTIVATION,
        "activation.audience_summary",
        "one row per campaign, business unit, channel and group, or campaign, business unit and exclusion reason",
        columns.AUDIENCE_SUMMARY,
    ),
    pool="duckdb_writer",
)
def audience_summary(warehouse: Warehouse) -> dg.MaterializeResult:
    with warehouse.connect() as conn:
        rows = replace_table(conn, "activation.audience_summary", audience_tables.SUMMARY_SQL)
    return dg.MaterializeResult(metadata={"dagster/row_count": rows})


@dg.asset(
    key=audience_tables.PRESSURE_DISTRIBUTION.split("."),
    deps=[
        dg.AssetKey(CONTACT_HISTORY.split(".")),
        dg.AssetKey(["activation", "contact_pressure"]),
        dg.AssetKey(["referential", "dim_customer"]),
    ],
    description="Contact pressure in numbers, with no customer in them (published to the analyst file for the "
    "cockpits): customers per business unit by the contacts they received in the unit's pressure window, "
    "beside the limit.",
    group_name=layers.ACTIVATION,
    owners=ACTIVATION.owners,
    kinds={"duckdb", "sql"},
    metadata=asset_metadata(
        ACTIVATION,
        audience_tables.PRESSURE_DISTRIBUTION,
        "one row per business unit and number of contacts in the window",
        columns.CONTACT_PRESSURE_DISTRIBUTION,
    ),
    pool="duckdb_writer",
)
def contact_pressure_distribution(
    context: dg.AssetExecutionContext, warehouse: Warehouse, platform: PlatformSettings
) -> dg.MaterializeResult:
    ref = run_reference_date(context, platform, warehouse)
    with warehouse.connect() as conn:
        rows = replace_table(
            conn, audience_tables.PRESSURE_DISTRIBUTION, audience_tables.pressure_distribution_sql(ref)
        )
        over = conn.execute(
            f"select business_unit, sum(customers) filter (where over_limit) from "
            f"{audience_tables.PRESSURE_DISTRIBUTION} group by all order by 1"
        ).fetchall()
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": rows,
            "reference_date": str(ref),
            "customers_over_limit": dg.MetadataValue.json({bu: int(n or 0) for bu, n in over}),
        }
    )
