"""Audience selection: decision matrix x consent x erasure x contact pressure, then the holdout.

Pure SQL on one DuckDB connection, no Dagster: ``select_audiences`` reads four relations by name
and writes its steps as tables of the working schema (``store.WORK_SCHEMA``), each step reading the
one before: ``audience_matched``, ``audience_candidates``, ``audience_ranked``, then the results
``audience_selected`` and ``audience_excluded`` (``SELECTED``, ``EXCLUDED``).

Inputs
  customers   one row per customer: customer_id, business_unit, rfm_segment, behavioural_segment,
              churn_band, churn_model_arm (the churn model version that gave the band),
              life_moment, appetence_department, consent_<channel> and reachable_<channel> for
              email, sms, phone and post, is_erased, is_past_retention (``CUSTOMERS_SQL`` builds it from
              the warehouse)
  rules       the decision matrix (dbt seed activation.decision_matrix)
  pressure    business_unit, max_contacts, period_days (dbt seed activation.contact_pressure)
  contacts    customer_id, contact_date: every contact already sent (activation.contact_history)

Rules, in order
  1. a customer matches a rule when its business unit, RFM segment, behavioural segment, churn band,
     life moment and appetence department all match ('*' or a glob pattern, case-insensitive);
  2. per customer and campaign, the matching rule of best priority (lowest number) whose channel the
     customer consented to and can be reached on (e-mail address, phone, full postal address) wins;
     a campaign without one is excluded: ``erased`` (on the suppression list - defence in depth,
     erasure already removed them from the referential), else ``past_retention`` (no activity in the
     retailer's retention period: their identifiers are being removed), else ``no_consent`` (no matching channel
     consented), else ``no_contact_data`` (consented, but the address or number is missing);
  3. a customer's campaigns are kept in priority order while they fit under the business unit's
     limit: max_contacts minus the contacts sent in the period_days before the reference date;
     the others are excluded with ``pressure_limit``. Cascades (cascade.py): a due follow-up comes
     first, a cascaded e-mail costs two contacts, a running cascade holds one (in ``contacts``), and
     a customer whose cascade of a campaign runs is excluded from it with ``in_cascade``;
  4. every kept member gets the holdout draw (holdout.py): ``holdout`` when below the share, else
     ``treatment``. Holdouts are recorded and never exported nor counted as contacts. The band the
     holdout is stratified on is the churn band (``score_band``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

import duckdb

from platform_assets.activation.cascade import EMPTY_CASCADES, FOLLOW_UP_HOLDOUT_SUFFIX, follow_ups_sql
from platform_assets.activation.holdout import draw_sql
from platform_assets.activation.store import WORK_SCHEMA, channel_case
from platform_assets.lib.tables import sql_literal

MATCHED = f"{WORK_SCHEMA}.audience_matched"
CANDIDATES = f"{WORK_SCHEMA}.audience_candidates"
RANKED = f"{WORK_SCHEMA}.audience_ranked"
SELECTED = f"{WORK_SCHEMA}.audience_selected"
EXCLUDED = f"{WORK_SCHEMA}.audience_excluded"
FOLLOW_UP_DECISIONS = f"{WORK_SCHEMA}.follow_up_decisions"

CHANNELS = ("email", "sms", "phone", "post")
REASONS = ("erased", "past_retention", "in_cascade", "no_consent", "no_contact_data", "pressure_limit")
GROUPS = ("treatment", "holdout")
MATCHED_ON = (
    "business_unit",
    "rfm_segment",
    "behavioural_segment",
    "churn_band",
    "life_moment",
    "appetence_department",
)
LIFE_MOMENT_TOP_SHARE = 0.10  # a customer "is in" a life moment when in the business unit's top decile
# A customer's appetence department is their most likely next department (scores.customer_appetence)
# when their probability of buying there is in the business unit's top fifth; else NO_APPETENCE.
APPETENCE_TOP_SHARE = 0.20
NOT_SCORED = "not scored"
NO_RFM = "No purchase"
NO_SEGMENT = "No purchase yet"
NO_MOMENT = "none"
NO_APPETENCE = "none"

# Every customer of the referential with a business unit, with what the matrix matches on.
CUSTOMERS_SQL = f"""
with moments as (
    select customer_id, arg_min(moment, propensity_rank_share) as life_moment
    from scores.customer_life_moments
    where propensity_rank_share <= {LIFE_MOMENT_TOP_SHARE}
    group by customer_id
),
appetence as (
    select customer_id, department_1_name as appetence_department
    from scores.customer_appetence
    qualify cume_dist() over (partition by business_unit order by probability_1 desc) <= {APPETENCE_TOP_SHARE}
)
select
    d.customer_id,
    d.country_code as business_unit,
    coalesce(r.segment, '{NO_RFM}') as rfm_segment,
    coalesce(s.segment_name, '{NO_SEGMENT}') as behavioural_segment,
    coalesce(c.churn_band, '{NOT_SCORED}') as churn_band,
    c.model_arm as churn_model_arm,
    coalesce(m.life_moment, '{NO_MOMENT}') as life_moment,
    coalesce(a.appetence_department, '{NO_APPETENCE}') as appetence_department,
    d.has_email_consent as consent_email,
    d.has_sms_consent as consent_sms,
    d.has_phone_consent as consent_phone,
    d.has_post_consent as consent_post,
    d.email is not null as reachable_email,
    d.phone_e164 is not null as reachable_sms,
    d.phone_e164 is not null as reachable_phone,
    (d.street is not null and d.postcode is not null and d.city is not null) as reachable_post,
    {{erased}} as is_erased,
    {{past_retention}} as is_past_retention
from referential.dim_customer d
left join features.customer_rfm r using (customer_id)
left join scores.customer_segment s using (customer_id)
left join scores.customer_churn c using (customer_id)
left join moments m using (customer_id)
left join appetence a using (customer_id)
where d.country_code is not null
"""
ERASED_SQL = (
    "sha256(d.customer_id) in (select key_hash from ops.erasure_suppression where key_type = 'customer_id')"
)


def customers_sql(has_suppression: bool, past_retention: str | None = None) -> str:
    """``past_retention``: a relation of the customer ids past the retention period for inactive
    customers (privacy/dormancy.py), whose identifiers the retention step removes: not contacted."""
    return CUSTOMERS_SQL.format(
        erased=ERASED_SQL if has_suppression else "false",
        past_retention=f"d.customer_id in (select customer_id from {past_retention})"
        if past_retention
        else "false",
    )


@dataclass(frozen=True)
class Selection:
    reference_date: date
    salt: str
    holdout_share: float


def _matches(column: str) -> str:
    return f"(r.{column} = '*' or lower(c.{column}) glob lower(r.{column}))"


def select_audiences(
    conn: duckdb.DuckDBPyConnection,
    selection: Selection,
    customers: str = "customers",
    rules: str = "rules",
    pressure: str = "pressure",
    contacts: str = "contacts",
    cascades: str | None = None,
    follow_ups: str | None = None,
) -> None:
    """Writes ``SELECTED``, ``EXCLUDED`` and ``FOLLOW_UP_DECISIONS`` (and the steps before them: see
    the module doc). ``cascades`` and ``follow_ups`` (cascade.py) are the running cascades and the
    due follow-ups; without them there are none."""
    conn.execute(f"create schema if not exists {WORK_SCHEMA}")
    ref = f"date '{selection.reference_date.isoformat()}'"
    cascades = cascades or f"({EMPTY_CASCADES})"
    follow_ups = follow_ups or f"({follow_ups_sql(selection.reference_date, cascades, customers, None)})"
    conn.execute(f"""
        create or replace table {MATCHED} as
        select
            c.customer_id, c.business_unit, c.churn_band as score_band, c.churn_model_arm, c.is_erased,
            c.is_past_retention,
            r.rule_id, r.priority, r.campaign_code, r.campaign_name, r.channel, r.offer,
            r.measurement_days, r.follow_up_channel, r.follow_up_days::integer as follow_up_days,
            coalesce({channel_case("r.channel", "c.consent_{channel}", CHANNELS)}, false) as consented,
            coalesce({channel_case("r.channel", "c.reachable_{channel}", CHANNELS)}, false) as reachable
        from {customers} c
        join {rules} r on {" and ".join(_matches(col) for col in MATCHED_ON)}
    """)
    conn.execute(f"""
        create or replace table {CANDIDATES} as
        with per_campaign as (
            select
                customer_id, business_unit, campaign_code,
                bool_or(is_erased) as erased,
                bool_or(is_past_retention) as past_retention,
                bool_or(consented) as any_consent,
                arg_min(
                    struct_pack(
                        rule_id, priority, campaign_name, channel, offer, measurement_days, score_band,
                        churn_model_arm, follow_up_channel, follow_up_days
                    ),
                    priority
                ) filter (where consented and reachable and not is_erased and not is_past_retention) as best,
                string_agg(distinct channel, ',' order by channel) as channels_matched
            from {MATCHED}
            group by all
        )
        select
            customer_id, business_unit, campaign_code, channels_matched, best,
            case
                when erased then 'erased'
                when past_retention then 'past_retention'
                when (customer_id, campaign_code) in (select (customer_id, campaign_code) from {cascades})
                    then 'in_cascade'
                when best is null and not any_consent then 'no_consent'
                when best is null then 'no_contact_data'
            end as reason
        from per_campaign
    """)
    # What is wanted today, at a cost in contacts: the due follow-ups first (their e-mail already
    # reserved the contact), then the campaigns in priority order; a cascaded e-mail costs two.
    conn.execute(f"""
        create or replace table {RANKED} as
        with wanted as (
            select
                customer_id, business_unit, campaign_code, channels_matched, 1 as cascade_step,
                best.rule_id, best.priority, best.campaign_name, best.channel, best.offer,
                best.measurement_days, best.score_band, best.churn_model_arm, best.follow_up_channel,
                best.follow_up_days, null::date as first_sent_on,
                1 + (best.follow_up_channel is not null)::integer as cost, campaign_code as holdout_key
            from {CANDIDATES} where reason is null
            union all
            select
                customer_id, business_unit, campaign_code, follow_up_channel, 2, rule_id, priority,
                campaign_name, follow_up_channel, offer, measurement_days, score_band, churn_model_arm,
                null, null, first_sent_on, 1, campaign_code || '{FOLLOW_UP_HOLDOUT_SUFFIX}'
            from {follow_ups} where reason is null
        ),
        history as (
            select k.customer_id, count(*) as contacts_in_period
            from {contacts} k
            join (select distinct customer_id, business_unit from wanted) a on a.customer_id = k.customer_id
            join {pressure} p on p.business_unit = a.business_unit
            where k.contact_date >= {ref} - p.period_days::integer and k.contact_date < {ref}
            group by k.customer_id
        )
        select
            w.*,
            coalesce(h.contacts_in_period, 0) as contacts_in_period,
            greatest(coalesce(p.max_contacts, 0) - coalesce(h.contacts_in_period, 0), 0) as capacity,
            sum(w.cost) over (
                partition by w.customer_id order by w.cascade_step desc, w.priority, w.campaign_code
                rows unbounded preceding
            ) as cumulative_cost
        from wanted w
        left join {pressure} p on p.business_unit = w.business_unit
        left join history h on h.customer_id = w.customer_id
    """)
    draw = draw_sql(selection.salt, campaign_column="holdout_key")
    # The salt stays out of the table: only its hash, to tell which salt drew the groups.
    salt_hash = hashlib.sha256(selection.salt.encode()).hexdigest()
    conn.execute(f"""
        create or replace table {SELECTED} as
        select
            {ref} as reference_date,
            campaign_code,
            business_unit,
            campaign_name,
            channel,
            offer,
            rule_id,
            priority,
            customer_id,
            score_band,
            churn_model_arm,
            {draw} as holdout_draw,
            case when {draw} < {selection.holdout_share!r} then 'holdout' else 'treatment' end as audience_group,
            measurement_days,
            contacts_in_period,
            {sql_literal(salt_hash)} as holdout_salt_sha256,
            cascade_step,
            follow_up_channel,
            follow_up_days,
            first_sent_on
        from {RANKED}
        where cumulative_cost <= capacity
    """)
    conn.execute(f"""
        create or replace table {EXCLUDED} as
        select
            {ref} as reference_date, campaign_code, business_unit, customer_id, reason, channels_matched,
            null::integer as contacts_in_period
        from {CANDIDATES} where reason is not null
        union all
        select
            {ref}, campaign_code, business_unit, customer_id, 'pressure_limit', channels_matched,
            contacts_in_period::integer
        from {RANKED} where cascade_step = 1 and cumulative_cost > capacity
    """)
    conn.execute(f"""
        create or replace table {FOLLOW_UP_DECISIONS} as
        select
            f.reference_date, f.campaign_code, f.business_unit, f.customer_id, f.first_sent_on, f.send_code,
            f.follow_up_channel, f.email_outcome,
            coalesce(f.reason, case when r.cumulative_cost <= r.capacity then 'selected' else 'pressure_limit' end)
                as decision
        from {follow_ups} f
        left join (select * from {RANKED} where cascade_step = 2) r using (customer_id, campaign_code)
    """)
