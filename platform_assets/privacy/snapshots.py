"""Erasure reaches the publication snapshots kept from earlier runs: each snapshot file holding a
person erased since it was published is rewritten without them, so no kept snapshot lets an
erased person survive (the current publication is built without them already).

A file is rewritten whole into a new file, never edited in place: DuckDB does not zero the blocks
a delete frees, so an edited file would still carry the values. The new file takes the old one's
place in one rename; a reader who has the old file open keeps reading it until they close it.
The snapshot's manifest records each rewrite (run, rows removed per table).

Retention reuses the rewrite (``anonymise_snapshots``): the customers past the retention period for
inactive customers keep their rows, their direct identifiers blanked (``dormancy.py``).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import duckdb

from platform_assets.lib.tables import sql_literal, table_exists
from platform_assets.privacy import dormancy
from platform_assets.privacy.tables import DORMANT_TABLE, SUPPRESSION_TABLE

CUSTOMER_ID = re.compile(r"(^|_)customer_id$")
# column -> (suppression key type, SQL that standardises it like identity does); any column whose
# name ends in customer_id counts as a customer id
IDENTIFIER_COLUMNS = {"email": ("email", "lower(trim({c}))"), "phone_e164": ("phone", "{c}")}
SOURCE = "erasure_snapshot"
TARGET = "erasure_rewrite"
CHECKED = "erasure_checked_against"  # manifest key: erased customers the snapshot was last cleaned against


def erased_condition(table: str, column: str, suppression: str) -> str | None:
    """SQL true for a row of ``table`` whose ``column`` identifies an erased person, or None if it
    cannot. Only the column's distinct values are hashed (a sales fact repeats each id many times)."""
    if CUSTOMER_ID.search(column):
        key_type, expression = "customer_id", "{c}"
    elif column in IDENTIFIER_COLUMNS:
        key_type, expression = IDENTIFIER_COLUMNS[column]
    else:
        return None
    value = expression.format(c=f'"{column}"')
    erased = f"(select key_hash from {suppression} where key_type = '{key_type}')"
    return (
        f"coalesce({value} in (select v from (select distinct {value} as v from {SOURCE}.{table}) "
        f"where sha256(v) in {erased}), false)"
    )


def _tables(conn: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    rows = conn.execute(
        "select '\"' || schema_name || '\".\"' || table_name || '\"', list(column_name order by column_index) "
        "from duckdb_columns() where database_name = ? group by all order by 1",
        [SOURCE],
    ).fetchall()
    return dict(rows)


def erased_rows(conn: duckdb.DuckDBPyConnection, suppression: str) -> dict[str, tuple[int, str]]:
    """table -> (rows of erased persons, condition) in the attached snapshot file."""
    found = {}
    for table, columns in _tables(conn).items():
        conditions = [c for c in (erased_condition(table, column, suppression) for column in columns) if c]
        if not conditions:
            continue
        condition = " or ".join(conditions)
        [(count,)] = conn.execute(f"select count(*) from {SOURCE}.{table} where {condition}").fetchall()
        if count:
            found[table] = (int(count), condition)
    return found


def rewrite_file(
    conn: duckdb.DuckDBPyConnection, path: Path, suppression: str, storage_version: str
) -> dict[str, int]:
    """Rewrites one snapshot DuckDB file without erased persons; returns rows removed per table
    (empty, and the file untouched, when it holds none)."""
    conn.execute(f"attach {sql_literal(str(path))} as {SOURCE} (read_only)")
    try:
        found = erased_rows(conn, suppression)
        if found:
            selects = {
                table: f"select * from {SOURCE}.{table} where not ({condition})"
                for table, (_, condition) in found.items()
            }
            _copy_to_new_file(conn, path, storage_version, selects, found)
    finally:
        conn.execute(f"detach {SOURCE}")
    if found:
        _swap(path)
    return {table.replace('"', ""): count for table, (count, _) in found.items()}


def anonymise_file(
    conn: duckdb.DuckDBPyConnection, path: Path, dormant: str, storage_version: str
) -> dict[str, int]:
    """Rewrites one snapshot DuckDB file with the direct identifiers of the customers in ``dormant`` (the
    working file's inactive customers past retention) blanked, rows and facts kept; returns rows
    anonymised per table (empty, and the file untouched, when none still had an identifier)."""
    conn.execute(f"attach {sql_literal(str(path))} as {SOURCE} (read_only)")
    try:
        xref = (
            f"{SOURCE}.referential.customer_xref"
            if '"referential"."customer_xref"' in _tables(conn)
            else None
        )
        found = {}
        for table, columns in _tables(conn).items():
            name = table.replace('"', "")
            count_sql = dormancy.identified_rows_sql(name, f"{SOURCE}.{table}", columns, dormant, xref)
            if count_sql and (count := conn.execute(count_sql).fetchall()[0][0]):
                select = dormancy.anonymised_select(name, columns, dormant, xref)
                found[table] = (int(count), f"select {select} from {SOURCE}.{table}")
        if found:
            _copy_to_new_file(conn, path, storage_version, {t: sql for t, (_, sql) in found.items()})
    finally:
        conn.execute(f"detach {SOURCE}")
    if found:
        _swap(path)
    return {table.replace('"', ""): count for table, (count, _) in found.items()}


def _copy_to_new_file(
    conn: duckdb.DuckDBPyConnection,
    path: Path,
    storage_version: str,
    selects: dict[str, str],
    removed: dict[str, tuple[int, str]] | None = None,
) -> None:
    """Writes the attached snapshot file into a new file beside it: each table as is, or through its
    query in ``selects``; ``removed``: rows left out per table, taken off its table of contents."""
    temporary = path.with_name(f".{path.name}.erasure.tmp")
    temporary.unlink(missing_ok=True)
    conn.execute(f"attach {sql_literal(str(temporary))} as {TARGET} (storage_version '{storage_version}')")
    try:
        conn.execute(f"copy from database {SOURCE} to {TARGET} (schema)")  # tables, types, comments
        for table in _tables(conn):
            conn.execute(
                f"insert into {TARGET}.{table} {selects.get(table, f'select * from {SOURCE}.{table}')}"
            )
        if removed:
            _recount(conn, removed)
        conn.execute(f"checkpoint {TARGET}")
    finally:
        conn.execute(f"detach {TARGET}")


def _swap(path: Path) -> None:
    """The new file takes the old one's place in one rename."""
    temporary = path.with_name(f".{path.name}.erasure.tmp")
    temporary.chmod(path.stat().st_mode & 0o777)
    os.replace(temporary, path)


def _recount(conn: duckdb.DuckDBPyConnection, found: dict[str, tuple[int, str]]) -> None:
    """The file's own table of contents (``ops.published_tables``) gives the rows it now holds."""
    if '"ops"."published_tables"' not in _tables(conn):
        return
    for table, (count, _) in found.items():
        schema_name, table_name = table.replace('"', "").split(".")
        conn.execute(
            f"update {TARGET}.ops.published_tables set row_count = row_count - ? "
            "where schema_name = ? and table_name = ?",
            [count, schema_name, table_name],
        )


def erase_from_snapshots(
    conn: duckdb.DuckDBPyConnection, snapshot_dirs: list[Path], run_id: str, storage_version: str
) -> dict[str, dict[str, int]]:
    """Rewrites every DuckDB file of ``snapshot_dirs`` that holds a person on the working file's
    suppression list (``conn``); returns ``snapshot/file`` -> rows removed per table."""
    [(database,)] = conn.execute("select current_database()").fetchall()
    suppression = f'"{database}".{SUPPRESSION_TABLE}'
    if not conn.execute(
        "select count(*) from duckdb_tables() where database_name = ? and schema_name || '.' || table_name = ?",
        [database, SUPPRESSION_TABLE],
    ).fetchall()[0][0]:
        return {}
    [(erased,)] = conn.execute(
        f"select count(*) from {suppression} where key_type = 'customer_id'"
    ).fetchall()
    removed: dict[str, dict[str, int]] = {}
    for snapshot in snapshot_dirs:
        manifest_path = snapshot / "manifest.json"
        manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
        # the list only grows: a snapshot cleaned against as many erased customers as there are now
        # (at its publication or at its last check) has nobody to remove; scanning it again costs minutes at 1M
        checked = manifest.get(CHECKED, manifest.get("erasure", {}).get("customers_erased"))
        if checked == erased:
            continue
        rewritten = {}
        for path in sorted(snapshot.glob("*.duckdb")):
            if rows := rewrite_file(conn, path, suppression, storage_version):
                rewritten[path.name] = rows
                removed[f"{snapshot.name}/{path.name}"] = rows
        if manifest:
            _note_in_manifest(manifest_path, manifest, run_id, rewritten, erased)
    return removed


def _note_in_manifest(path: Path, manifest: dict, run_id: str, rewritten: dict, erased: int) -> None:
    manifest[CHECKED] = erased
    if rewritten:
        manifest.setdefault("erased_after_publication", []).append(
            {"run_id": run_id, "rows_removed": rewritten}
        )
    _write_manifest(path, manifest)


def _write_manifest(path: Path, manifest: dict) -> None:
    temporary = path.with_name(f".{path.name}.erasure.tmp")
    temporary.write_text(json.dumps(manifest, indent=2, sort_keys=True, default=str) + "\n")
    temporary.chmod(path.stat().st_mode & 0o777)
    os.replace(temporary, path)


def anonymise_snapshots(
    conn: duckdb.DuckDBPyConnection, snapshot_dirs: list[Path], run_id: str, storage_version: str
) -> dict[str, dict[str, int]]:
    """Retention of inactive customers in the kept snapshots: every DuckDB file of ``snapshot_dirs`` where
    a customer of the working file's ``DORMANT_TABLE`` still has a direct identifier is rewritten without
    them (noted in the snapshot's manifest); returns ``snapshot/file`` -> rows anonymised per table."""
    [(database,)] = conn.execute("select current_database()").fetchall()
    if (
        not table_exists(conn, DORMANT_TABLE)
        or not conn.execute(f"select count(*) from {DORMANT_TABLE}").fetchall()[0][0]
    ):
        return {}
    dormant = f'"{database}".{DORMANT_TABLE}'
    done: dict[str, dict[str, int]] = {}
    for snapshot in snapshot_dirs:
        rewritten = {}
        for path in sorted(snapshot.glob("*.duckdb")):
            if rows := anonymise_file(conn, path, dormant, storage_version):
                rewritten[path.name] = rows
                done[f"{snapshot.name}/{path.name}"] = rows
        manifest_path = snapshot / "manifest.json"
        if rewritten and manifest_path.exists():
            manifest = json.loads(manifest_path.read_text())
            manifest.setdefault("anonymised_after_publication", []).append(
                {"run_id": run_id, "rows_anonymised": rewritten, "rule": "inactive customers past retention"}
            )
            _write_manifest(manifest_path, manifest)
    return done
