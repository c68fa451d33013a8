"""Consent proof: every contact choice ever received, per source record and channel, kept across runs.

The consent file delivers each record's latest choice per channel and the e-mail tool its
unsubscribes and hard bounces (``intermediate.int_consent_choices``): a choice replaced at the source
would be lost from one run to the next. ``privacy.consent_ledger`` (working file only, never published)
keeps every distinct choice the platform has received — value, source system and record, origin, when
it was made and the run that first saw it — and ``referential.consent_history`` is the ledger of the
persons in the referential, with their customer id and the choice in effect per channel (the latest;
a tie: opt-out wins, as ``dim_customer`` decides). The history starts with the first run that keeps it;
a source that delivers every past choice gives them all at once.

Erasure: the ledger loses the records of erased persons (their record ids are on the suppression list)
every run, and a working file that has no ledger starts again from the restricted published file's
``referential.consent_history`` (as the suppression list does). No Dagster here.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb

from platform_assets.lib.tables import sql_literal, table_exists
from platform_assets.privacy.tables import SUPPRESSION_TABLE

LEDGER = "privacy.consent_ledger"
HISTORY = "referential.consent_history"
CHOICES = "intermediate.int_consent_choices"
XREF = "referential.customer_xref"
CHOICE_KEYS = (
    "source_system",
    "source_id",
    "consent_channel",
    "consent_status",
    "collected_at",
    "choice_origin",
)
LEDGER_COLUMNS = (
    (
        "source_system",
        "varchar",
        "System of the source record the choice was made on (crm, ecommerce, emailing).",
    ),
    (
        "source_id",
        "varchar",
        "Record id in that system (the ESP subscriber id for the e-mail tool's events).",
    ),
    ("consent_channel", "varchar", "email, sms, phone or post."),
    ("consent_status", "varchar", "opt_in or opt_out, as collected."),
    ("collected_at", "timestamp", "When the person made the choice (UTC), as the source says."),
    (
        "choice_origin",
        "varchar",
        "consent_file (the consent platform), email_unsubscribe or email_hard_bounce (the e-mail tool).",
    ),
    ("recorded_run_id", "varchar", "The platform run that first received the choice."),
    ("recorded_at", "timestamp", "When the platform first received it (UTC)."),
)
HISTORY_COLUMNS = (
    ("customer_id", "varchar", "The person (referential.dim_customer)."),
    *LEDGER_COLUMNS,
    (
        "is_in_effect",
        "boolean",
        "The choice in effect for the customer and channel: the latest across their records (a tie: opt-out "
        "wins), as dim_customer's has_<channel>_consent reads it.",
    ),
)
DESCRIPTION = (
    "Consent proof: every contact choice the platform received for each customer, per channel, with its "
    "value, source system and record, origin and time, kept across runs (a choice the source later replaced "
    "stays), and the one in effect. Restricted file only."
)

NO_CHOICE = (
    "no contact choice of a customer was received (no consent source, no e-mail unsubscribe or bounce)"
)


def _ledger_ddl() -> str:
    return ", ".join(f"{name} {type_}" for name, type_, _ in LEDGER_COLUMNS)


def ensure_ledger(conn: duckdb.DuckDBPyConnection, restricted: Path | None) -> str | None:
    """Creates the ledger when the working file has none, from the restricted published file's history
    when there is one; returns that file when the ledger was restored from it."""
    if table_exists(conn, LEDGER):
        return None
    conn.execute("create schema if not exists privacy")
    conn.execute(f"create table {LEDGER} ({_ledger_ddl()})")
    if restricted is None or not restricted.exists():
        return None
    conn.execute(f"attach {sql_literal(str(restricted))} as consent_backup (read_only)")
    try:
        if not table_exists(conn, HISTORY, catalog="consent_backup"):
            return None
        names = ", ".join(name for name, _, _ in LEDGER_COLUMNS)
        conn.execute(f"insert into {LEDGER} select distinct {names} from consent_backup.{HISTORY}")
        return str(restricted)
    finally:
        conn.execute("detach consent_backup")


def record_new_choices(conn: duckdb.DuckDBPyConnection, run_id: str, now: datetime) -> int:
    """Appends the choices of this run the ledger has not seen; returns how many."""
    keys = ", ".join(CHOICE_KEYS)
    [(before,)] = conn.execute(f"select count(*) from {LEDGER}").fetchall()
    conn.execute(
        f"insert into {LEDGER} select *, ?, ? from "
        f"(select distinct {keys} from {CHOICES} except select {keys} from {LEDGER})",
        [run_id, now],
    )
    [(after,)] = conn.execute(f"select count(*) from {LEDGER}").fetchall()
    return int(after - before)


def forget_erased(conn: duckdb.DuckDBPyConnection) -> int:
    """Deletes the choices of erased persons' records (their hashed record ids on the suppression
    list); returns how many."""
    if not table_exists(conn, SUPPRESSION_TABLE):
        return 0
    erased = (
        f"sha256(source_system || ':' || source_id) in "
        f"(select key_hash from {SUPPRESSION_TABLE} where key_type = 'record')"
    )
    [(count,)] = conn.execute(f"select count(*) from {LEDGER} where {erased}").fetchall()
    if count:
        conn.execute(f"delete from {LEDGER} where {erased}")
    return int(count)


HISTORY_SQL = f"""
    select x.customer_id, l.*,
        row_number() over (
            partition by x.customer_id, l.consent_channel
            order by l.collected_at desc, l.consent_status = 'opt_out' desc, l.source_system, l.source_id
        ) = 1 as is_in_effect
    from {LEDGER} l
    join {XREF} x on x.source_system = l.source_system and x.source_id = l.source_id
    order by x.customer_id, l.consent_channel, l.collected_at, l.source_system, l.source_id
"""
