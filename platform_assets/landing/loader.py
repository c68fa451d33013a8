"""Read landing files into ``raw.*`` tables: every value kept as text, plus lineage columns.

A source is reloaded whole in one transaction, so a bad file leaves yesterday's raw table as it
was and the error names the file, the line where there is one, and the problem.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from platform_assets.landing.contracts import SourceContract


class LandingFileError(ValueError):
    """A landing file that cannot be loaded; the message names the file and the problem."""


@dataclass(frozen=True)
class FileLoad:
    file: str  # relative to the landing directory
    rows: int
    bytes: int
    sha256: str


def source_files(landing_dir: Path, contract: SourceContract) -> list[Path]:
    folder = landing_dir / contract.system
    return sorted(folder.glob(contract.file_pattern)) if folder.is_dir() else []


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _header(path: Path, contract: SourceContract) -> list[str]:
    """Column names the file declares: the CSV header, or the keys of the first JSON line."""
    with path.open("rb") as handle:
        first = handle.readline()
    if not first.strip():
        raise LandingFileError(f"{path}: the file is empty (no header line)")
    try:
        text = first.decode("utf-8-sig").strip()
    except UnicodeDecodeError as exc:
        raise LandingFileError(f"{path}, line 1: not UTF-8 ({exc.reason} at byte {exc.start})") from None
    if contract.file_format == "ndjson":
        try:
            return list(json.loads(text))
        except (json.JSONDecodeError, TypeError) as exc:
            raise LandingFileError(f"{path}, line 1: not a JSON object ({exc})") from None
    return [name.strip().strip('"') for name in text.split(contract.delimiter)]


def check_header(path: Path, contract: SourceContract) -> tuple[list[str], list[str]]:
    """The contract's columns the file lacks must all be optional.

    Returns the file's columns and the (optional) contract columns it lacks."""
    header = _header(path, contract)
    present = set(header)
    missing = [name for name in contract.column_names if name not in present]
    missing_required = [name for name in missing if name in contract.required_columns]
    if missing_required:
        raise LandingFileError(
            f"{path}, line 1: required column(s) {', '.join(missing_required)} missing "
            f"(found: {', '.join(sorted(present))}; expected delimiter {contract.delimiter!r})"
        )
    return header, missing


def _reader_sql(path: Path, contract: SourceContract, header: list[str]) -> str:
    quoted = str(path).replace("'", "''")
    if contract.file_format == "ndjson":
        # Every key as text, or DuckDB would parse timestamps and rewrite them.
        keys = ", ".join("'" + k.replace("'", "''") + "': 'varchar'" for k in header)
        return f"read_json('{quoted}', format='newline_delimited', columns={{{keys}}})"
    delim = contract.delimiter.replace("'", "''")
    return f"read_csv('{quoted}', delim='{delim}', header=true, all_varchar=true, quote='\"', escape='\"')"


def create_raw_table_sql(contract: SourceContract) -> str:
    columns = [f'"{c.name}" varchar' for c in contract.columns]
    columns += [
        '"_source_file" varchar',
        '"_row_number" bigint',
        '"_load_id" varchar',
        '"_loaded_at" timestamp',
    ]
    return f"create or replace table raw.{contract.table} ({', '.join(columns)})"


def load_file(
    conn: duckdb.DuckDBPyConnection,
    path: Path,
    landing_dir: Path,
    contract: SourceContract,
    load_id: str,
    loaded_at: datetime,
) -> FileLoad:
    header, missing = check_header(path, contract)
    select = [
        "null::varchar" if c.name in missing else f'cast("{c.name}" as varchar)' for c in contract.columns
    ]
    relative = str(path.relative_to(landing_dir))
    try:
        # WITH ORDINALITY numbers the rows in file order, even when DuckDB reads in parallel.
        rows = conn.execute(
            f"insert into raw.{contract.table} select {', '.join(select)}, ?, ordinality, ?, ? "
            f"from {_reader_sql(path, contract, header)} with ordinality",
            [relative, load_id, loaded_at],
        ).fetchall()[0][0]
    except duckdb.Error as exc:
        raise LandingFileError(f"{path}: cannot be read as {contract.file_format}: {exc}") from None
    return FileLoad(relative, rows, path.stat().st_size, _sha256(path))


def load_source(
    conn: duckdb.DuckDBPyConnection,
    landing_dir: Path,
    contract: SourceContract,
    load_id: str,
    loaded_at: datetime,
) -> list[FileLoad]:
    """Replace ``raw.<table>`` with every file of the source, atomically."""
    files = source_files(landing_dir, contract)
    if not files:
        raise LandingFileError(
            f"{landing_dir / contract.system}: no file matches {contract.file_pattern!r} for raw.{contract.table}"
        )
    conn.execute("create schema if not exists raw")
    conn.execute("begin transaction")
    try:
        conn.execute(create_raw_table_sql(contract))
        loads = [load_file(conn, path, landing_dir, contract, load_id, loaded_at) for path in files]
        record_loads(conn, contract, loads, load_id, loaded_at)
        conn.execute("commit")
    except BaseException:
        conn.execute("rollback")
        raise
    return loads


LANDING_FILES_COLUMNS = {
    "load_id": "Load (Dagster run) that read the file.",
    "raw_table": "Raw table the file was loaded into.",
    "source_file": "File path relative to the landing directory.",
    "rows": "Data rows read.",
    "bytes": "File size in bytes.",
    "sha256": "Hex sha256 of the file content.",
    "loaded_at": "When the file was loaded (UTC).",
}


def record_loads(
    conn: duckdb.DuckDBPyConnection,
    contract: SourceContract,
    loads: list[FileLoad],
    load_id: str,
    loaded_at: datetime,
) -> None:
    """Keep an audit line per file and load in ``ops.landing_files``."""
    conn.execute("create schema if not exists ops")
    conn.execute(
        "create table if not exists ops.landing_files (load_id varchar, raw_table varchar, source_file varchar, "
        "rows bigint, bytes bigint, sha256 varchar, loaded_at timestamp)"
    )
    # documented in the file itself: the publication copies these comments
    conn.execute(
        "comment on table ops.landing_files is 'Audit of landing files read: one row per file and load.'"
    )
    for column, text in LANDING_FILES_COLUMNS.items():
        conn.execute(f"comment on column ops.landing_files.{column} is '{text}'")
    conn.executemany(
        "insert into ops.landing_files values (?, ?, ?, ?, ?, ?, ?)",
        [(load_id, contract.table, f.file, f.rows, f.bytes, f.sha256, loaded_at) for f in loads],
    )
