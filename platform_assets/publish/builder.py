"""Builds the two published DuckDB files from the working file, table by table.

Runs on the publication step's connection to the working file (the only one open): each target
file is ATTACHed, filled with ``create table … as select`` (erased customers filtered out once
more), documented with COMMENTs, checkpointed and detached. Nothing here touches the published
directory's current files.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from platform_assets.lib.tables import EMPTY_BY_DESIGN, sql_literal, table_exists
from platform_assets.privacy import dormancy
from platform_assets.privacy.tables import DORMANT_TABLE, SUPPRESSION_TABLE
from platform_assets.publish.classification import PublishedColumn, Treatment, analyst_columns
from platform_assets.publish.docs import ColumnEntry, TableDoc, comment_statements

CUSTOMER_ID = re.compile(r"(^|_)customer_id$")
# Values that are direct identifiers whatever their column is called.
EMAIL_VALUE = r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$"
PHONE_VALUE = r"^\+[0-9]{8,15}$"
# DuckDB 2.0 writes its v2.0.0 storage format by default, which no DuckDB before 2.0 opens; the published
# files are written in v1.5.0, which DuckDB 1.5.0 and later read: the DuckDB CLI 1.5.6 (dev dependency
# `duckdb-cli`) opens the analyst file in tests/publish/test_released_cli.py.
STORAGE_VERSION = "v1.5.0"

PUBLICATION_DOCS = {
    "ops.publication": TableDoc(
        "This file's publication: the run that built it, its reference date, when it was published.",
        {
            "run_id": "Dagster run that built and published the file.",
            "reference_date": "The date every score in the file is computed as of.",
            "published_at": "When the file was published (UTC).",
            "file_kind": "analyst (no direct identifiers) or restricted (personal data).",
        },
    ),
    "ops.published_tables": TableDoc(
        "Table of contents: every table of this file with its row count and description.",
        {
            "schema_name": "Schema of the table.",
            "table_name": "Table name.",
            "row_count": "Rows in the table at publication.",
            "description": "What the table holds (also its DuckDB comment).",
        },
    ),
    "ops.data_dictionary": TableDoc(
        "Data dictionary: every column of every table of this file, with its type, description and privacy "
        "treatment.",
        {
            "schema_name": "Schema of the table.",
            "table_name": "Table name.",
            "column_name": "Column name.",
            "data_type": "DuckDB type.",
            "description": "What the column holds (also its DuckDB comment).",
            "treatment": "keep, or how the analyst file derived it from personal data (birth_year, postcode_area).",
        },
    ),
}


class PersonalDataFoundError(ValueError):
    """The analyst file would contain values shaped like e-mails or phone numbers."""


@dataclass(frozen=True)
class BuiltFile:
    rows: dict[str, int]  # schema.table -> rows, publication tables included
    entries: list[ColumnEntry]
    seconds: dict[str, float]  # what took the time: each table's copy, then the personal-data scan
    docs: dict[str, TableDoc]  # as published: asset docs completed by the working file's comments


def source_tables(
    conn: duckdb.DuckDBPyConnection, schemas: tuple[str, ...], tables: tuple[str, ...] = ()
) -> dict[str, list[str]]:
    """``schema.table`` -> columns (in order) of the working file's tables in ``schemas``, and of the
    single ``tables`` (``schema.table``) named besides."""
    rows = conn.execute(
        "select schema_name || '.' || table_name, list(column_name order by column_index) "
        "from duckdb_columns() where database_name = current_database() and (list_contains(?, schema_name) "
        "or list_contains(?, schema_name || '.' || table_name)) group by all order by 1",
        [list(schemas), list(tables)],
    ).fetchall()
    return {table: columns for table, columns in rows}


def _erased_filter(columns: list[str], source: str, has_suppression: bool) -> str:
    """Rows of erased customers (known by hash) are left out; hashing only distinct ids is cheap."""
    id_columns = [c for c in columns if CUSTOMER_ID.search(c)]
    if not has_suppression or not id_columns:
        return ""
    erased = f"(select key_hash from {SUPPRESSION_TABLE} where key_type = 'customer_id')"
    conditions = [
        f'("{c}" is null or "{c}" not in (select id from (select distinct "{c}" as id from {source}) '
        f"where sha256(id) in {erased}))"
        for c in id_columns
    ]
    return " where " + " and ".join(conditions)


def build(
    conn: duckdb.DuckDBPyConnection,
    target: Path,
    catalog: str,
    tables: dict[str, list[str]],
    docs: dict[str, TableDoc],
    analyst: bool,
    publication: dict,
) -> BuiltFile:
    """Writes ``target`` (a new file) with ``tables`` of the working file: analyst columns only when
    ``analyst``, every column otherwise; then comments, the table of contents and the dictionary."""
    conn.execute(f"attach {sql_literal(str(target))} as {catalog} (storage_version '{STORAGE_VERSION}')")
    try:
        has_suppression = table_exists(conn, SUPPRESSION_TABLE)
        # customers past the retention period for inactive customers (privacy/dormancy.py)
        has_dormant = table_exists(conn, DORMANT_TABLE) and bool(
            conn.execute(f"select count(*) from {DORMANT_TABLE}").fetchall()[0][0]
        )
        rows: dict[str, int] = {}
        entries: list[ColumnEntry] = []
        effective: dict[str, TableDoc] = {}
        seconds: dict[str, float] = {}
        for table, columns in tables.items():
            started = time.perf_counter()
            schema_name, table_name = table.split(".")
            published = analyst_columns(table, columns) if analyst else [_as_is(c) for c in columns]
            if not analyst and has_dormant:
                published = _without_dormant_identifiers(table, columns, published)
            if not published:  # nothing but personal data: the table stays in the restricted file
                continue
            select = ", ".join(f'{p.expression} as "{p.name}"' for p in published)
            source = f'"{schema_name}"."{table_name}"'
            conn.execute(f'create schema if not exists {catalog}."{schema_name}"')
            conn.execute(
                f'create table {catalog}."{schema_name}"."{table_name}" as '
                f"select {select} from {source}{_erased_filter(columns, source, has_suppression)}"
            )
            rows[table] = conn.execute(
                f'select count(*) from {catalog}."{schema_name}"."{table_name}"'
            ).fetchall()[0][0]
            types = dict(
                conn.execute(
                    "select column_name, data_type from duckdb_columns() "
                    "where database_name = ? and schema_name = ? and table_name = ?",
                    [catalog, schema_name, table_name],
                ).fetchall()
            )
            doc = effective[table] = _privacy_note(
                _with_working_comments(conn, table, docs.get(table)), columns, published
            )
            table_entries = [
                ColumnEntry(
                    schema_name,
                    table_name,
                    p.name,
                    types[p.name],
                    p.description or (doc.columns.get(p.source_column) if doc else None),
                    str(p.treatment),
                )
                for p in published
            ]
            entries += table_entries
            _execute_all(conn, comment_statements(catalog, table, doc, table_entries))
            seconds[table] = time.perf_counter() - started
        if analyst:
            started = time.perf_counter()
            scan_for_personal_data(conn, catalog, entries)
            seconds["personal data scan"] = time.perf_counter() - started
        rows.update(_publication_tables(conn, catalog, rows, effective, entries, publication))
        started = time.perf_counter()
        conn.execute(f"checkpoint {catalog}")
        seconds["checkpoint"] = time.perf_counter() - started
    finally:
        conn.execute(f"detach {catalog}")
    return BuiltFile(rows, entries, seconds, {**effective, **PUBLICATION_DOCS})


def _with_working_comments(conn: duckdb.DuckDBPyConnection, table: str, doc: TableDoc | None) -> TableDoc:
    """The asset's documentation, completed by DuckDB comments a domain left in the working file
    (for tables that are not assets of their own, such as ops.landing_files); a table left empty by
    design says why before what it holds."""
    schema_name, table_name = table.split(".")
    [(comment,)] = conn.execute(
        "select comment from duckdb_tables() where database_name = current_database() "
        "and schema_name = ? and table_name = ?",
        [schema_name, table_name],
    ).fetchall()
    columns = dict(
        conn.execute(
            "select column_name, comment from duckdb_columns() where database_name = current_database() "
            "and schema_name = ? and table_name = ? and comment is not null",
            [schema_name, table_name],
        ).fetchall()
    )
    doc = doc or TableDoc(None)
    description = doc.description or comment
    if comment and comment.startswith(EMPTY_BY_DESIGN) and doc.description:  # why it is empty, first
        description = f"{comment}. {doc.description}"
    return TableDoc(description, {**columns, **doc.columns}, doc.owners)


def _privacy_note(doc: TableDoc, columns: list[str], published: list[PublishedColumn]) -> TableDoc:
    """Says in the table's own description what the analyst file left out or coarsened."""
    kept = {p.source_column for p in published if p.treatment is Treatment.KEEP}
    derived = [f"{p.source_column} -> {p.name}" for p in published if p.treatment is not Treatment.KEEP]
    dropped = [c for c in columns if c not in kept and c not in {p.source_column for p in published}]
    if not dropped and not derived:
        return doc
    note = (
        "Analyst file: "
        + "; ".join(
            part
            for part in (
                f"removed {', '.join(dropped)}" if dropped else "",
                f"coarsened {', '.join(derived)}" if derived else "",
            )
            if part
        )
        + " (personal data: see the restricted file)."
    )
    return TableDoc(f"{doc.description} {note}" if doc.description else note, doc.columns, doc.owners)


def _without_dormant_identifiers(
    table: str, columns: list[str], published: list[PublishedColumn]
) -> list[PublishedColumn]:
    """The restricted file's columns, each direct identifier null on the rows of a customer past the
    retention period for inactive customers (the row and its facts stay)."""
    identifying = set(dormancy.identifying_columns(table, columns))
    condition = dormancy.dormant_condition(columns, DORMANT_TABLE) if identifying else None
    if condition is None:
        return published
    return [
        PublishedColumn(
            p.name, dormancy.blanked(p.source_column, condition), p.source_column, p.treatment, p.description
        )
        if p.source_column in identifying
        else p
        for p in published
    ]


def _as_is(column: str) -> PublishedColumn:
    return PublishedColumn(column, f'"{column}"', column, Treatment.KEEP, None)


def _may_be_personal(column: str) -> str:
    """Cheap prefilter: a value with an '@' or a leading '+' (DuckDB evaluates a regex on every row
    of a FILTER, even where an AND's first term is false: 9 s vs 1 s on 23M sales lines)."""
    quoted = f'"{column}"'
    return f"count(*) filter (where contains({quoted}, '@') or starts_with({quoted}, '+'))"


def _looks_personal(column: str) -> str:
    quoted = f'"{column}"'
    return (
        f"count(*) filter (where regexp_full_match({quoted}, '{EMAIL_VALUE}') "
        f"or regexp_full_match({quoted}, '{PHONE_VALUE}'))"
    )


def personal_data_counts(
    conn: duckdb.DuckDBPyConnection, catalog: str, entries: list[ColumnEntry]
) -> dict[str, int]:
    """``schema.table.column`` -> values shaped like an e-mail or a phone number, for the text columns
    the prefilter flagged (one prefilter scan per table; the exact patterns run only on those)."""
    text_columns: dict[str, list[str]] = {}
    for e in entries:
        if e.data_type == "VARCHAR":
            text_columns.setdefault(f"{e.schema_name}.{e.table_name}", []).append(e.column_name)
    counts: dict[str, int] = {}
    for table, columns in text_columns.items():
        schema_name, table_name = table.split(".")
        source = f'{catalog}."{schema_name}"."{table_name}"'
        candidates = conn.execute(
            f"select {', '.join(_may_be_personal(c) for c in columns)} from {source}"
        ).fetchall()[0]
        suspects = [c for c, n in zip(columns, candidates, strict=True) if n]
        if not suspects:
            continue
        found = conn.execute(
            f"select {', '.join(_looks_personal(c) for c in suspects)} from {source}"
        ).fetchall()[0]
        counts.update({f"{table}.{c}": int(n) for c, n in zip(suspects, found, strict=True)})
    return counts


def scan_for_personal_data(conn: duckdb.DuckDBPyConnection, catalog: str, entries: list[ColumnEntry]) -> None:
    """Last line of defence: no text value of the analyst file may look like an e-mail or a phone
    number, whatever its column is called."""
    found = [
        f"{column} ({n} values)" for column, n in personal_data_counts(conn, catalog, entries).items() if n
    ]
    if found:
        raise PersonalDataFoundError(
            "values shaped like e-mails or phone numbers in the analyst file: "
            + ", ".join(found)
            + ". Classify these columns DROP in platform_assets/publish/classification.py."
        )


def _publication_tables(conn, catalog, rows, docs, entries, publication) -> dict[str, int]:
    """ops.publication, ops.published_tables and ops.data_dictionary, written into the file itself,
    so an analyst who has only the file knows what it is."""
    conn.execute(f"create schema if not exists {catalog}.ops")
    conn.execute(
        f"create table {catalog}.ops.publication as select ?::varchar as run_id, ?::date as reference_date, "
        "?::timestamp as published_at, ?::varchar as file_kind",
        [
            publication["run_id"],
            publication["reference_date"],
            publication["published_at"],
            publication["file_kind"],
        ],
    )
    conn.execute(
        f"create table {catalog}.ops.published_tables (schema_name varchar, table_name varchar, "
        "row_count bigint, description varchar)"
    )
    conn.execute(
        f"create table {catalog}.ops.data_dictionary (schema_name varchar, table_name varchar, "
        "column_name varchar, data_type varchar, description varchar, treatment varchar)"
    )
    own = [
        ColumnEntry(
            "ops",
            table_name,
            column,
            data_type,
            PUBLICATION_DOCS[f"ops.{table_name}"].columns[column],
            "keep",
        )
        for table_name, column, data_type in conn.execute(
            "select table_name, column_name, data_type from duckdb_columns() where database_name = ? "
            "and schema_name = 'ops' and list_contains(?, 'ops.' || table_name) order by table_name, column_index",
            [catalog, list(PUBLICATION_DOCS)],
        ).fetchall()
    ]
    all_rows = {**rows, "ops.publication": 1, "ops.published_tables": len(rows) + 3, "ops.data_dictionary": 0}
    all_rows["ops.data_dictionary"] = len(entries) + len(own)
    all_docs = {**docs, **PUBLICATION_DOCS}
    # one insert of each list (executemany runs a statement per row: seconds for a few thousand)
    _insert_rows(
        conn,
        f"{catalog}.ops.published_tables",
        ("schema_name", "table_name", "row_count", "description"),
        [(*t.split("."), n, all_docs[t].description if t in all_docs else None) for t, n in all_rows.items()],
    )
    _insert_rows(
        conn,
        f"{catalog}.ops.data_dictionary",
        ("schema_name", "table_name", "column_name", "data_type", "description", "treatment"),
        [
            (e.schema_name, e.table_name, e.column_name, e.data_type, e.description, e.treatment)
            for e in entries + own
        ],
    )
    for table, doc in PUBLICATION_DOCS.items():
        columns = [e for e in own if f"ops.{e.table_name}" == table]
        _execute_all(conn, comment_statements(catalog, table, doc, columns))
    entries += own
    return {t: all_rows[t] for t in PUBLICATION_DOCS}


def _execute_all(conn: duckdb.DuckDBPyConnection, statements: list[str]) -> None:
    # one call per statement: DuckDB runs a multi-statement string slower (measured)
    for statement in statements:
        conn.execute(statement)


def _insert_rows(
    conn: duckdb.DuckDBPyConnection, table: str, names: tuple[str, ...], rows: list[tuple]
) -> None:
    import pyarrow as pa

    if not rows:
        return
    data = pa.table({name: [row[i] for row in rows] for i, name in enumerate(names)})
    conn.register("_publication_rows", data)
    try:
        conn.execute(f"insert into {table} by name select * from _publication_rows")
    finally:
        conn.unregister("_publication_rows")
