"""The ownership registry (data mesh): every domain's business owner, technical owner and sponsor.

One file, one place: Python assets take their owners from here, dbt models through the
translator (their folder's ``meta: domain``). Questions about meaning go to the business
owner, questions about the numbers to the technical owner; the sponsor answers for results.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Ownership:
    domain: str
    description: str
    business_owner: str  # e-mail: defines meaning and use
    technical_owner: str  # team:<name>: transformation and correctness
    sponsor: str  # e-mail: accountable for the outcome

    @property
    def owners(self) -> list[str]:
        """Dagster ``owners`` accept only e-mails and ``team:<name>``."""
        return [self.business_owner, self.technical_owner]

    @property
    def metadata(self) -> dict[str, str]:
        """The three roles plus the domain, as asset metadata."""
        roles = asdict(self)
        roles.pop("description")
        return roles


LANDING = Ownership(
    "landing",
    "Source-aligned data: landing files as delivered (raw) and typed per source (staging).",
    "data.governance@example.com",
    "team:data-engineering",
    "cdo@example.com",
)
REFERENTIAL = Ownership(
    "referential",
    "The unified customer referential: identity, golden customer record, products, stores.",
    "crm.referential.lead@example.com",
    "team:customer-data",
    "cdo@example.com",
)
SALES = Ownership(
    "sales",
    "Unified sales facts (stores and web) keyed by customer.",
    "sales.controlling@example.com",
    "team:customer-data",
    "cfo@example.com",
)
MARKETING = Ownership(
    "marketing",
    "Marketing spend, acquisition channels, e-mail engagement and LTV/CAC.",
    "marketing.performance@example.com",
    "team:marketing-analytics",
    "cmo@example.com",
)
QUALITY = Ownership(
    "quality",
    "Data-quality gates: expectation suites, quarantine and reconciliation.",
    "data.governance@example.com",
    "team:data-engineering",
    "cdo@example.com",
)
FEATURES = Ownership(
    "features",
    "Customer features: profile indicators, RFM, lifetime value.",
    "crm.lead@example.com",
    "team:data-science",
    "cmo@example.com",
)
SCORES = Ownership(
    "scores",
    "Predictive scores and behavioural segments.",
    "crm.lead@example.com",
    "team:data-science",
    "cmo@example.com",
)
ACTIVATION = Ownership(
    "activation",
    "Consent-aware campaign audiences, exports and measured uplift.",
    "campaign.manager@example.com",
    "team:marketing-tech",
    "cmo@example.com",
)
PUBLISH = Ownership(
    "publish",
    "The analyst warehouse: atomic publication, documentation, privacy.",
    "data.governance@example.com",
    "team:data-engineering",
    "cdo@example.com",
)
COCKPITS = Ownership(
    "cockpits",
    "Pages per persona (Command Center, data health, model and campaign performance) built from the analyst file.",
    "marketing.performance@example.com",
    "team:data-engineering",
    "cmo@example.com",
)

DOMAINS: dict[str, Ownership] = {
    o.domain: o
    for o in (
        LANDING,
        REFERENTIAL,
        SALES,
        MARKETING,
        QUALITY,
        FEATURES,
        SCORES,
        ACTIVATION,
        PUBLISH,
        COCKPITS,
    )
}


def ownership_of(domain: str) -> Ownership:
    try:
        return DOMAINS[domain]
    except KeyError:
        raise KeyError(
            f"domain {domain!r} has no owners in platform_assets/governance/ownership.py "
            f"(known: {', '.join(sorted(DOMAINS))})"
        ) from None
