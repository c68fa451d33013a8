"""The purposes of processing (GDPR art. 30): what each domain processes personal data for.

Declared once per domain, beside the ownership registry: a domain's purpose, its legal basis, the
persons whose data it holds and the categories of data it adds to the identifiers its tables carry.
The register of processing (``ops.processing_register``, ``platform_assets/privacy/register.py``) is
generated each run from these declarations, the tables' data classification (the publication's
column rules) and the ownership registry; a published table whose domain declares no purpose fails
its blocking check, so a new domain cannot publish before it says what it processes data for.

Tables that are not assets of their own (written beside an asset, by the publication or by a shared
library) name their domain in ``SIDE_TABLES``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Purpose:
    activity: str  # the processing activity, as a register lists it
    purpose: str
    legal_basis: str
    persons: tuple[str, ...]  # categories of data subjects
    data: tuple[str, ...]  # categories of data, besides the identifiers read from the columns
    retention: str  # how long its data is kept, as the platform applies it


CUSTOMERS = "customers and prospects of the retailer's stores and web shops"
_UNTIL_ERASED = "rebuilt each run from the sources; a person is removed on erasure"

PURPOSES: dict[str, Purpose] = {
    "landing": Purpose(
        "Receiving the source systems' files",
        "Keep the source systems' exports as delivered, so every figure can be traced to its file and line.",
        "legitimate interest (customer relationship management)",
        (CUSTOMERS,),
        ("source records as delivered", "file lineage"),
        "as long as the source system delivers the record (raw and staging are not published)",
    ),
    "referential": Purpose(
        "Customer referential (identity resolution and golden record)",
        "Recognise one customer across stores, web shop, CRM, loyalty and e-mail to keep one accurate "
        "customer record and its contact choices.",
        "legitimate interest (customer relationship management); consent for the contact choices",
        (CUSTOMERS, "web shop visitors who logged in"),
        ("identification data", "contact choices (consents)", "browsing identifiers"),
        _UNTIL_ERASED,
    ),
    "sales": Purpose(
        "Sales facts per customer",
        "Measure what each customer buys, in stores and online, for reporting and customer analytics.",
        "legitimate interest (business reporting); accounting obligation for the transactions",
        (CUSTOMERS,),
        ("purchase history (orders, lines, amounts, stores)",),
        _UNTIL_ERASED + " (their sales stay in revenue without a customer id)",
    ),
    "marketing": Purpose(
        "Marketing measurement",
        "Measure acquisition channels, e-mail engagement, browsing and the lifetime value against the "
        "acquisition cost.",
        "legitimate interest (marketing measurement); consent for e-mail and web tracking",
        (CUSTOMERS, "e-mail subscribers", "web shop visitors who logged in"),
        ("acquisition channel", "e-mail engagement", "browsing behaviour", "marketing spend (no person)"),
        _UNTIL_ERASED,
    ),
    "features": Purpose(
        "Customer profiling (indicators, RFM, lifetime value)",
        "Describe each customer's relationship (recency, frequency, value, expected value) to adapt the "
        "relationship to it.",
        "legitimate interest (customer relationship management)",
        (CUSTOMERS,),
        ("derived behavioural indicators", "predicted value"),
        _UNTIL_ERASED + "; recomputed as of each run's reference date",
    ),
    "scores": Purpose(
        "Predictive scoring and segmentation",
        "Predict churn, life moments and department appetence and group customers into behavioural "
        "segments, to choose what to offer whom.",
        "legitimate interest (personalised marketing); no decision with legal effect is automated",
        (CUSTOMERS,),
        ("predicted probabilities and their drivers", "behavioural segment"),
        _UNTIL_ERASED + "; recomputed as of each run's reference date",
    ),
    "activation": Purpose(
        "Campaign targeting and measurement",
        "Select the customers a campaign contacts (only with the channel's consent, within the "
        "contact-pressure limit), export them to the channel and measure the campaign against a holdout.",
        "consent (e-mail, SMS, phone); legitimate interest (post)",
        (CUSTOMERS + " who consented to the channel",),
        ("contact details needed by the channel", "campaign contacts and exclusions", "holdout group"),
        "contact history kept for the measurement window; exports rewritten when a person is erased",
    ),
    "quality": Purpose(
        "Data-quality control",
        "Check the delivered data (quarantined rows, profiles, check outcomes) before anything is published.",
        "legitimate interest (accuracy of the data, GDPR art. 5(1)(d))",
        ("none: counts and rule names, no person",),
        ("data-quality measures",),
        "one row per run and check",
    ),
    "publish": Purpose(
        "Publication and privacy requests",
        "Publish the analyst (pseudonymous) and restricted files, and answer the data subjects' "
        "requests (erasure, access, portability) with their audit trail.",
        "legal obligation (GDPR art. 15, 17, 20, 30)",
        (CUSTOMERS, "persons who made a privacy request"),
        ("hashed identifiers of erased persons", "privacy request log", "run bookkeeping"),
        "erasure suppression list kept for as long as the erasure holds; access bundles kept until the "
        "person is erased or their retention period ends; privacy request and publication logs kept",
    ),
}

# Tables that are not an asset's own (the asset graph does not name their domain): who owns them.
SIDE_TABLES: dict[str, str] = {
    "ops.landing_files": "landing",
    "ops.model_metrics": "scores",
    "ops.model_registry": "scores",
    "ops.model_promotions": "scores",  # written by the promote_challenger job
    "ops.table_profiles": "quality",
    "ops.quarantine_by_rule": "quality",
    "ops.check_results": "quality",
    "ops.erasure_cleanups": "publish",
    "ops.publication_log": "publish",
    # written into each published file by the publication itself
    "ops.publication": "publish",
    "ops.published_tables": "publish",
    "ops.data_dictionary": "publish",
}


def purpose_of(domain: str | None) -> Purpose | None:
    return PURPOSES.get(domain) if domain else None
