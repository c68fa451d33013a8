"""What may reach the analyst file: schemas by allow-list, columns by a personal-data classification.

Every column of a published table is kept as is unless a rule says otherwise. A column whose name
looks like personal data (names, e-mails, phones, addresses, birth dates) must have a rule: an
unclassified one stops the publication with its table and column named, so a new table never leaks
a direct identifier by default. Rules apply by column name, or by ``schema.table.column`` where a
name means something else in one table (a store's city is not a person's).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

# Layers an analyst reads. raw/staging/intermediate/quarantine hold source records with personal
# data; activation holds contact lists; ops holds run bookkeeping: none of them is published there.
ANALYST_SCHEMAS = ("referential", "sales", "marketing", "features", "scores", "forecasts")
# Single tables of those other schemas that analysts read: campaign_results holds one row per
# campaign, business unit, channel and send day (group sizes, mean revenue, uplift with intervals),
# no customer id; the run bookkeeping the cockpits show (platform_assets/cockpits/) holds no customer
# either: model figures per run, landed files (rows, quarantined rows), identity match quality, and
# marketing's contact-pressure limit per business unit, the audiences' sizes and exclusions in numbers,
# quarantined rows counted per source, business unit and rule, the run's check outcomes (check names
# only), and customers counted by contacts received in the pressure window (counts, no customer); the
# platform's campaigns measured per churn model arm and the champion/challenger rule's figures per run;
# the register of processing (one row per activity: purposes, categories, table names).
ANALYST_TABLES = (
    "activation.campaign_results",
    "activation.contact_pressure",
    "activation.audience_summary",
    "ops.model_metrics",
    "ops.landing_files",
    "ops.identity_match_quality",
    "ops.quarantine_by_rule",
    "ops.check_results",
    "activation.contact_pressure_distribution",
    "activation.campaign_results_by_model_arm",
    "ops.model_comparisons",
    "ops.processing_register",
)
# The restricted file serves the referential and activation teams: the same layers with personal
# data, plus audiences and the run/erasure bookkeeping. Never the source-aligned layers.
RESTRICTED_SCHEMAS = (*ANALYST_SCHEMAS, "activation", "ops")


class Treatment(StrEnum):
    KEEP = "keep"  # not personal data, or a pseudonymous id
    DROP = "drop"  # a direct identifier, a source-record id or run lineage: restricted file only
    BIRTH_YEAR = "birth_year"  # a birth date becomes the year of birth
    POSTCODE_AREA = "postcode_area"  # a postcode becomes its first two characters


DERIVED = {
    Treatment.BIRTH_YEAR: (
        "birth_year",
        "year({column})",
        "Year of birth (the full birth date stays in the restricted file).",
    ),
    Treatment.POSTCODE_AREA: (
        "postcode_area",
        "left(upper(regexp_replace({column}, '[^A-Za-z0-9]', '', 'g')), 2)",
        "First two characters of the postcode: département (FR), postcode area (GB), postal "
        "region (PL). The full address stays in the restricted file.",
    ),
}

COLUMN_RULES: dict[str, Treatment] = {
    # direct identifiers of a person
    "first_name": Treatment.DROP,
    "last_name": Treatment.DROP,
    "email": Treatment.DROP,
    "phone": Treatment.DROP,
    "phone_e164": Treatment.DROP,
    "street": Treatment.DROP,
    "city": Treatment.DROP,
    "postcode": Treatment.POSTCODE_AREA,
    "birth_date": Treatment.BIRTH_YEAR,
    # ids of source records: each leads back to a person in a source system
    "record_id": Treatment.DROP,
    "source_id": Treatment.DROP,
    "anchor_record_id": Treatment.DROP,
    "acquisition_record_id": Treatment.DROP,
    "customer_record_id": Treatment.DROP,
    "email_subscriber_id": Treatment.DROP,
    # web analytics: the browser cookie, the visit and the text typed in the site search lead back
    # to a person (online identifiers, free text); the IP address and user agent never leave staging
    "cookie_id": Treatment.DROP,
    "session_id": Treatment.DROP,
    "search_query": Treatment.DROP,
    "ip_address": Treatment.DROP,
    "user_agent": Treatment.DROP,
    # run lineage that changes every run and means nothing to an analyst
    "linked_run_id": Treatment.DROP,
    "linked_at": Treatment.DROP,
    # the value standardisation could not use: an e-mail, a phone, a name as keyed
    "referential.identity_field_warnings.value": Treatment.DROP,
    # the register of processing names the owners' mailboxes: role addresses, but shaped like e-mails
    "ops.processing_register.business_owner": Treatment.DROP,
    "ops.processing_register.sponsor": Treatment.DROP,
    # a store's or web shop's address is public, not a person's
    "referential.dim_store.city": Treatment.KEEP,
    "referential.dim_store.postcode": Treatment.KEEP,
}

# Names that look like personal data: they must have a rule (KEEP is a rule too).
PERSONAL_LOOKING = re.compile(
    r"(^|_)(first|last|full|sur|given|middle|maiden|customer|person|contact)_?name$"
    r"|^name$"
    r"|(^|_)e_?mail(_address|_std)?$"
    r"|(^|_)(phone|mobile|msisdn)(_e164|_number|_std)?$"
    r"|(^|_)(street|address)(_line_?\d)?$"
    r"|birth|(^|_)dob$"
    r"|(^|_)(post_?code|zip(_code)?)(_std)?$"
    r"|(^|_)city(_std)?$"
    r"|(^|_)(iban|ssn|passport|national_id|ip_address)$"
    r"|(^|_)(cookie|session)_id$|(^|_)user_agent$|(^|_)search_(query|text|terms)$"
)


class UnclassifiedColumnsError(ValueError):
    """A published table has columns that look like personal data and have no rule."""


@dataclass(frozen=True)
class PublishedColumn:
    name: str  # in the analyst file
    expression: str  # SQL over the working table's columns
    source_column: str
    treatment: Treatment
    description: str | None  # for derived columns; otherwise the source column's


def treatment_of(table: str, column: str) -> Treatment | None:
    """The rule for ``column`` of ``schema.table``: table-specific first, then by name."""
    return COLUMN_RULES.get(f"{table}.{column}", COLUMN_RULES.get(column))


def unclassified(table: str, columns: list[str]) -> list[str]:
    return [c for c in columns if treatment_of(table, c) is None and PERSONAL_LOOKING.search(c)]


def analyst_columns(table: str, columns: list[str]) -> list[PublishedColumn]:
    """The analyst file's columns of one table, or UnclassifiedColumnsError naming the culprits."""
    if unclassified(table, columns):
        raise UnclassifiedColumnsError(_message({table: unclassified(table, columns)}))
    published = []
    for column in columns:
        treatment = treatment_of(table, column) or Treatment.KEEP
        quoted = f'"{column}"'
        if treatment is Treatment.KEEP:
            published.append(PublishedColumn(column, quoted, column, treatment, None))
        elif treatment in DERIVED:
            name, expression, description = DERIVED[treatment]
            published.append(
                PublishedColumn(name, expression.format(column=quoted), column, treatment, description)
            )
    return published


def check_all(tables: dict[str, list[str]]) -> None:
    """Every table at once, so one failed publication lists every column to classify."""
    problems = {table: unclassified(table, columns) for table, columns in tables.items()}
    problems = {table: columns for table, columns in problems.items() if columns}
    if problems:
        raise UnclassifiedColumnsError(_message(problems))


def _message(problems: dict[str, list[str]]) -> str:
    listed = "; ".join(f"{table}: {', '.join(columns)}" for table, columns in sorted(problems.items()))
    return (
        f"columns that look like personal data have no privacy rule ({listed}). Add each to COLUMN_RULES "
        "in platform_assets/publish/classification.py: DROP (restricted file only), BIRTH_YEAR, "
        "POSTCODE_AREA, or KEEP if it is not personal data (use 'schema.table.column' for one table)."
    )
