"""Read landing files into ``raw.*`` tables: every value kept as text, plus lineage columns.

A source is reloaded whole in one transaction, so a bad file leaves yesterday's raw table as it
was and the error names the file, the line where there is one, and the problem. Every file is
checked before anything is read (``files.scan_file``); a file whose content was already read in
this load (same checksum) is skipped. Rows that break a row-level rule move from ``raw.<table>``
to ``quarantine.<table>`` (``platform_assets/quality/rules.py``), and every file's rows read,
accepted and quarantined are recorded in ``ops.landing_files`` for the reconciliation check.
"""

from __future__ import annotations

import re
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb

from platform_assets.landing.contracts import SourceContract
from platform_assets.landing.files import FileScan, LandingFileError, scan_file
from platform_assets.quality.rules import broken_rules_sql, referenced_tables

__all__ = ["FileLoad", "LandingFileError", "SourceLoad", "load_source", "source_files"]


@dataclass(frozen=True)
class FileLoad:
    file: str  # relative to the landing directory
    rows: int  # rows read from the file
    bytes: int
    sha256: str
    encoding: str = "utf-8"
    duplicate_of: str | None = None  # same content as this file, already read in this load: skipped


@dataclass
class SourceLoad:
    """One load of one source: what was read, accepted and quarantined, file by file."""

    table: str
    files: list[FileLoad]
    quarantined_by_file: dict[str, int] = field(default_factory=dict)
    quarantined_by_rule: dict[str, int] = field(default_factory=dict)
    rules_seconds: float = 0.0

    @property
    def rows_read(self) -> int:
        return sum(f.rows for f in self.files if f.duplicate_of is None)

    @property
    def rows_quarantined(self) -> int:
        return sum(self.quarantined_by_file.values())

    @property
    def rows_accepted(self) -> int:
        return self.rows_read - self.rows_quarantined


def source_files(landing_dir: Path, contract: SourceContract) -> list[Path]:
    folder = landing_dir / contract.system
    return sorted(folder.glob(contract.file_pattern)) if folder.is_dir() else []


def _reader_sql(path: Path, contract: SourceContract, header: tuple[str, ...]) -> str:
    quoted = str(path).replace("'", "''")
    # Every column as text, named from the file's own header (no sniffing: its errors name no line).
    columns = ", ".join("'" + k.replace("'", "''") + "': 'varchar'" for k in header)
    if contract.file_format == "ndjson":
        return f"read_json('{quoted}', format='newline_delimited', columns={{{columns}}})"
    delim = contract.delimiter.replace("'", "''")
    return (
        f"read_csv('{quoted}', delim='{delim}', header=true, columns={{{columns}}}, auto_detect=false, "
        "quote='\"', escape='\"')"
    )


def create_raw_table_sql(contract: SourceContract, schema: str = "raw") -> str:
    columns = [f'"{c.name}" varchar' for c in contract.columns]
    columns += [
        '"_source_file" varchar',
        '"_row_number" bigint',
        '"_load_id" varchar',
        '"_loaded_at" timestamp',
    ]
    if schema == "quarantine":
        columns += ['"quarantine_rule" varchar', '"quarantine_rules" varchar[]']
    return f"create or replace table {schema}.{contract.table} ({', '.join(columns)})"


def _read_error(path: Path, exc: duckdb.Error) -> LandingFileError:
    """DuckDB's reader error, cut to the file, the line and the problem."""
    text = str(exc)
    csv_line = re.search(r"CSV Error on Line: (\d+)", text)
    json_line = re.search(r"in line (\d+)", text)
    # DuckDB 2.0's JSON reader counts lines from 2 (checked on files with a known bad line).
    line = int(csv_line.group(1)) if csv_line else int(json_line.group(1)) - 1 if json_line else None
    problem = next(
        (
            m.group(0).strip()
            for pattern in (
                r"Expected Number of Columns: \d+ Found: \d+",
                r"Value with unterminated quote found",
                r"Malformed JSON[^\n]*",
                r"Invalid unicode[^\n]*",
            )
            if (m := re.search(pattern, text))
        ),
        text.splitlines()[0] if text else type(exc).__name__,
    )
    where = f", line {line}" if line else ""
    return LandingFileError(f"{path}{where}: cannot be read: {problem}")


def _utf8_copy(scan: FileScan, workdir: Path) -> Path:
    """A Windows-1252/latin-1 export, re-encoded as UTF-8 for DuckDB's readers."""
    copy = workdir / scan.path.name
    with scan.path.open("r", encoding="cp1252", newline="") as src, copy.open("w", encoding="utf-8") as dst:
        for block in iter(lambda: src.read(1 << 20), ""):
            dst.write(block)
    return copy


@contextmanager
def _insertion_order_not_preserved(conn: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Lets DuckDB write a load's rows in any physical order. Row numbers still come from WITH
    ORDINALITY, in file order (tested); the one-statement load then takes half the time at 1M."""
    [(before,)] = conn.execute("select current_setting('preserve_insertion_order')").fetchall()
    conn.execute("set preserve_insertion_order = false")
    try:
        yield
    finally:
        conn.execute(f"set preserve_insertion_order = {'true' if before else 'false'}")


def _file_select(scan: FileScan, readable: Path, contract: SourceContract) -> str:
    columns = [
        "null::varchar" if c.name in scan.missing_optional else f'cast("{c.name}" as varchar)'
        for c in contract.columns
    ]
    # WITH ORDINALITY numbers the rows in file order, even when DuckDB reads in parallel.
    return (
        f"select {', '.join(columns)}, ?, ordinality, ?, ? "
        f"from {_reader_sql(readable, contract, scan.header)} with ordinality"
    )


def load_files(
    conn: duckdb.DuckDBPyConnection,
    scans: list[FileScan],
    landing_dir: Path,
    contract: SourceContract,
    load_id: str,
    loaded_at: datetime,
) -> list[FileLoad]:
    """Every file of ``scans`` into ``raw.<table>`` in one statement (DuckDB reads them side by side);
    a file DuckDB cannot read is named with its line by ``_unreadable``."""
    if not scans:
        return []
    relative = [str(scan.path.relative_to(landing_dir)) for scan in scans]
    with tempfile.TemporaryDirectory(prefix="cdp-landing-") as workdir:
        readable = [s.path if s.encoding == "utf-8" else _utf8_copy(s, Path(workdir)) for s in scans]
        selects = [_file_select(s, r, contract) for s, r in zip(scans, readable, strict=True)]
        params = [p for name in relative for p in (name, load_id, loaded_at)]
        try:
            with _insertion_order_not_preserved(conn):
                conn.execute(f"insert into raw.{contract.table} {' union all '.join(selects)}", params)
        except duckdb.Error as exc:
            raise _unreadable(conn, scans, readable, contract, exc) from None
    rows = dict(
        conn.execute(f"select _source_file, count(*) from raw.{contract.table} group by all").fetchall()
    )
    return [
        FileLoad(name, rows.get(name, 0), s.bytes, s.sha256, s.encoding)
        for name, s in zip(relative, scans, strict=True)
    ]


def _unreadable(
    conn: duckdb.DuckDBPyConnection,
    scans: list[FileScan],
    readable: list[Path],
    contract: SourceContract,
    exc: duckdb.Error,
) -> LandingFileError:
    """The first file that fails on its own, with DuckDB's line and problem (the load's transaction
    is aborted: each file is read again on a cursor of its own, into nothing)."""
    probe = conn.cursor()
    try:
        for scan, path in zip(scans, readable, strict=True):
            every_column = ", ".join(f'"{c}"' for c in scan.header)
            try:
                probe.execute(
                    f"select count(*), max(length(concat_ws('', {every_column}))) "
                    f"from {_reader_sql(path, contract, scan.header)}"
                ).fetchall()
            except duckdb.Error as file_exc:
                return _read_error(scan.path, file_exc)
    finally:
        probe.close()
    folder = scans[0].path.parent
    return LandingFileError(f"{folder}: cannot be read for raw.{contract.table}: {str(exc).splitlines()[0]}")


def scan_source(landing_dir: Path, contract: SourceContract) -> list[FileScan]:
    """Every file of the source checked before any is read; raises ``LandingFileError``."""
    files = source_files(landing_dir, contract)
    if not files:
        raise LandingFileError(
            f"{landing_dir / contract.system}: no file matches {contract.file_pattern!r} for raw.{contract.table}"
        )
    return [scan_file(path, contract) for path in files]


def _require_references(conn: duckdb.DuckDBPyConnection, contract: SourceContract) -> None:
    for table in referenced_tables(contract.table):
        found = conn.execute(
            "select 1 from duckdb_tables() where schema_name = 'raw' and table_name = ?", [table]
        ).fetchall()
        if not found:
            raise RuntimeError(
                f"raw.{contract.table} is checked against raw.{table}, which has never been loaded: "
                f"materialise raw/{table} first (or with it)"
            )


def quarantine_rows(
    conn: duckdb.DuckDBPyConnection, contract: SourceContract, loaded_at: datetime
) -> tuple[dict[str, int], dict[str, int]]:
    """Move the rows that break a rule from ``raw.<table>`` to ``quarantine.<table>``.

    Returns the quarantined rows by file and by (first) rule."""
    conn.execute(create_raw_table_sql(contract, "quarantine"))
    conn.execute(f"create temp table _broken as {broken_rules_sql(contract, loaded_at)}")
    try:
        conn.execute(
            f"insert into quarantine.{contract.table} "
            f"select r.*, b.rules[1], b.rules from raw.{contract.table} r "
            "join _broken b using (_source_file, _row_number)"
        )
        conn.execute(
            f"delete from raw.{contract.table} r using _broken b "
            "where r._source_file = b._source_file and r._row_number = b._row_number"
        )
        by_file = dict(conn.execute("select _source_file, count(*) from _broken group by 1").fetchall())
        by_rule = dict(conn.execute("select rules[1], count(*) from _broken group by 1").fetchall())
    finally:
        conn.execute("drop table _broken")
    return by_file, by_rule


def load_source(
    conn: duckdb.DuckDBPyConnection,
    landing_dir: Path,
    contract: SourceContract,
    load_id: str,
    loaded_at: datetime,
) -> SourceLoad:
    """Replace ``raw.<table>`` (and ``quarantine.<table>``) with every file of the source, atomically."""
    scans = scan_source(landing_dir, contract)
    for schema in ("raw", "quarantine", "ops"):
        conn.execute(f"create schema if not exists {schema}")
    _require_references(conn, contract)
    conn.execute("begin transaction")
    try:
        conn.execute(create_raw_table_sql(contract))
        first_with: dict[str, str] = {}
        duplicates: dict[str, FileLoad] = {}
        to_read: list[FileScan] = []
        for scan in scans:
            relative = str(scan.path.relative_to(landing_dir))
            if scan.sha256 in first_with:  # delivered twice (a copy, a re-send): read once
                duplicates[relative] = FileLoad(
                    relative, 0, scan.bytes, scan.sha256, scan.encoding, first_with[scan.sha256]
                )
                continue
            first_with[scan.sha256] = relative
            to_read.append(scan)
        by_name = {f.file: f for f in load_files(conn, to_read, landing_dir, contract, load_id, loaded_at)}
        by_name.update(duplicates)
        loads = [by_name[str(s.path.relative_to(landing_dir))] for s in scans]  # in file order
        started = time.perf_counter()
        by_file, by_rule = quarantine_rows(conn, contract, loaded_at)
        result = SourceLoad(contract.table, loads, by_file, by_rule, time.perf_counter() - started)
        record_loads(conn, result, load_id, loaded_at)
        conn.execute("commit")
    except BaseException:
        conn.execute("rollback")
        raise
    return result


# name: (type, description) — the descriptions become DuckDB comments, which the publication copies.
LANDING_FILES_COLUMNS = {
    "load_id": ("varchar", "Load (Dagster run) that read the file."),
    "raw_table": ("varchar", "Raw table the file was loaded into."),
    "source_file": ("varchar", "File path relative to the landing directory."),
    "rows": ("bigint", "Data rows read."),
    "bytes": ("bigint", "File size in bytes."),
    "sha256": ("varchar", "Hex sha256 of the file content."),
    "loaded_at": ("timestamp", "When the file was loaded (UTC)."),
    "encoding": ("varchar", "Encoding the file was read with."),
    "duplicate_of": ("varchar", "File with the same content already loaded (this one was skipped)."),
    "rows_quarantined": ("bigint", "Rows of the file sent to quarantine."),
}


def record_loads(
    conn: duckdb.DuckDBPyConnection, load: SourceLoad, load_id: str, loaded_at: datetime
) -> None:
    """Keep an audit line per file and load in ``ops.landing_files``: rows read (``rows``),
    quarantined, and the file it duplicates when it was skipped."""
    conn.execute("create schema if not exists ops")
    columns = ", ".join(f"{name} {type_}" for name, (type_, _) in LANDING_FILES_COLUMNS.items())
    conn.execute(f"create table if not exists ops.landing_files ({columns})")
    for name, (type_, _) in LANDING_FILES_COLUMNS.items():  # warehouses created before these columns
        conn.execute(f"alter table ops.landing_files add column if not exists {name} {type_}")
    conn.execute(
        "comment on table ops.landing_files is 'Audit of landing files read: one row per file and load.'"
    )
    for name, (_, text) in LANDING_FILES_COLUMNS.items():
        conn.execute(f"comment on column ops.landing_files.{name} is '{text}'")
    conn.executemany(
        f"insert into ops.landing_files ({', '.join(LANDING_FILES_COLUMNS)}) values ({', '.join('?' * 10)})",
        [
            (
                load_id,
                load.table,
                f.file,
                f.rows,
                f.bytes,
                f.sha256,
                loaded_at,
                f.encoding,
                f.duplicate_of,
                load.quarantined_by_file.get(f.file, 0),
            )
            for f in load.files
        ],
    )
