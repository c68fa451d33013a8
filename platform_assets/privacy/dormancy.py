"""Retention of inactive customers: a customer with no activity for the configured number of years
before the run's reference date keeps their facts (sales, events, scores, under their customer id)
but loses their direct identifiers in what the platform hands out: the restricted file, the export
files and the kept publication snapshots.

Activity is what the retailer's configuration counts (``privacy.retention.activity``), each kind read
from one working-file table: a purchase (``sales.fct_sales_lines``), an e-mail open or click
(``marketing.fct_email_events``; a send is the retailer's act, not the customer's), a web event of a
cookie linked to them (``marketing.fct_web_events``), a consent choice (``referential.consent_history``)
or a source record of theirs created or updated (``intermediate.int_customer_records_standardised``
through ``referential.customer_xref``). A customer with no dated activity of any counted kind is kept:
inactivity is never presumed.

The identifiers removed are what the analyst file leaves out or coarsens (``publish/classification.py``:
names, e-mail, phone, address, birth date, source-record ids, cookies and visits), run lineage aside;
the row stays with its customer id, so every count and sum is unchanged. No Dagster here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import duckdb

from platform_assets.lib.engine_queries import Scan, on_duckdb
from platform_assets.lib.tables import replace_table, table_exists
from platform_assets.privacy.tables import DORMANT_TABLE

CUSTOMERS = "referential.dim_customer"
XREF = "referential.customer_xref"
CUSTOMER_ID = re.compile(r"(^|_)customer_id$")
# Run lineage that a rule keeps out of the analyst file but that says nothing about the person.
LINEAGE = frozenset({"linked_run_id", "linked_at"})

# kind -> (tables it reads, SQL giving customer_id and activity_date)
ACTIVITY: dict[str, tuple[tuple[str, ...], str]] = {
    "purchase": (
        ("sales.fct_sales_lines",),
        "select customer_id, coalesce(sold_date, ordered_date) as activity_date from sales.fct_sales_lines "
        "where customer_id is not null",
    ),
    "email_engagement": (
        ("marketing.fct_email_events",),
        "select customer_id, event_at::date from marketing.fct_email_events "
        "where customer_id is not null and event_type in ('open', 'click')",
    ),
    "web_visit": (
        ("marketing.fct_web_events",),
        "select customer_id, event_date from marketing.fct_web_events where customer_id is not null",
    ),
    "consent_choice": (
        ("referential.consent_history",),
        "select customer_id, collected_at::date from referential.consent_history",
    ),
    "record_update": (
        (XREF, "intermediate.int_customer_records_standardised"),
        f"select x.customer_id, greatest(r.record_created_at, r.record_updated_at)::date from {XREF} x "
        "join intermediate.int_customer_records_standardised r using (record_id)",
    ),
}

COLUMNS = (
    ("customer_id", "varchar", "The customer past the retention period (pseudonymous id)."),
    ("last_activity_date", "date", "Their latest activity of a counted kind."),
    ("last_activity_kind", "varchar", "What that activity was (purchase, email_engagement, ...)."),
    ("reference_date", "date", "The run's reference date the inactivity is counted from."),
    ("run_id", "varchar", "The run that found them."),
)
DESCRIPTION = (
    "Customers past the retention period for inactive customers (privacy.retention.inactive_customer_years): "
    "no counted activity in that many years before the reference date. Working file only: the publication "
    "withholds their direct identifiers from the restricted file, the retention step from the exports and "
    "the kept snapshots. Replaced each run (empty when no period is configured)."
)


@dataclass(frozen=True)
class Dormancy:
    customers: int  # past the period
    undated: int  # customers with no dated activity of a counted kind: kept
    cutoff: date | None  # activity before this day is too old; None: no period configured


def cutoff_date(reference_date: date, years: int) -> date:
    """The day ``years`` before ``reference_date`` (29 February falls back to the 28th)."""
    try:
        return reference_date.replace(year=reference_date.year - years)
    except ValueError:
        return reference_date.replace(year=reference_date.year - years, day=28)


def activity_sql(
    conn: duckdb.DuckDBPyConnection, kinds: tuple[str, ...], reference_date: date, scan: Scan = on_duckdb
) -> str | None:
    """customer_id, activity_date (their latest before ``reference_date``), kind: one row per customer and
    counted kind whose tables exist (an absent source leaves its marts empty or missing: that kind then
    counts nothing). Only what happened before the reference date counts: a backfill sees the data as of its day.
    The activities (every sales line, e-mail and web event) are scanned where ``scan`` runs (lib/engine_queries.py)."""
    counted = [
        (kind, tables, sql)
        for kind in kinds
        for tables, sql in [ACTIVITY[kind]]
        if all(table_exists(conn, t) for t in tables)
    ]
    parts = [
        f"select customer_id, max(activity_date) as activity_date, '{kind}' as kind "
        f"from ({sql}) as a(customer_id, activity_date) "
        f"where activity_date < '{reference_date.isoformat()}'::date group by customer_id"
        for kind, _, sql in counted
    ]
    if not parts:
        return None
    return scan(" union all ".join(parts), sorted({t for _, tables, _ in counted for t in tables}))


def past_retention_sql(
    conn: duckdb.DuckDBPyConnection,
    reference_date: date,
    years: int | None,
    kinds: tuple[str, ...],
    scan: Scan = on_duckdb,
) -> str | None:
    """customer_id of every customer past the period, as ``find_dormant`` counts them (a customer with no
    dated activity is not); None when no period is configured or no counted kind has its tables. For the
    steps that run before the retention step (activation: nobody past it is contacted)."""
    activities = activity_sql(conn, kinds, reference_date, scan) if years is not None else None
    if activities is None:
        return None
    cutoff = cutoff_date(reference_date, years)
    return (
        f"select customer_id from ({activities}) group by customer_id "
        f"having max(activity_date) < '{cutoff.isoformat()}'::date"
    )


def find_dormant(
    conn: duckdb.DuckDBPyConnection,
    reference_date: date,
    years: int | None,
    kinds: tuple[str, ...],
    run_id: str,
    scan: Scan = on_duckdb,
) -> Dormancy:
    """Replaces ``DORMANT_TABLE`` with the customers past the period (none when ``years`` is None)."""
    empty = "select " + ", ".join(f"null::{t} as {c}" for c, t, _ in COLUMNS) + " where false"
    activities = activity_sql(conn, kinds, reference_date, scan) if years is not None else None
    if years is None or activities is None or not table_exists(conn, CUSTOMERS):
        replace_table(conn, DORMANT_TABLE, empty)
        return Dormancy(0, 0, cutoff_date(reference_date, years) if years is not None else None)
    cutoff = cutoff_date(reference_date, years)
    # the kind of the latest activity (a tie: the last kind by name, so a rerun says the same)
    latest = f"""
        select c.customer_id, arg_max(a.kind, strftime(a.activity_date, '%Y%m%d') || a.kind) as last_activity_kind,
               max(a.activity_date) as last_activity_date
        from {CUSTOMERS} c left join ({activities}) a on a.customer_id = c.customer_id
        group by c.customer_id
    """
    conn.execute(f"create or replace temp table _retention_latest as {latest}")
    try:
        replace_table(
            conn,
            DORMANT_TABLE,
            f"select customer_id, last_activity_date, last_activity_kind, "
            f"'{reference_date.isoformat()}'::date as reference_date, '{run_id}' as run_id "
            f"from _retention_latest where last_activity_date < '{cutoff.isoformat()}'::date order by customer_id",
        )
        [(customers, undated)] = conn.execute(
            "select count(*) filter (where last_activity_date < ?::date), "
            "count(*) filter (where last_activity_date is null) from _retention_latest",
            [cutoff],
        ).fetchall()
    finally:
        conn.execute("drop table if exists _retention_latest")
    return Dormancy(int(customers), int(undated), cutoff)


def identifying_columns(table: str, columns: list[str]) -> list[str]:
    """The columns a dormant customer's row loses: those the analyst file drops or coarsens, lineage aside."""
    # imported here: the publication (publish/__init__) imports this module through exports.py and snapshots.py
    from platform_assets.publish.classification import Treatment, treatment_of

    return [
        c
        for c in columns
        if (t := treatment_of(table, c)) is not None and t is not Treatment.KEEP and c not in LINEAGE
    ]


def dormant_condition(columns: list[str], dormant: str, xref: str | None = XREF) -> str | None:
    """SQL true on a row of a dormant customer: by its customer id column(s), else by its source record id
    through the crosswalk (``xref``); None when the row cannot be tied to a customer."""
    ids = [c for c in columns if CUSTOMER_ID.search(c)]
    if ids:
        return " or ".join(f'coalesce("{c}" in (select customer_id from {dormant}), false)' for c in ids)
    if "record_id" in columns and xref:
        return (
            f'coalesce("record_id" in (select record_id from {xref} '
            f"where customer_id in (select customer_id from {dormant})), false)"
        )
    return None


def blanked(column: str, condition: str) -> str:
    """The column's value, null on a dormant customer's row."""
    return f'case when {condition} then null else "{column}" end'


def anonymised_select(table: str, columns: list[str], dormant: str, xref: str | None = XREF) -> str | None:
    """The select list that keeps every column but blanks a dormant customer's identifiers; None when the
    table holds no identifier or cannot be tied to a customer (then nothing is changed)."""
    identifying = identifying_columns(table, columns)
    condition = dormant_condition(columns, dormant, xref) if identifying else None
    if condition is None:
        return None
    return ", ".join(f'{blanked(c, condition)} as "{c}"' if c in identifying else f'"{c}"' for c in columns)


def identified_rows_sql(
    table: str, source: str, columns: list[str], dormant: str, xref: str | None = XREF
) -> str | None:
    """SQL counting the rows of ``source`` (``table``'s data) where a dormant customer still has an identifier."""
    identifying = identifying_columns(table, columns)
    condition = dormant_condition(columns, dormant, xref) if identifying else None
    if condition is None:
        return None
    present = " or ".join(f'"{c}" is not null' for c in identifying)
    return f"select count(*) from {source} where ({condition}) and ({present})"
