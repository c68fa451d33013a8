"""The audiences step: the selection's inputs as working tables, the selection (selection.py), then
the four tables it owns written in one transaction. No Dagster.

  activation_work.audience_customers  every customer with what the decision matrix matches on
  activation_work.contacts_before     every contact sent before the reference day (campaign tool's
                                      log and the platform's treatment members of other days)
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import TYPE_CHECKING

import duckdb

from platform_assets.activation import cascade, columns
from platform_assets.activation.selection import (
    EXCLUDED,
    FOLLOW_UP_DECISIONS,
    MATCHED,
    REASONS,
    SELECTED,
    Selection,
    customers_sql,
    select_audiences,
)
from platform_assets.activation.store import (
    AUDIENCE_HISTORY,
    AUDIENCES,
    CASCADE_FOLLOW_UPS,
    CONTACT_HISTORY,
    EXCLUSIONS,
    WORK_SCHEMA,
    column_names,
    day_history_sql,
    typed_sql,
)
from platform_assets.lib.engine_queries import Scan, on_duckdb
from platform_assets.lib.retailer import RetentionSettings
from platform_assets.lib.tables import (
    EMPTY_BY_DESIGN,
    comment_table,
    replace_table,
    replace_tables,
    require_as_of,
    sql_literal,
    table_exists,
)
from platform_assets.privacy.dormancy import past_retention_sql
from platform_assets.privacy.tables import SUPPRESSION_TABLE

if TYPE_CHECKING:
    import polars as pl

CUSTOMERS = f"{WORK_SCHEMA}.audience_customers"
CONTACTS = f"{WORK_SCHEMA}.contacts_before"
PRESSURE_CONTACTS = f"{WORK_SCHEMA}.pressure_contacts"  # contacts sent + contacts running cascades hold
CASCADES = f"{WORK_SCHEMA}.running_cascades"
FOLLOW_UPS = f"{WORK_SCHEMA}.due_follow_ups"
PAST_RETENTION = f"{WORK_SCHEMA}.past_retention"  # customers whose identifiers the retention step removes


RULES = "activation.decision_matrix"
PRESSURE = "activation.contact_pressure"
SCORES = ("features.customer_rfm", "scores.customer_churn")  # must be as of the run's date

CAMPAIGNS_MODEL = "staging.stg_campaigns__campaigns"
CONTACT_LOG_MODEL = "staging.stg_campaigns__contact_log"

# What the past campaigns of the campaign tool contacted, per customer (CRM contact -> customer).
TOOL_CONTACTS_SQL = f"""
select
    x.customer_id,
    min(l.contacted_at)::date as contact_date,
    l.campaign_code,
    c.country_code as business_unit,
    c.channel,
    'campaign_tool' as source,
    null::varchar as run_id
from {CONTACT_LOG_MODEL} l
join {CAMPAIGNS_MODEL} c using (campaign_code)
join referential.customer_xref x on x.source_system = 'crm' and x.source_id = l.crm_contact_id
where l.contact_group = 'treatment' and l.contacted_at is not null
group by x.customer_id, l.campaign_code, c.country_code, c.channel
"""


@dataclass(frozen=True)
class AudienceCounts:
    rows: dict[str, int]  # table -> rows written
    matched: int  # (customer, campaign) pairs a rule matched
    selected: int
    excluded: int
    tool_contacts: int  # contacts of the campaign tool's log counted by the pressure limit
    follow_ups: dict[str, int] = field(default_factory=dict)
    cascades_running: int = 0  # e-mail treatment members whose follow-up is not due yet  # the day's follow-up decisions: decision -> customers
    skipped: str | None = None  # why no one can be contacted (no consent delivered)


# Nobody may be contacted without their consent to the channel: without this source, no audience.
CONSENT_SOURCES = ("consent_preferences",)


def without_consent(conn: duckdb.DuckDBPyConnection, counts: AudienceCounts, reason: str) -> AudienceCounts:
    """No consent delivered: the day's tables left empty say why (their comment), and so does the run."""
    for table in (AUDIENCES, EXCLUSIONS, AUDIENCE_HISTORY, CONTACT_HISTORY, CASCADE_FOLLOW_UPS):
        if counts.rows[table] == 0:
            comment_table(conn, table, EMPTY_BY_DESIGN + reason, {})
    return replace(counts, skipped=reason)


def prepare_inputs(
    conn: duckdb.DuckDBPyConnection,
    reference_date: date,
    email_events: bool,
    retention: RetentionSettings | None,
    scan: Scan = on_duckdb,
) -> None:
    """The customers, the contacts already sent, the running cascades and the due follow-ups, as
    working tables the selection reads. ``email_events``: whether the retailer delivers them;
    ``retention``: the retailer's retention settings (None: no customer is past a period), whose
    activities are scanned where ``scan`` runs (lib/engine_queries.py)."""
    for table in SCORES:
        require_as_of(conn, table, reference_date)
    if problems := cascade.rule_problems(conn, RULES):
        raise ValueError(
            "the decision matrix (dbt_project/seeds/decision_matrix.csv) declares follow-ups that cannot run: "
            + "; ".join(problems)
        )
    past = retention and past_retention_sql(
        conn, reference_date, retention.inactive_customer_years, retention.activity, scan
    )
    replace_table(conn, PAST_RETENTION, past or "select null::varchar as customer_id where false")
    replace_table(conn, CUSTOMERS, customers_sql(table_exists(conn, SUPPRESSION_TABLE), PAST_RETENTION))
    replace_table(conn, CASCADES, cascade.cascades_sql(conn, reference_date))
    replace_table(
        conn,
        FOLLOW_UPS,
        cascade.follow_ups_sql(
            reference_date, CASCADES, CUSTOMERS, cascade.EMAIL_EVENTS if email_events else None
        ),
    )
    contacts = f"select {column_names(columns.CONTACT_HISTORY)} from ({TOOL_CONTACTS_SQL})"
    if table_exists(conn, CONTACT_HISTORY):
        contacts += (
            f" union all select {column_names(columns.CONTACT_HISTORY)} from {CONTACT_HISTORY} "
            f"where source = 'platform' and contact_date <> {sql_literal(reference_date.isoformat())}::date"
        )
    replace_table(conn, CONTACTS, contacts)
    replace_table(
        conn,
        PRESSURE_CONTACTS,
        f"select customer_id, contact_date from {CONTACTS} union all " + cascade.reservations_sql(CASCADES),
    )


def _accounting(conn: duckdb.DuckDBPyConnection) -> tuple[int, int, int]:
    """Matched pairs = selected + excluded, or the step fails: nobody silently lost."""
    [(matched, selected, excluded)] = conn.execute(
        f"select (select count(*) from (select distinct customer_id, campaign_code from {MATCHED})), "
        f"(select count(*) from {SELECTED}), (select count(*) from {EXCLUDED})"
    ).fetchall()
    if matched != selected + excluded:
        raise RuntimeError(
            f"audience accounting broken: {matched} matched (customer, campaign) pairs but "
            f"{selected} selected + {excluded} excluded"
        )
    return int(matched), int(selected), int(excluded)


def _follow_up_accounting(conn: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Due follow-ups = decided ones, each decision once, or the step fails: nobody silently lost."""
    [(due, decided, selected)] = conn.execute(
        f"select (select count(*) from {FOLLOW_UPS}), (select count(*) from {FOLLOW_UP_DECISIONS}), "
        f"(select count(*) from {SELECTED} where cascade_step = 2)"
    ).fetchall()
    by_decision = dict(
        conn.execute(f"select decision, count(*) from {FOLLOW_UP_DECISIONS} group by all").fetchall()
    )
    if due != decided or by_decision.get("selected", 0) != selected:
        raise RuntimeError(
            f"follow-up accounting broken: {due} due, {decided} decided, "
            f"{by_decision.get('selected', 0)} decided selected but {selected} in the audiences"
        )
    return {d: int(by_decision.get(d, 0)) for d in cascade.DECISIONS}


def write_audiences(
    conn: duckdb.DuckDBPyConnection,
    selection: Selection,
    run_id: str,
    email_events: bool = True,
    retention: RetentionSettings | None = None,
    scan: Scan = on_duckdb,
) -> AudienceCounts:
    """Selects the day's audiences and writes audiences, exclusions, audience history, contact
    history and the cascades' follow-up decisions in one transaction."""
    ref = selection.reference_date
    prepare_inputs(conn, ref, email_events, retention, scan)
    select_audiences(
        conn,
        selection,
        customers=CUSTOMERS,
        rules=RULES,
        pressure=PRESSURE,
        contacts=PRESSURE_CONTACTS,
        cascades=CASCADES,
        follow_ups=FOLLOW_UPS,
    )
    matched, selected, excluded = _accounting(conn)
    follow_ups = _follow_up_accounting(conn)
    run = sql_literal(run_id)
    sent = (
        "select customer_id, reference_date as contact_date, campaign_code, business_unit, channel, "
        f"'platform' as source, {run} as run_id from {SELECTED} where audience_group = 'treatment'"
    )
    rows = replace_tables(
        conn,
        {
            AUDIENCES: typed_sql(columns.AUDIENCES, f"select * from {SELECTED}"),
            EXCLUSIONS: typed_sql(columns.AUDIENCE_EXCLUSIONS, f"select * from {EXCLUDED}"),
            AUDIENCE_HISTORY: day_history_sql(
                conn,
                AUDIENCE_HISTORY,
                columns.AUDIENCE_HISTORY,
                f"select *, {run} as run_id from {SELECTED}",
                ref,
            ),
            CONTACT_HISTORY: typed_sql(columns.CONTACT_HISTORY, f"select * from {CONTACTS} union all {sent}"),
            CASCADE_FOLLOW_UPS: day_history_sql(
                conn,
                CASCADE_FOLLOW_UPS,
                columns.CASCADE_FOLLOW_UPS,
                f"select * from {FOLLOW_UP_DECISIONS}",
                ref,
            ),
        },
    )
    [(tool_contacts,)] = conn.execute(
        f"select count(*) from {CONTACTS} where source = 'campaign_tool'"
    ).fetchall()
    [(running,)] = conn.execute(f"select count(*) from {CASCADES} where not is_due").fetchall()
    return AudienceCounts(rows, matched, selected, excluded, int(tool_contacts), follow_ups, int(running))


@dataclass(frozen=True)
class AudienceSummary:
    sizes: pl.DataFrame  # per campaign, channel and business unit: treatment, holdout, holdout share
    bands: pl.DataFrame  # per score band: members, holdout, holdout share
    reasons: pl.DataFrame  # exclusions per campaign and business unit, one column per reason
    excluded_by_reason: dict[str, int]


def summarise(conn: duckdb.DuckDBPyConnection) -> AudienceSummary:
    """What the day's selection looks like, for the people who read the run."""
    holdout = "count(*) filter (where audience_group = 'holdout')"
    sizes = conn.sql(
        "select campaign_code, channel, business_unit, cascade_step, "
        f"count(*) filter (where audience_group = 'treatment') as treatment, {holdout} as holdout, "
        f"round({holdout} / count(*), 4) as holdout_share from {SELECTED} group by all order by all"
    ).pl()
    bands = conn.sql(
        f"select score_band, count(*) as members, {holdout} as holdout, "
        f"round({holdout} / count(*), 4) as holdout_share from {SELECTED} group by all order by all"
    ).pl()
    reasons = conn.sql(
        "select campaign_code, business_unit, "
        + ", ".join(f"count(*) filter (where reason = '{r}') as {r}" for r in REASONS)
        + f" from {EXCLUDED} group by all order by all"
    ).pl()
    totals = dict(conn.execute(f"select reason, count(*) from {EXCLUDED} group by all").fetchall())
    return AudienceSummary(sizes, bands, reasons, {r: int(totals.get(r, 0)) for r in REASONS})


SUMMARY_SQL = (
    "select reference_date, campaign_code, business_unit, channel, cascade_step, audience_group as status, "
    "null::varchar as reason, count(*)::bigint as customers from activation.audiences group by all "
    "union all select reference_date, campaign_code, business_unit, null::varchar, null::integer, 'excluded', "
    "reason, count(*)::bigint from activation.audience_exclusions group by all order by all"
)

PRESSURE_DISTRIBUTION = "activation.contact_pressure_distribution"


def pressure_distribution_sql(reference_date: date) -> str:
    """Customers per business unit by the contacts they received in the unit's pressure window, the
    reference day included (``[ref - period_days, ref]``: the campaign tool's log and the platform's
    treatment members, today's audiences too), beside the limit; the referential's customers of the
    unit with no contact in it are the ``contacts = 0`` line. Counts only, no customer."""
    ref = f"{sql_literal(reference_date)}::date"
    return f"""
        with contacted as (
            select h.business_unit, h.customer_id, count(*) as contacts
            from {CONTACT_HISTORY} h join {PRESSURE} p using (business_unit)
            where h.contact_date >= {ref} - p.period_days::integer and h.contact_date <= {ref}
            group by all
        ),
        uncontacted as (
            select d.country_code as business_unit, 0 as contacts, count(*) as customers
            from referential.dim_customer d
            where d.country_code in (select business_unit from {PRESSURE})
            and not exists (
                select 1 from contacted c where c.customer_id = d.customer_id and c.business_unit = d.country_code
            )
            group by all
        ),
        counts as (
            select business_unit, contacts, count(*) as customers from contacted group by all
            union all select * from uncontacted where customers > 0
        )
        select {ref} as reference_date, business_unit, contacts::integer as contacts, customers::bigint as customers,
            p.max_contacts::integer as max_contacts, p.period_days::integer as period_days,
            contacts > p.max_contacts as over_limit
        from counts join {PRESSURE} p using (business_unit)
        order by business_unit, contacts
    """
