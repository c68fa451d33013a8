"""The cascade: an e-mail, then a follow-up (a letter, say) to those who did not open it. No Dagster.

A decision-matrix rule on the e-mail channel may declare ``follow_up_channel`` and
``follow_up_days``. Its audience is then the cascade's first step; the day ``follow_up_days`` after
the send (or the first run after it), each treatment member of that step is decided once, in this
order (``DECISIONS``):

  erased              on the erasure suppression list
  past_retention      past the retention period for inactive customers (privacy/dormancy.py)
  not_in_referential  the customer id is no longer in referential.dim_customer (merged, erased)
  no_email_events     the retailer does not deliver the e-mail tool's events: nobody can tell an
                      opener, so nobody gets the follow-up
  unsubscribed        unsubscribed from the e-mail (a refusal, not a missed message)
  opened              opened or clicked the e-mail
  no_consent          did not consent to the follow-up channel
  no_contact_data     consented, but the address or number is missing
  pressure_limit      the business unit's contact limit is reached (selection.py)
  selected            in the follow-up's audience (a bounce counts as not opened: the e-mail never
                      reached them, the letter may)

The e-mail's events are those of ``marketing.fct_email_events`` whose campaign id is the send code
of the e-mail step (``send_code``: ``<campaign>-<business unit>-<YYYYMMDD>-email``, written in the export
manifest for the e-mail tool to send under), between the send day and the run's reference day.

The follow-up is the second step of the same campaign (``cascade_step`` 2) with its own holdout: the
hashed draw on ``<campaign>|follow-up`` splits the non-openers, so the letter is measured against
non-openers who got no letter, while the e-mail step's holdout (never contacted) measures the whole
cascade. The contact-pressure limit counts both steps: a cascaded e-mail costs two contacts when it is
selected, and until its follow-up is decided, a running cascade holds one contact of the customer's
capacity (``reservations_sql``).
"""

from __future__ import annotations

from datetime import date

import duckdb

from platform_assets.activation.store import AUDIENCE_HISTORY, CASCADE_FOLLOW_UPS, channel_case
from platform_assets.lib.tables import sql_literal, table_exists

EMAIL_EVENTS = "marketing.fct_email_events"
EVENTS_SOURCE = "emailing_events"
FIRST_CHANNEL = "email"
FOLLOW_UP_CHANNELS = ("sms", "phone", "post")
FOLLOW_UP_HOLDOUT_SUFFIX = "|follow-up"
DECISIONS = (
    "erased",
    "past_retention",
    "not_in_referential",
    "no_email_events",
    "unsubscribed",
    "opened",
    "no_consent",
    "no_contact_data",
    "pressure_limit",
    "selected",
)
OUTCOMES = ("unsubscribed", "opened", "bounced", "not_opened", "unknown")


def send_code(
    campaign_code: str, business_unit: str, sent_on: date, channel: str, cascade_step: int = 1
) -> str:
    """The code the contact tool sends a file under, so its events come back with it: one per file."""
    step = "-follow-up" if cascade_step == 2 else ""
    return f"{campaign_code}-{business_unit}-{sent_on:%Y%m%d}-{channel}{step}"


def send_code_sql(campaign: str, business_unit: str, sent_on: str) -> str:
    """``send_code`` of a cascade's e-mail step, in SQL."""
    return f"({campaign} || '-' || {business_unit} || '-' || strftime({sent_on}, '%Y%m%d') || '-{FIRST_CHANNEL}')"


def rule_problems(conn: duckdb.DuckDBPyConnection, rules: str) -> list[str]:
    """Decision-matrix rules whose follow-up cannot be run, one sentence each."""
    rows = conn.execute(
        f"select rule_id, channel, follow_up_channel, follow_up_days from {rules} "
        "where follow_up_channel is not null or follow_up_days is not null order by rule_id"
    ).fetchall()
    problems = []
    for rule_id, channel, follow_up, days in rows:
        if follow_up is None:
            problems.append(f"rule {rule_id}: follow_up_days without a follow_up_channel")
        elif follow_up not in FOLLOW_UP_CHANNELS:
            problems.append(
                f"rule {rule_id}: follow_up_channel {follow_up!r} not one of {FOLLOW_UP_CHANNELS}"
            )
        elif channel != FIRST_CHANNEL:
            problems.append(
                f"rule {rule_id}: a follow-up needs an e-mail first step (opens decide it), not {channel!r}"
            )
        elif days is None or days < 1:
            problems.append(
                f"rule {rule_id}: follow_up_days must be a whole number of days >= 1, not {days!r}"
            )
    return problems


def _history_has_cascades(conn: duckdb.DuckDBPyConnection) -> bool:
    if not table_exists(conn, AUDIENCE_HISTORY):
        return False
    names = {n for (n,) in conn.execute(f"select column_name from (describe {AUDIENCE_HISTORY})").fetchall()}
    return {"follow_up_channel", "cascade_step"} <= names


EMPTY_CASCADES = """
select null::varchar as customer_id, null::varchar as business_unit, null::varchar as campaign_code,
    null::varchar as campaign_name, null::varchar as rule_id, null::integer as priority, null::varchar as offer,
    null::integer as measurement_days, null::varchar as score_band, null::varchar as churn_model_arm,
    null::date as first_sent_on, null::varchar as follow_up_channel, null::integer as follow_up_days,
    null::boolean as is_due
where false
"""


def cascades_sql(conn: duckdb.DuckDBPyConnection, reference_date: date) -> str:
    """The running cascades: the e-mail steps' treatment members sent before the reference day whose
    follow-up an earlier day has not decided; ``is_due`` when the follow-up's day has come."""
    if not _history_has_cascades(conn):
        return EMPTY_CASCADES
    ref = f"{sql_literal(reference_date.isoformat())}::date"
    decided = ""
    if table_exists(conn, CASCADE_FOLLOW_UPS):
        decided = (
            f"and not exists (select 1 from {CASCADE_FOLLOW_UPS} f where f.reference_date < {ref} "
            "and f.campaign_code = h.campaign_code and f.business_unit = h.business_unit "
            "and f.customer_id = h.customer_id and f.first_sent_on = h.reference_date)"
        )
    return f"""
        select h.customer_id, h.business_unit, h.campaign_code, h.campaign_name, h.rule_id, h.priority,
            h.offer, h.measurement_days, h.score_band, h.churn_model_arm, h.reference_date as first_sent_on,
            h.follow_up_channel, h.follow_up_days::integer as follow_up_days,
            h.reference_date + h.follow_up_days::integer <= {ref} as is_due
        from {AUDIENCE_HISTORY} h
        where h.cascade_step = 1 and h.follow_up_channel is not null and h.audience_group = 'treatment'
            and h.reference_date < {ref} {decided}
    """


def reservations_sql(cascades: str) -> str:
    """One contact held per running cascade not yet due (its follow-up may still be sent), dated on the
    e-mail's day: the pressure limit counts it beside the contacts sent."""
    return f"select customer_id, first_sent_on as contact_date from {cascades} where not is_due"


def follow_ups_sql(reference_date: date, cascades: str, customers: str, events: str | None) -> str:
    """The due follow-ups, one row per e-mail treatment member, with the e-mail's outcome and the
    decision made before the pressure limit (null: still a candidate). ``customers`` is the
    selection's customers relation; ``events`` the e-mail events (customer_id, email_campaign_id,
    event_type, event_at), or None when the retailer does not deliver them."""
    ref = f"{sql_literal(reference_date.isoformat())}::date"
    code = send_code_sql("d.campaign_code", "d.business_unit", "d.first_sent_on")
    outcomes = (
        f"""
        select d.customer_id, d.campaign_code, d.business_unit, d.first_sent_on,
            bool_or(e.event_type = 'unsubscribe') as unsubscribed,
            bool_or(e.event_type in ('open', 'click')) as opened,
            bool_or(e.event_type = 'bounce') as bounced
        from due d join {events} e
            on e.customer_id = d.customer_id and e.email_campaign_id = {code}
            and e.event_at >= d.first_sent_on and e.event_at < {ref}
        group by all
        """
        if events
        else "select null::varchar as customer_id, null::varchar as campaign_code, null::varchar as business_unit, "
        "null::date as first_sent_on, null::boolean as unsubscribed, null::boolean as opened, "
        "null::boolean as bounced where false"
    )
    delivered = "true" if events else "false"
    return f"""
        with due as (select * from {cascades} where is_due),
        outcomes as ({outcomes}),
        decided as (
            select
                {ref} as reference_date, d.campaign_code, d.business_unit, d.customer_id, d.first_sent_on,
                {code} as send_code, d.follow_up_channel, d.follow_up_days, d.campaign_name, d.rule_id,
                d.priority, d.offer, d.measurement_days, d.score_band, d.churn_model_arm,
                case
                    when not {delivered} then 'unknown'
                    when coalesce(o.unsubscribed, false) then 'unsubscribed'
                    when coalesce(o.opened, false) then 'opened'
                    when coalesce(o.bounced, false) then 'bounced'
                    else 'not_opened'
                end as email_outcome,
                case
                    when coalesce(c.is_erased, false) then 'erased'
                    when coalesce(c.is_past_retention, false) then 'past_retention'
                    when c.customer_id is null then 'not_in_referential'
                    when not {delivered} then 'no_email_events'
                    when coalesce(o.unsubscribed, false) then 'unsubscribed'
                    when coalesce(o.opened, false) then 'opened'
                    when not coalesce({channel_case("d.follow_up_channel", "c.consent_{channel}", FOLLOW_UP_CHANNELS)}, false) then 'no_consent'
                    when not coalesce({channel_case("d.follow_up_channel", "c.reachable_{channel}", FOLLOW_UP_CHANNELS)}, false) then 'no_contact_data'
                end as reason
            from due d
            left join outcomes o using (customer_id, campaign_code, business_unit, first_sent_on)
            left join {customers} c on c.customer_id = d.customer_id
        )
        select * from decided
    """
