"""Blocking checks of the activation tables: keys, value ranges, and the promises made to customers
(no export to anyone unconsented, erased or held out; the contact-pressure limit holds)."""

from __future__ import annotations

import dagster as dg

from platform_assets.activation.cascade import DECISIONS, OUTCOMES
from platform_assets.activation.exports import erased, file_problems
from platform_assets.activation.selection import CHANNELS, GROUPS, REASONS
from platform_assets.activation.store import (
    AUDIENCE_HISTORY,
    AUDIENCES,
    CASCADE_FOLLOW_UPS,
    CONTACT_HISTORY,
    EXCLUSIONS,
    EXPORTS,
    RESULTS,
    channel_case,
)
from platform_assets.lib.gates import between, gate, key_rules
from platform_assets.lib.metadata import check_description
from platform_assets.lib.settings import PlatformSettings
from platform_assets.lib.tables import sql_literal, table_exists
from platform_assets.lib.warehouse import Warehouse
from platform_assets.privacy.tables import SUPPRESSION_TABLE


def _in(column: str, values) -> str:
    return f"{column} not in ({', '.join(sql_literal(v) for v in values)})"


SOURCES = ("campaign_tool", "platform")
_CONSENT = channel_case("a.channel", "d.has_{channel}_consent", CHANNELS)


def _suppression_exists(warehouse: Warehouse) -> bool:
    with warehouse.connect() as conn:
        return table_exists(conn, SUPPRESSION_TABLE)


def audience_rules(share: float) -> dict[str, str]:
    return {
        **key_rules(["reference_date", "campaign_code", "customer_id"]),
        "null_business_unit": "business_unit is null",
        "business_unit_unknown": "business_unit not in (select country_code from referential.business_units)",
        "channel_unknown": f"channel is null or {_in('channel', CHANNELS)}",
        "group_unknown": f"audience_group is null or {_in('audience_group', GROUPS)}",
        "draw_outside_0_1": "holdout_draw is null or holdout_draw < 0 or holdout_draw >= 1",
        "group_does_not_match_draw": f"(audience_group = 'holdout') <> (holdout_draw < {share!r})",
        "priority_below_1": "priority is null or priority < 1",
        "no_rule": "rule_id is null or offer is null",
        "measurement_days_not_positive": "measurement_days is null or measurement_days < 1",
        "cascade_step_unknown": "cascade_step is null or cascade_step not in (1, 2)",
        "follow_up_without_its_email_day": "cascade_step = 2 and (first_sent_on is null "
        "or first_sent_on >= reference_date)",
        "follow_up_declared_on_a_non_email_step": "follow_up_channel is not null and (channel <> 'email' "
        "or cascade_step <> 1 or follow_up_days is null or follow_up_days < 1)",
        "no_score_band": "score_band is null",
        "negative_contacts": "contacts_in_period < 0",
    }


@dg.asset_check(
    asset=dg.AssetKey(AUDIENCES.split(".")),
    blocking=True,
    pool="duckdb_writer",
    description=check_description(
        "(reference_date, campaign_code, customer_id) unique; a known business unit and channel; "
        "group matches the hashed draw and the holdout share; every member consented to the channel, is not "
        "erased, and no customer has more campaigns than the business unit's contact limit allows.",
        blocking=True,
    ),
)
def audiences_keys_and_ranges(warehouse: Warehouse, platform: PlatformSettings) -> dg.AssetCheckResult:
    extra = {
        "member_without_channel_consent": f"select count(*) from {AUDIENCES} a "
        f"left join referential.dim_customer d using (customer_id) where not coalesce({_CONSENT}, false)",
        "member_not_in_referential": f"select count(*) from {AUDIENCES} a anti join referential.dim_customer d "
        "using (customer_id)",
        # a cascade's e-mail costs two contacts: its follow-up may come (contacts_in_period holds the
        # contacts sent and those running cascades hold)
        "customer_over_pressure_limit": f"select count(*) from (select a.customer_id, a.business_unit, "
        "any_value(a.contacts_in_period) + sum(case when a.cascade_step = 1 and a.follow_up_channel is not null "
        f"then 2 else 1 end) as contacts from {AUDIENCES} a group by all) a "
        "join activation.contact_pressure p using (business_unit) where a.contacts > p.max_contacts",
        "follow_up_without_decision": f"select count(*) from {AUDIENCES} a where a.cascade_step = 2 and not exists "
        f"(select 1 from {CASCADE_FOLLOW_UPS} f where f.reference_date = a.reference_date and "
        "f.campaign_code = a.campaign_code and f.customer_id = a.customer_id and f.decision = 'selected')",
    }
    if _suppression_exists(warehouse):
        extra["erased_member"] = f"select count(*) from {AUDIENCES} where {erased('customer_id')}"
    return gate(warehouse, AUDIENCES, audience_rules(platform.holdout_share), extra)


@dg.asset_check(
    asset=dg.AssetKey(EXCLUSIONS.split(".")),
    blocking=True,
    pool="duckdb_writer",
    description=check_description(
        "(reference_date, campaign_code, customer_id) unique; a known reason; contact counts "
        "non-negative; nobody both excluded from and selected for the same campaign.",
        blocking=True,
    ),
)
def audience_exclusions_keys_and_ranges(warehouse: Warehouse) -> dg.AssetCheckResult:
    rules = {
        **key_rules(["reference_date", "campaign_code", "customer_id"]),
        "reason_unknown": f"reason is null or {_in('reason', REASONS)}",
        "null_business_unit": "business_unit is null",
        "pressure_without_count": "reason = 'pressure_limit' and contacts_in_period is null",
        "negative_contacts": "contacts_in_period < 0",
    }
    extra = {
        # in_cascade: excluded from the campaign's e-mail the day its follow-up may be selected
        "excluded_and_selected": f"select count(*) from {EXCLUSIONS} e join {AUDIENCES} a "
        "using (reference_date, campaign_code, customer_id) where e.reason <> 'in_cascade' or a.cascade_step <> 2"
    }
    return _gate_allowing_empty(warehouse, EXCLUSIONS, rules, extra)


@dg.asset_check(
    asset=dg.AssetKey(AUDIENCE_HISTORY.split(".")),
    blocking=True,
    pool="duckdb_writer",
    description=check_description(
        "(reference_date, campaign_code, customer_id) unique; group and draw valid; a run id.",
        blocking=True,
    ),
)
def audience_history_keys_and_ranges(warehouse: Warehouse) -> dg.AssetCheckResult:
    rules = {
        **key_rules(["reference_date", "campaign_code", "customer_id"]),
        "group_unknown": f"audience_group is null or {_in('audience_group', GROUPS)}",
        "draw_outside_0_1": "holdout_draw is null or holdout_draw < 0 or holdout_draw >= 1",
        "no_run_id": "run_id is null",
    }
    return gate(warehouse, AUDIENCE_HISTORY, rules)


@dg.asset_check(
    asset=dg.AssetKey(CONTACT_HISTORY.split(".")),
    blocking=True,
    pool="duckdb_writer",
    description=check_description(
        "(customer_id, campaign_code, contact_date) unique; known source and channel; a date in "
        "the retailer's plausible window (configuration `dates`); no holdout member recorded as contacted.",
        blocking=True,
    ),
)
def contact_history_keys_and_ranges(warehouse: Warehouse, platform: PlatformSettings) -> dg.AssetCheckResult:
    dates = platform.retailer.dates  # the plausible window of the retailer's configuration
    rules = {
        **key_rules(["customer_id", "campaign_code", "contact_date"]),
        "source_unknown": f"source is null or {_in('source', SOURCES)}",
        "channel_unknown": f"channel is null or {_in('channel', CHANNELS)}",
        "platform_contact_without_run": "source = 'platform' and run_id is null",
        "contact_date_outside_plausible_dates": f"contact_date < date '{dates.earliest}' "
        f"or contact_date > date '{dates.latest}'",
    }
    extra = {
        "holdout_recorded_as_contact": f"select count(*) from {CONTACT_HISTORY} c join {AUDIENCE_HISTORY} h "
        "on h.customer_id = c.customer_id and h.campaign_code = c.campaign_code "
        "and h.reference_date = c.contact_date where c.source = 'platform' and h.audience_group = 'holdout'"
    }
    return _gate_allowing_empty(warehouse, CONTACT_HISTORY, rules, extra)


@dg.asset_check(
    asset=dg.AssetKey(EXPORTS.split(".")),
    blocking=True,
    pool="duckdb_writer",
    description=check_description(
        "One row per file (reference_date, campaign_code, channel, business_unit, cascade_step), one row per "
        "path and send code; "
        "each file of the day exists with its checksum, row count and the channel's columns; nobody in a file is "
        "held out, unconsented to the channel or erased.",
        blocking=True,
    ),
)
def audience_exports_files(warehouse: Warehouse, platform: PlatformSettings) -> dg.AssetCheckResult:
    rules = {
        **key_rules(["reference_date", "campaign_code", "channel", "business_unit", "cascade_step"]),
        "negative_rows": "rows is null or rows < 0",
        "duplicate_send_code": "send_code is null or count(*) over (partition by send_code) > 1",
        "no_checksum": "sha256 is null or length(sha256) <> 64",
        "channel_unknown": f"{_in('channel', CHANNELS)}",
        "no_file_path": "file_path is null",
        "duplicate_file_path": "count(*) over (partition by file_path) > 1",
        "no_generation_time": "generated_at is null",
    }
    with warehouse.connect() as conn:
        problems = file_problems(conn, platform.exports_path)
    extra = {name: f"select {n}" for name, n in problems.items()}
    return _gate_allowing_empty(warehouse, EXPORTS, rules, extra)


@dg.asset_check(
    asset=dg.AssetKey(RESULTS.split(".")),
    blocking=True,
    pool="duckdb_writer",
    description=check_description(
        "(source, campaign_code, business_unit, channel, sent_on, cascade_step) unique; a known source; groups "
        "non-negative; rates in [0, 1]; each interval holds its estimate (the CUPED one too); the pre-period correlation in [-1, 1]; cost non-negative; windows ended by the "
        "reference date.",
        blocking=True,
    ),
)
def campaign_results_keys_and_ranges(warehouse: Warehouse) -> dg.AssetCheckResult:
    rules = {
        **key_rules(["source", "campaign_code", "business_unit", "channel", "sent_on", "cascade_step"]),
        "source_unknown": _in("source", SOURCES),
        "negative_groups": "treated is null or control is null or treated < 0 or control < 0",
        "empty_campaign": "treated + control = 0",
        "conversion_outside_0_1": " or ".join(
            f"({between(c, 0, 1)})" for c in ("conversion_rate_treatment", "conversion_rate_control")
        ),
        "estimate_outside_interval": "incremental_revenue_per_customer < incremental_revenue_per_customer_ci_low "
        "- 1e-9 or incremental_revenue_per_customer > incremental_revenue_per_customer_ci_high + 1e-9",
        "cuped_estimate_outside_interval": "cuped_incremental_revenue_per_customer < "
        "cuped_incremental_revenue_per_customer_ci_low - 1e-9 or cuped_incremental_revenue_per_customer > "
        "cuped_incremental_revenue_per_customer_ci_high + 1e-9",
        "pre_period_correlation_outside_minus_1_1": between("pre_period_correlation", -1 - 1e-9, 1 + 1e-9),
        "relative_outside_interval": "relative_uplift < relative_uplift_ci_low - 1e-9 "
        "or relative_uplift > relative_uplift_ci_high + 1e-9",
        "relative_uplift_below_minus_1": "relative_uplift < -1",
        "negative_revenue_per_customer_control_with_relative": "relative_uplift is not null "
        "and revenue_per_customer_control <= 0",
        "negative_cost": "cost < 0 or cost_per_contact < 0",
        "window_not_ended": "window_end > reference_date",
        "window_inconsistent": "window_end <> sent_on + measurement_days",
        "no_currency": "currency_code is null",
        "p_value_outside_0_1": between("p_value", 0, 1),
    }
    return _gate_allowing_empty(warehouse, RESULTS, rules)


@dg.asset_check(
    asset=dg.AssetKey(CASCADE_FOLLOW_UPS.split(".")),
    blocking=True,
    pool="duckdb_writer",
    description=check_description(
        "(reference_date, campaign_code, customer_id, first_sent_on) unique; a known decision and e-mail "
        "outcome; the e-mail before the decision; every selected follow-up in that day's audience and every "
        "follow-up of the audience decided; nobody who opened, unsubscribed or did not consent selected.",
        blocking=True,
    ),
)
def cascade_follow_ups_keys_and_ranges(warehouse: Warehouse) -> dg.AssetCheckResult:
    rules = {
        **key_rules(["reference_date", "campaign_code", "customer_id", "first_sent_on"]),
        "decision_unknown": f"decision is null or {_in('decision', DECISIONS)}",
        "email_outcome_unknown": f"email_outcome is null or {_in('email_outcome', OUTCOMES)}",
        "email_not_before_decision": "first_sent_on is null or first_sent_on >= reference_date",
        "selected_after_opening": "decision = 'selected' and email_outcome not in ('not_opened', 'bounced')",
    }
    extra = {
        "selected_not_in_audience": f"select count(*) from {CASCADE_FOLLOW_UPS} f where f.decision = 'selected' "
        f"and f.reference_date = (select max(reference_date) from {AUDIENCES}) and not exists (select 1 from "
        f"{AUDIENCES} a where a.reference_date = f.reference_date and a.campaign_code = f.campaign_code "
        "and a.customer_id = f.customer_id and a.cascade_step = 2)",
        "selected_without_consent": f"select count(*) from {CASCADE_FOLLOW_UPS} f join referential.dim_customer d "
        "using (customer_id) where f.decision = 'selected' and f.reference_date = (select max(reference_date) "
        f"from {AUDIENCES}) and not coalesce("
        + channel_case("f.follow_up_channel", "d.has_{channel}_consent", CHANNELS)
        + ", false)",
    }
    return _gate_allowing_empty(warehouse, CASCADE_FOLLOW_UPS, rules, extra)


def _gate_allowing_empty(
    warehouse: Warehouse, table: str, rules: dict[str, str], extra: dict[str, str] | None = None
) -> dg.AssetCheckResult:
    """``gate``, except that an empty table passes: a day can exclude nobody, export nothing or
    measure no campaign yet (an empty audiences table still fails)."""
    result = gate(warehouse, table, rules, extra)
    failed = result.metadata["failed_rules"].value
    if result.passed or failed:
        return result
    return dg.AssetCheckResult(
        passed=True,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata=result.metadata,
        description=f"{table} is empty",
    )


CHECKS = [
    audiences_keys_and_ranges,
    audience_exclusions_keys_and_ranges,
    audience_history_keys_and_ranges,
    contact_history_keys_and_ranges,
    audience_exports_files,
    campaign_results_keys_and_ranges,
    cascade_follow_ups_keys_and_ranges,
]
