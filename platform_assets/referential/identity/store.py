"""Reading and writing the identity tables: the previous run's crosswalk and registry, the erasure
requests, and one transaction that writes every identity table (and the erasure bookkeeping)."""

from dataclasses import replace
from datetime import datetime
from pathlib import Path

import duckdb
import polars as pl

from platform_assets.lib.tables import table_exists
from platform_assets.privacy.cleanups import record_cleanups
from platform_assets.privacy.erasure import Erasure, find_erasures, load_suppression, record_keys
from platform_assets.privacy.tables import LOG_TABLE, REQUESTS_MODEL, SUPPRESSION_TABLE
from platform_assets.referential.identity.schema import (
    FOLDED,
    HISTORY,
    HISTORY_DDL,
    IDS,
    IDS_DDL,
    QUALITY,
    RECORDS,
    WEIGHTS,
    XREF,
)
from platform_assets.referential.identity.stable_ids import IdAssignment

# The intermediate tables built from source records before identity resolution: the erased persons'
# rows leave them in its transaction (table -> its record id, `<source_system>:<source_id>`).
ERASED_RECORD_TABLES = {
    FOLDED: "record_id",
    RECORDS: "record_id",
    "intermediate.int_consent_choices": "source_system || ':' || source_id",
}


def previous_state(conn: duckdb.DuckDBPyConnection) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The last crosswalk (record_id, customer_id) and the id registry (customer_id, issued_seq);
    empty on a fresh warehouse."""
    previous = pl.DataFrame(schema={"record_id": pl.String, "customer_id": pl.String})
    registry = pl.DataFrame(schema={"customer_id": pl.String, "issued_seq": pl.Int64})
    if table_exists(conn, XREF):
        previous = conn.sql(f"select record_id, customer_id from {XREF}").pl()
    if table_exists(conn, IDS):
        registry = conn.sql(f"select customer_id, issued_seq from {IDS}").pl()
    return previous, registry


def identity_flags(conn: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """record_id, has_too_little_identity of every standardised record."""
    return conn.sql(f"select record_id, has_too_little_identity from {RECORDS}").pl()


def find_erasure(
    conn: duckdb.DuckDBPyConnection, ids: IdAssignment, run_id: str, now: datetime, restricted: Path
) -> Erasure:
    """The customers to erase this run (requests and the suppression list, which a fresh working file
    restores from the ``restricted`` published file)."""
    suppression, restored = load_suppression(conn, restricted)
    requests = conn.sql(f"select * from {REQUESTS_MODEL}").pl()
    logged = set()
    if table_exists(conn, LOG_TABLE):
        logged = set(conn.sql(f"select erasure_request_id from {LOG_TABLE}").pl()["erasure_request_id"])
    found = find_erasures(
        ids.assignments, record_keys(conn, ids.assignments), requests, suppression, logged, run_id, now
    )
    # A restored list goes back into the working file with this run's additions (else the dbt
    # models, which read the working file's list, would forget every earlier erasure).
    return replace(found, restored_from=restored, restored_suppression=suppression if restored else None)


def write_identity(
    conn: duckdb.DuckDBPyConnection,
    xref: pl.DataFrame,
    issued: pl.DataFrame,
    history: pl.DataFrame,
    retired: list[str],
    weights: pl.DataFrame,
    quality_row: dict | None,
    erasure: Erasure,
) -> None:
    """All identity tables (and the erasure bookkeeping) change together or not at all: the crosswalk
    is replaced, the registry, history, weights and quality appended, retired and merged ids marked.
    (``lib.tables.replace_table`` opens its own transaction, so it cannot be one step of this one.)"""
    conn.execute("create schema if not exists referential")
    conn.execute("create schema if not exists ops")
    conn.execute("begin transaction")
    try:
        conn.register("xref_frame", xref)
        conn.execute(f"create or replace table {XREF} as select * from xref_frame order by record_id")
        conn.execute(IDS_DDL)
        conn.register("issued_frame", issued)
        conn.execute(f"insert into {IDS} select *, 'active', null from issued_frame")
        conn.register("history_frame", history)
        conn.execute(HISTORY_DDL)
        conn.execute(f"insert into {HISTORY} select * from history_frame")
        conn.execute(
            f"update {IDS} set status = 'merged', merged_into = h.new_customer_id "
            "from history_frame h where h.reason = 'merge' and customer_ids.customer_id = h.old_customer_id"
        )
        if retired:
            conn.execute(
                f"update {IDS} set status = 'retired' where list_contains(?, customer_id)", [retired]
            )
        _append(conn, WEIGHTS, weights)
        if quality_row is not None:
            _append(conn, QUALITY, pl.DataFrame([quality_row]))
        write_erasure(conn, erasure)
        conn.execute("commit")
    except BaseException:
        conn.execute("rollback")
        raise


def _append(conn: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> None:
    """Appends ``frame`` to ``table``, created with the frame's columns on the first run."""
    view = "_append_" + table.replace(".", "_")
    conn.register(view, frame)
    conn.execute(f"create table if not exists {table} as select * from {view} limit 0")
    conn.execute(f"insert into {table} select * from {view}")
    conn.unregister(view)


def write_erasure(conn: duckdb.DuckDBPyConnection, erasure: Erasure) -> None:
    """Appends the new suppression entries and log rows, then removes every erased id (this run's
    and earlier ones, known by their hash) from the id registry and its history, and the erased
    persons' records from the intermediate tables identity read them from (raw and staging hold
    the files as the sources deliver them)."""
    rows = erasure.new_suppression
    if erasure.restored_suppression is not None:
        rows = pl.concat([erasure.restored_suppression.select(rows.columns), rows])
    _append(conn, SUPPRESSION_TABLE, rows)
    _append(conn, LOG_TABLE, erasure.new_log)
    erased = f"(select key_hash from {SUPPRESSION_TABLE} where key_type = 'customer_id')"
    conn.execute(f"delete from {IDS} where sha256(customer_id) in {erased}")
    conn.execute(
        f"delete from {HISTORY} where sha256(old_customer_id) in {erased} or sha256(new_customer_id) in {erased}"
    )
    conn.register(
        "erased_records",
        pl.DataFrame({"record_id": erasure.erased_record_ids}, schema={"record_id": pl.String}),
    )
    cleaned = {}
    for table, record_id in ERASED_RECORD_TABLES.items():
        if table_exists(conn, table):
            [(cleaned[table],)] = conn.execute(
                f"delete from {table} where {record_id} in (select record_id from erased_records)"
            ).fetchall()
    conn.unregister("erased_records")
    record_cleanups(conn, erasure.run_id, erasure.applied_at, cleaned)


def row_counts(conn: duckdb.DuckDBPyConnection, tables: list[str]) -> dict[str, int]:
    """Rows of each table."""
    return {table: conn.execute(f"select count(*) from {table}").fetchall()[0][0] for table in tables}
