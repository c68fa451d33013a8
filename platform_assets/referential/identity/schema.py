"""The tables identity resolution writes: what each holds (description, grain, columns) and the DDL of
those it appends to. Plain data: the asset module turns it into Dagster specs."""

from platform_assets.privacy.tables import LOG_TABLE, RECORDS_MODEL, SUPPRESSION_TABLE

# what identity resolution reads: the standardised person records and the loyalty cards
RECORDS = RECORDS_MODEL
CARDS = "staging.stg_loyalty__cards"
# the dbt model the records are standardised from, and the bad values standardisation nulled
FOLDED = "intermediate.int_customer_records"
WARNINGS = "referential.identity_field_warnings"

# table -> (description, grain, {column: description}) of the standardisation step
STANDARDISATION_TABLES: dict[str, tuple[str, str, dict[str, str]]] = {
    RECORDS: (
        "Every person record identity resolution matches (int_customer_records), with its phone in E.164 "
        "(phonenumbers, the business unit's default region), its unusable values nulled (each one a row of "
        "referential.identity_field_warnings) and the records with no usable identifier flagged.",
        "one row per person record",
        {
            "record_id": "`<source_system>:<source_id>`.",
            "phone_e164": "Phone in E.164; null when not a valid number for the record's region.",
            "birth_date": "Birth date; null when before 1900-01-01 or after the record's creation.",
            "has_too_little_identity": "No e-mail, phone or customer number, and no name with a birth "
            "date or an address: not matched, its own flagged customer.",
        },
    ),
    WARNINGS: (
        "Values standardisation could not use and nulled (a phone that is not a valid number, an e-mail "
        "that is not one, a name without a letter, an implausible birth date), and the records left "
        "unmatched for lack of any usable identifier. The record itself is kept.",
        "one row per value nulled or record left unmatched",
        {
            "record_id": "The record, as in int_customer_records_standardised.",
            "source_system": "Its source system.",
            "source_id": "Its id in that system.",
            "field": "The field nulled (email, phone, first_name, last_name, postcode, birth_date), or "
            "'record' for a record with no usable identifier.",
            "value": "The value as keyed (null for a record).",
            "reason": "Why it was nulled or left unmatched.",
        },
    ),
}

XREF = "referential.customer_xref"
IDS = "referential.customer_ids"
HISTORY = "referential.customer_id_history"
QUALITY = "ops.identity_match_quality"
WEIGHTS = "ops.identity_match_weights"

# the erasure bookkeeping, written with the identity tables but owned by the publish domain
ERASURE_TABLES = (SUPPRESSION_TABLE, LOG_TABLE)

IDS_DDL = f"""
create table if not exists {IDS} (
    customer_id varchar primary key, issued_seq bigint, issued_run_id varchar, issued_at timestamp,
    anchor_record_id varchar, status varchar, merged_into varchar
)"""
HISTORY_DDL = f"""
create table if not exists {HISTORY} (
    old_customer_id varchar, new_customer_id varchar, reason varchar, records bigint, run_id varchar,
    changed_at timestamp
)"""

XREF_COLUMNS = (
    "record_id",
    "source_system",
    "source_id",
    "customer_id",
    "match_rule",
    "match_probability",
    "is_too_little_identity",
    "linked_run_id",
    "linked_at",
)

# table -> (description, grain, {column: description})
TABLES: dict[str, tuple[str, str, dict[str, str]]] = {
    XREF: (
        "Crosswalk: every source record (CRM contact, web account, guest order, e-mail subscriber, loyalty "
        "card) -> its stable customer_id, with the rule or Splink probability that linked it.",
        "one row per source record",
        {
            "record_id": "`<source_system>:<source_id>`, as in int_customer_records_standardised.",
            "source_system": "crm, ecommerce (account), ecommerce_guest (guest order), emailing (subscriber) or "
            "loyalty (card).",
            "source_id": "Id of the record in its source system.",
            "customer_id": "Stable customer id the record belongs to.",
            "match_rule": "How the record joined its customer: first_record, email, phone, name_address, "
            "name_birth_date, loyalty_card, probabilistic (Splink) or too_little_identity.",
            "match_probability": "Splink match probability of a probabilistic link; null for deterministic rules.",
            "is_too_little_identity": "True when the record carries too little identity to be matched.",
            "linked_run_id": "Dagster run that last linked the record.",
            "linked_at": "When the record was last linked (UTC).",
        },
    ),
    IDS: (
        "Registry of every customer id ever issued: when, by which run, from which anchor record, and its "
        "status (active, merged into another id, retired).",
        "one row per customer id ever issued",
        {
            "customer_id": "Customer id.",
            "issued_seq": "Order of issue (smaller = issued earlier); the survivor of a merge is the earliest.",
            "issued_run_id": "Dagster run that issued the id.",
            "issued_at": "When the id was issued (UTC).",
            "anchor_record_id": "The record the id was derived from (smallest record id of its first cluster).",
            "status": "active, merged (into merged_into) or retired (its records are all gone).",
            "merged_into": "The id this one was merged into, when merged.",
        },
    ),
    HISTORY: (
        "Every merge and split of existing customer ids: old id, new id, reason, records moved, run.",
        "one row per id change",
        {
            "old_customer_id": "The id the records had.",
            "new_customer_id": "The id they have now.",
            "reason": "merge or split.",
            "records": "Records moved.",
            "run_id": "Dagster run that made the change.",
            "changed_at": "When (UTC).",
        },
    ),
    QUALITY: (
        "Match quality of each run against the demo generator's ground truth (when present): pairwise "
        "precision, recall, F1, false merges, cluster purity.",
        "one row per run",
        {
            "run_id": "Dagster run measured.",
            "measured_at": "When (UTC).",
            "link_threshold": "Splink match probability from which two records were linked.",
            "records": "Records compared with the ground truth.",
            "clusters": "Customers (clusters) among them.",
            "true_entities": "True persons among them.",
            "true_pairs": "Pairs put together that are the same person.",
            "predicted_pairs": "Pairs put together.",
            "actual_pairs": "Pairs that are the same person.",
            "precision": "true_pairs / predicted_pairs.",
            "recall": "true_pairs / actual_pairs.",
            "f1": "Harmonic mean of precision and recall.",
            "false_merges": "Clusters holding more than one true person.",
            "cluster_purity": "Share of records in their cluster's majority person.",
        },
    ),
    WEIGHTS: (
        "Trained Fellegi-Sunter parameters of each run (m, u, match weight per comparison level).",
        "one row per run and comparison level",
        {
            "comparison": "Compared attribute (Splink comparison).",
            "comparison_level": "Level of agreement within the comparison.",
            "comparison_vector_value": "Splink's index of the level.",
            "m_probability": "P(level | same person), trained by EM.",
            "u_probability": "P(level | different persons), estimated by sampling.",
            "match_weight": "log2(m / u): evidence the level brings.",
            "run_id": "Dagster run that trained the weights.",
            "link_threshold": "Match probability from which two records were linked in that run.",
        },
    ),
    SUPPRESSION_TABLE: (
        "Persistent suppression list of the right to erasure: sha256 of every identifier of every person "
        "erased. A source record matching one never becomes a customer again, even once the request file "
        "is gone. Kept across runs (and in the restricted published file).",
        "one row per hashed identifier",
        {
            "key_type": "record (source record id), email or phone (as the request gave them) or customer_id.",
            "key_hash": "Hex sha256 of the standardised identifier.",
            "erasure_request_id": "The request that put the identifier on the list.",
            "added_run_id": "Dagster run that added it.",
            "added_at": "When it was added (UTC).",
        },
    ),
    LOG_TABLE: (
        "Audit log of right-to-erasure requests: when each request was applied and what it removed, with "
        "hashed identifiers only.",
        "one row per erasure request",
        {
            "erasure_request_id": "Erasure request id (consent/erasure_requests.csv).",
            "email_sha256": "Hex sha256 of the request's standardised e-mail (null when none).",
            "phone_sha256": "Hex sha256 of the request's phone in E.164 (null when none).",
            "country_code": "Business unit that received the request.",
            "requested_at": "When the request was received (UTC).",
            "customer_id_sha256": "Hex sha256 of each customer id erased by the request.",
            "customers_erased": "Customers (identity clusters) erased.",
            "records_erased": "Source records of those customers removed from the referential.",
            "applied_run_id": "Dagster run that applied the request.",
            "applied_at": "When it was applied (UTC).",
        },
    ),
}
