"""Column documentation of the activation tables: the ``dagster/column_schema`` of their asset specs,
published as DuckDB column comments (the restricted file only: activation is not an analyst schema)."""

from __future__ import annotations

_REF = ("reference_date", "date", "The run's reference date: the day the audience was selected as of.")
_CAMPAIGN = (
    "campaign_code",
    "varchar",
    "Campaign (activation.decision_matrix, or the campaign tool's code).",
)
_BU = ("business_unit", "varchar", "Business unit (country, ISO 3166 code) of the audience.")
_CUSTOMER = ("customer_id", "varchar", "Stable customer id (referential.dim_customer).")
_CHANNEL = ("channel", "varchar", "Contact channel: email, sms, phone or post.")
_RUN = ("run_id", "varchar", "Dagster run that wrote the row.")

_STEP = (
    "cascade_step",
    "integer",
    "1: the campaign's contact (for a cascade, its e-mail); 2: a cascade's follow-up to those who did not "
    "open the e-mail (cascade.py), drawn into its own holdout on campaign_code || '|follow-up'.",
)

AUDIENCE_COLUMNS = (
    _REF,
    _CAMPAIGN,
    _BU,
    ("campaign_name", "varchar", "Campaign name shown to the CRM team."),
    ("channel", "varchar", "Channel of the winning rule: the best-priority consented, reachable one."),
    ("offer", "varchar", "Offer of the winning rule."),
    ("rule_id", "varchar", "Decision-matrix rule that put the customer in the campaign."),
    ("priority", "integer", "Priority of that rule (1 first)."),
    _CUSTOMER,
    (
        "score_band",
        "varchar",
        "Churn band of the customer ('not scored' without a score): the holdout's stratum.",
    ),
    (
        "churn_model_arm",
        "varchar",
        "Version of the churn model whose band drove the selection (scores.customer_churn.model_arm: "
        "champion or challenger); null when the customer has no churn score.",
    ),
    (
        "holdout_draw",
        "double",
        "Uniform draw in [0, 1) from sha256(salt|customer_id|campaign_code): below the holdout share = holdout.",
    ),
    ("audience_group", "varchar", "treatment (exported, contacted) or holdout (recorded, never contacted)."),
    ("measurement_days", "integer", "Days from reference_date over which the campaign is measured."),
    ("contacts_in_period", "bigint", "Contacts the customer had already received in the pressure period."),
    (
        "holdout_salt_sha256",
        "varchar",
        "sha256 of the salt that drew the groups (the salt itself is not stored).",
    ),
    _STEP,
    (
        "follow_up_channel",
        "varchar",
        "On a cascade's e-mail step: the follow-up's channel (decision matrix follow_up_channel); else null.",
    ),
    (
        "follow_up_days",
        "integer",
        "On a cascade's e-mail step: days after the e-mail when the follow-up is decided.",
    ),
    ("first_sent_on", "date", "On a follow-up: the day of the e-mail it follows; else null."),
)
AUDIENCES = AUDIENCE_COLUMNS
AUDIENCE_HISTORY = (*AUDIENCE_COLUMNS, _RUN)

AUDIENCE_EXCLUSIONS = (
    _REF,
    _CAMPAIGN,
    _BU,
    _CUSTOMER,
    (
        "reason",
        "varchar",
        "Why a customer a rule matched is not in the audience: erased (suppression list), no_consent "
        "(no matching channel consented), no_contact_data (consented, address or number missing), "
        "past_retention (no activity in the retailer's retention period for inactive customers: their "
        "identifiers are being removed), "
        "in_cascade (the customer's cascade of this campaign is running: its follow-up is not decided yet), "
        "pressure_limit (the business unit's contact limit was reached by better-priority campaigns).",
    ),
    ("channels_matched", "varchar", "Channels of the rules that matched the customer for the campaign."),
    (
        "contacts_in_period",
        "integer",
        "For pressure_limit: contacts already received in the period; null for the other reasons.",
    ),
)

CONTACT_HISTORY = (
    _CUSTOMER,
    ("contact_date", "date", "Day the contact was sent (UTC date for the campaign tool's log)."),
    _CAMPAIGN,
    _BU,
    _CHANNEL,
    (
        "source",
        "varchar",
        "campaign_tool (the CRM team's contact log) or platform (a treatment member of activation.audiences).",
    ),
    _RUN,
)

AUDIENCE_EXPORTS = (
    _REF,
    _CAMPAIGN,
    _CHANNEL,
    _BU,
    _STEP,
    (
        "send_code",
        "varchar",
        "Code the contact tool sends the file under (<campaign>-<business unit>-<YYYYMMDD>-<channel>, "
        "'-follow-up' added for a follow-up): the e-mail events carrying it as campaign id decide a cascade's follow-up.",
    ),
    ("offer", "varchar", "Offer of the campaign's contacts."),
    ("file_path", "varchar", "CSV file, relative to the exports directory (CDP_EXPORTS_DIR)."),
    ("rows", "bigint", "Customers in the file (treatment members only)."),
    ("columns", "varchar", "Columns of the file, comma-separated: only the fields the channel needs."),
    ("sha256", "varchar", "sha256 of the file as written (the erasure sweep may rewrite it later)."),
    ("generated_at", "timestamp", "When the file was written (UTC)."),
    _RUN,
)

_MONEY = "in currency_code"
CAMPAIGN_RESULTS = (
    (
        "source",
        "varchar",
        "campaign_tool (a campaign of the CRM team's tool) or platform (an audience of this platform).",
    ),
    _CAMPAIGN,
    _BU,
    _CHANNEL,
    ("sent_on", "date", "Day the campaign was sent: the first day of the measurement window."),
    (
        "cascade_step",
        "integer",
        "1: the campaign (a cascade's e-mail, measured against a holdout never contacted: the whole cascade's "
        "effect); 2: a cascade's follow-up, measured among the e-mail's non-openers against those held out of it "
        "(the follow-up's own effect). The campaign tool's campaigns are 1.",
    ),
    ("measurement_days", "integer", "Length of the window in days."),
    ("window_end", "date", "First day after the window (sent_on + measurement_days)."),
    ("currency_code", "varchar", "ISO 4217 currency of every amount of the row."),
    ("treated", "bigint", "Customers contacted (treatment group)."),
    ("control", "bigint", "Customers held out (control group)."),
    (
        "revenue_per_customer_treatment",
        "double",
        f"Mean net revenue per treated customer in the window (sales lines not cancelled, returns deducted), {_MONEY}.",
    ),
    (
        "revenue_per_customer_control",
        "double",
        f"Mean net revenue per control customer in the window, {_MONEY}.",
    ),
    (
        "incremental_revenue_per_customer",
        "double",
        f"revenue_per_customer_treatment - revenue_per_customer_control, {_MONEY}.",
    ),
    ("incremental_revenue_per_customer_ci_low", "double", "Lower bound of its 95 % Welch interval."),
    ("incremental_revenue_per_customer_ci_high", "double", "Upper bound of its 95 % Welch interval."),
    ("incremental_revenue", "double", f"incremental_revenue_per_customer x treated, {_MONEY}."),
    ("incremental_revenue_ci_low", "double", "Lower bound of its 95 % interval."),
    ("incremental_revenue_ci_high", "double", "Upper bound of its 95 % interval."),
    (
        "relative_uplift",
        "double",
        "incremental_revenue_per_customer / revenue_per_customer_control (0.12 = +12 %).",
    ),
    ("relative_uplift_ci_low", "double", "Lower bound of its 95 % interval (delta method on the log ratio)."),
    ("relative_uplift_ci_high", "double", "Upper bound of its 95 % interval."),
    ("p_value", "double", "Two-sided Welch test p-value of no difference in revenue per customer."),
    (
        "cuped_incremental_revenue_per_customer",
        "double",
        "Incremental revenue per customer adjusted on pre-period behaviour (CUPED: each member's revenue minus "
        f"cuped_theta x (their pre-period revenue - its mean over both groups), treatment - control), {_MONEY}. "
        "Estimates the same effect as incremental_revenue_per_customer with a narrower interval when the past "
        "predicts the window (measurement.py).",
    ),
    ("cuped_incremental_revenue_per_customer_ci_low", "double", "Lower bound of its 95 % Welch interval."),
    ("cuped_incremental_revenue_per_customer_ci_high", "double", "Upper bound of its 95 % Welch interval."),
    ("cuped_incremental_revenue", "double", f"cuped_incremental_revenue_per_customer x treated, {_MONEY}."),
    ("cuped_incremental_revenue_ci_low", "double", "Lower bound of its 95 % interval."),
    ("cuped_incremental_revenue_ci_high", "double", "Upper bound of its 95 % interval."),
    (
        "cuped_theta",
        "double",
        "Slope of the window revenue on the pre-period revenue, over both groups (CUPED's theta).",
    ),
    (
        "pre_period_correlation",
        "double",
        "Correlation of the window revenue with the pre-period revenue: the interval's width is the plain "
        "one's x sqrt(1 - correlation^2).",
    ),
    (
        "pre_period_days",
        "integer",
        "Length of the pre-period before sent_on whose net revenue is the covariate (measurement.PRE_PERIOD_DAYS).",
    ),
    (
        "conversion_rate_treatment",
        "double",
        "Share (0-1) of treated customers with a purchase in the window.",
    ),
    ("conversion_rate_control", "double", "Share (0-1) of control customers with a purchase in the window."),
    ("cost_per_contact", "double", f"Cost of one contact, {_MONEY}."),
    ("cost", "double", f"treated x cost_per_contact, {_MONEY} (holdouts cost nothing)."),
    ("roi", "double", "(incremental_revenue - cost) / cost; null without a cost."),
    ("reference_date", "date", "The run's reference date (windows ending after it are not measured yet)."),
)

AUDIENCE_SUMMARY = (
    ("reference_date", "date", "The run's reference date: the day the audiences were selected."),
    _CAMPAIGN,
    _BU,
    (
        "channel",
        "varchar",
        "Channel of the audience; null for an exclusion (a customer excluded from the campaign).",
    ),
    ("cascade_step", "integer", "1, or 2 for a cascade's follow-up; null for an exclusion."),
    ("status", "varchar", "treatment (contacted), holdout (kept out to measure) or excluded."),
    (
        "reason",
        "varchar",
        "Why the customers were excluded (activation.audience_exclusions' reasons); null otherwise.",
    ),
    ("customers", "bigint", "Customers with this status (and reason)."),
)

CONTACT_PRESSURE_DISTRIBUTION = (
    ("reference_date", "date", "The run's reference date: the window ends on it (its audiences included)."),
    _BU,
    (
        "contacts",
        "integer",
        "Contacts received in the business unit's pressure window [reference date - period_days, reference "
        "date]: the campaign tool's log and the platform's treatment members (activation.contact_history).",
    ),
    (
        "customers",
        "bigint",
        "Customers with that many contacts; for 0, the referential's customers of the unit with none.",
    ),
    ("max_contacts", "integer", "The unit's contact limit for the window (activation.contact_pressure)."),
    ("period_days", "integer", "Length of the window in days (activation.contact_pressure)."),
    ("over_limit", "boolean", "contacts > max_contacts (the campaign tool's own sends can exceed it)."),
)

# The platform's campaigns measured within each churn model arm (champion, challenger): the rows of
# CAMPAIGN_RESULTS with the arm after the send day.
_SENT = next(i for i, (name, _, _) in enumerate(CAMPAIGN_RESULTS) if name == "sent_on")
CAMPAIGN_RESULTS_BY_ARM = (
    *CAMPAIGN_RESULTS[: _SENT + 1],
    (
        "model_arm",
        "varchar",
        "Churn model arm of the members measured (champion or challenger: the version whose band "
        "selected them, activation.audiences.churn_model_arm); treatment and control of the arm only.",
    ),
    *CAMPAIGN_RESULTS[_SENT + 1 :],
)

CASCADE_FOLLOW_UPS = (
    ("reference_date", "date", "The run's reference date: the day the follow-up was decided."),
    _CAMPAIGN,
    _BU,
    _CUSTOMER,
    ("first_sent_on", "date", "Day of the cascade's e-mail (its audience's reference date)."),
    ("send_code", "varchar", "The e-mail's send code: the campaign id its events carry (cascade.send_code)."),
    ("follow_up_channel", "varchar", "Channel of the follow-up (decision matrix follow_up_channel)."),
    (
        "email_outcome",
        "varchar",
        "What the e-mail's events say: unsubscribed, opened (an open or a click), bounced, not_opened, or unknown "
        "(the e-mail tool's events are not delivered).",
    ),
    (
        "decision",
        "varchar",
        "selected (in today's audience, cascade_step 2), or why not: erased, past_retention, not_in_referential, "
        "no_email_events, "
        "unsubscribed, opened, no_consent (to the follow-up channel), no_contact_data, pressure_limit.",
    ),
)
