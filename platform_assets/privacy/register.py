"""The register of processing activities (GDPR art. 30), generated from what the platform publishes.

One activity per domain: its declared purpose, legal basis, persons and retention
(``governance/processing.py``), its owners (``governance/ownership.py``), the categories of data its
published tables hold (read from their columns through the publication's privacy rules,
``publish/classification.py``), its recipients (the analyst file, the restricted file, the export
channels) and the tables involved. A published table with no data classification (a column that
looks like personal data has no rule), no domain or no declared purpose is a problem: the asset's
blocking check fails on it and nothing is published. No Dagster here: data in, data out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from platform_assets.governance.ownership import DOMAINS
from platform_assets.governance.processing import purpose_of
from platform_assets.privacy.tables import REGISTER_TABLE
from platform_assets.publish.classification import Treatment, treatment_of, unclassified

TABLE = REGISTER_TABLE
COLUMNS = (
    ("activity", "varchar", "The processing activity."),
    ("domain", "varchar", "The data domain that carries it out (ownership registry)."),
    ("purpose", "varchar", "What the personal data is processed for."),
    ("legal_basis", "varchar", "The legal basis of the processing (GDPR art. 6)."),
    ("categories_of_persons", "varchar", "Whose data: the categories of data subjects."),
    (
        "categories_of_data",
        "varchar",
        "What data: the categories of personal data the activity's tables hold, the identifiers read "
        "from their columns.",
    ),
    ("recipients", "varchar", "Who receives the data: the published files' readers and the export channels."),
    ("retention", "varchar", "How long the data is kept."),
    (
        "classification",
        "varchar",
        "The data classification of its tables: personal, pseudonymous, not personal.",
    ),
    ("tables", "varchar[]", "The published tables involved (schema.table)."),
    ("analyst_tables", "varchar[]", "Those of them the analyst file holds (without direct identifiers)."),
    ("business_owner", "varchar", "Business owner of the domain."),
    ("technical_owner", "varchar", "Technical owner of the domain."),
    ("sponsor", "varchar", "Sponsor of the domain."),
)

PERSONAL = "personal data (direct identifiers: restricted file only)"
PSEUDONYMOUS = "pseudonymous (customer id or hashed identifiers)"
NOT_PERSONAL = "not personal"
PSEUDONYMOUS_ID = re.compile(r"(^|_)customer_id$|^household_id$")
HASHED = re.compile(r"(_sha256|^key_hash)$")
# Columns a rule treats (dropped, coarsened) that are run lineage, not a person's data.
LINEAGE = frozenset({"linked_run_id", "linked_at"})
# What a treated column is, in a register's words.
CATEGORY_OF = {
    "first_name": "name",
    "last_name": "name",
    "email": "e-mail address",
    "phone": "phone number",
    "phone_e164": "phone number",
    "street": "postal address",
    "city": "postal address",
    "postcode": "postal address",
    "birth_date": "birth date",
    "cookie_id": "online identifiers (cookie, visit)",
    "session_id": "online identifiers (cookie, visit)",
    "ip_address": "online identifiers (cookie, visit)",
    "user_agent": "online identifiers (cookie, visit)",
    "search_query": "site search text",
    "value": "identifier values as keyed",
}
SOURCE_RECORD_IDS = "source-system record ids"


@dataclass(frozen=True)
class TableClass:
    table: str
    domain: str | None
    classification: str | None  # None: a personal-looking column has no rule
    categories: tuple[str, ...]  # categories of personal data read from its columns
    in_analyst_file: bool
    unclassified_columns: tuple[str, ...] = ()


def classify(table: str, columns: list[str], domain: str | None, in_analyst_file: bool) -> TableClass:
    """A table's data classification, from its columns and the publication's privacy rules."""
    missing = tuple(unclassified(table, columns))
    categories: list[str] = []
    personal = pseudonymous = False
    for column in columns:
        treatment = treatment_of(table, column)
        if treatment not in (None, Treatment.KEEP) and column not in LINEAGE:
            personal = True
            categories.append(CATEGORY_OF.get(column, SOURCE_RECORD_IDS))
        if PSEUDONYMOUS_ID.search(column):
            pseudonymous = True
            categories.append("pseudonymous customer id")
        elif HASHED.search(column):
            pseudonymous = True
            categories.append("hashed identifiers")
    classification = (
        None if missing else PERSONAL if personal else PSEUDONYMOUS if pseudonymous else NOT_PERSONAL
    )
    return TableClass(
        table, domain, classification, tuple(dict.fromkeys(categories)), in_analyst_file, missing
    )


def problems(tables: list[TableClass]) -> list[str]:
    """What keeps the register from covering every published table: each table without a data
    classification, a domain, or a purpose declared for its domain."""
    found = []
    for t in sorted(tables, key=lambda t: t.table):
        if t.classification is None:
            found.append(
                f"{t.table}: no data classification ({', '.join(t.unclassified_columns)} look like personal "
                "data and have no rule in platform_assets/publish/classification.py)"
            )
        if t.domain is None:
            found.append(
                f"{t.table}: no domain (an asset's owners, or SIDE_TABLES in platform_assets/governance/processing.py)"
            )
        elif purpose_of(t.domain) is None:
            found.append(
                f"{t.table}: domain {t.domain!r} declares no purpose (PURPOSES in platform_assets/governance/processing.py)"
            )
    return found


def register_rows(
    tables: list[TableClass],
    recipients: dict[str, list[str]],
    snapshots_kept: int,
    retention: dict[str, str] | None = None,
) -> list[dict]:
    """One row per processing activity (a domain with a purpose and published tables), as ``COLUMNS``.
    ``recipients``: domain -> recipients besides the published files' readers (export channels);
    ``retention``: domain -> the configured retention periods that apply to it."""
    by_domain: dict[str, list[TableClass]] = {}
    for t in tables:
        if purpose_of(t.domain) is not None:
            by_domain.setdefault(t.domain, []).append(t)
    rows = []
    for domain in sorted(by_domain):
        members = sorted(by_domain[domain], key=lambda t: t.table)
        purpose = purpose_of(domain)
        owners = DOMAINS.get(domain)
        found = [c for t in members for c in t.categories]
        classes = [
            c for c in (PERSONAL, PSEUDONYMOUS, NOT_PERSONAL) if any(t.classification == c for t in members)
        ]
        readers = ["referential and activation teams (restricted file, personal data)"]
        if any(t.in_analyst_file for t in members):
            readers.insert(0, "analysts (analyst file: pseudonymous, no direct identifier)")
        rows.append(
            {
                "activity": purpose.activity,
                "domain": domain,
                "purpose": purpose.purpose,
                "legal_basis": purpose.legal_basis,
                "categories_of_persons": "; ".join(purpose.persons),
                "categories_of_data": "; ".join(dict.fromkeys([*found, *purpose.data])),
                "recipients": "; ".join([*readers, *recipients.get(domain, [])]),
                "retention": "; ".join(
                    [
                        purpose.retention,
                        *([retention[domain]] if retention and domain in retention else []),
                        f"published snapshots: the last {snapshots_kept} publications",
                    ]
                ),
                "classification": "; ".join(classes),
                "tables": [t.table for t in members],
                "analyst_tables": [t.table for t in members if t.in_analyst_file],
                "business_owner": owners.business_owner if owners else None,
                "technical_owner": owners.technical_owner if owners else None,
                "sponsor": owners.sponsor if owners else None,
            }
        )
    return rows


def register_markdown(rows: list[dict], intro: str) -> str:
    """The register as a page: one section per activity."""
    lines = ["# Register of processing activities", "", intro, ""]
    for row in rows:
        lines += [f"## {row['activity']}", ""]
        for label, key in (
            ("Domain", "domain"),
            ("Purpose", "purpose"),
            ("Legal basis", "legal_basis"),
            ("Categories of persons", "categories_of_persons"),
            ("Categories of data", "categories_of_data"),
            ("Recipients", "recipients"),
            ("Retention", "retention"),
            ("Data classification", "classification"),
        ):
            lines.append(f"- **{label}**: {row[key]}")
        lines.append(
            f"- **Owners**: business {row['business_owner']}, technical {row['technical_owner']}, "
            f"sponsor {row['sponsor']}"
        )
        analyst = set(row["analyst_tables"] or [])
        listed = ", ".join(f"`{t}`" + ("" if t in analyst else " (restricted)") for t in row["tables"])
        lines += [f"- **Tables**: {listed}", ""]
    return "\n".join(lines)
