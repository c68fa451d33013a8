"""Read landing files into ``raw.*`` tables: every value kept as text, plus lineage columns.

Each source is read as the retailer configuration says (``SourceDelivery`` in
``platform_assets/lib/retailer.py``: files, format, delimiter, header, encoding, column mappings;
``landing/mapping.py``). Every selected source is planned first (``plan_source``: every file
scanned, every mapping bound, every business unit and currency checked against the
configuration), and only then loaded: bad configuration writes nothing. A source read line by line
(NDJSON whose malformed lines are quarantined: the web analytics export) is read once, when planned,
into a scratch table that its load renames into ``raw.<table>`` (``_stage_lines``). A source is reloaded whole
in one transaction, so a bad file leaves yesterday's raw table as it was and the error names the
file, the line where there is one, and the problem. A file whose content was already read in this
load (same checksum) is skipped. A source the retailer does not deliver is an empty raw table.
Rows folded by ``distinct_on`` (one file, many entities) are counted; rows that break a row-level
rule move from ``raw.<table>`` to ``quarantine.<table>`` and unparseable optional fields of customer
records become ``quarantine.field_warnings`` rows (``platform_assets/quality/rules.py``); every
file's rows read, accepted, quarantined and folded are recorded in ``ops.landing_files`` for the
reconciliation check.
"""

from __future__ import annotations

import codecs
import re
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb

from platform_assets.landing.contracts import (
    BUSINESS_UNIT_COLUMN,
    CURRENCY_COLUMN,
    LINEAGE_COLUMNS,
    SourceContract,
)
from platform_assets.landing.files import (
    FileScan,
    LandingFileError,
    is_gzip,
    not_complete_gzip,
    open_text,
    scan_file,
    scan_lines_file,
)
from platform_assets.landing.mapping import check_binding, column_sql, literal, quote
from platform_assets.lib.retailer import (
    RetailerConfig,
    RetailerConfigError,
    SourceDelivery,
)
from platform_assets.lib.tables import comment_table
from platform_assets.quality.rules import (
    broken_rules_sql,
    is_marker_sql,
    record_field_warnings,
    referenced_tables,
)

__all__ = [
    "FileLoad",
    "LandingFileError",
    "RetailerConfigError",
    "SourceLoad",
    "SourcePlan",
    "load_source",
    "plan_source",
    "plan_sources",
    "source_files",
]


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
    """One load of one source: what was read, accepted, quarantined and folded, file by file."""

    table: str
    files: list[FileLoad]
    quarantined_by_file: dict[str, int] = field(default_factory=dict)
    quarantined_by_rule: dict[str, int] = field(default_factory=dict)
    rules_seconds: float = 0.0
    folded_by_file: dict[str, int] = field(default_factory=dict)  # distinct_on: later rows of a key
    field_warnings_by_rule: dict[str, int] = field(default_factory=dict)
    not_delivered: str | None = None  # why the source is empty (absent from the configuration)
    files_glob: str | None = None
    nulled_by_column: dict[str, int] = field(default_factory=dict)  # optional values that were null markers

    @property
    def rows_read(self) -> int:
        return sum(f.rows for f in self.files if f.duplicate_of is None)

    @property
    def rows_quarantined(self) -> int:
        return sum(self.quarantined_by_file.values())

    @property
    def rows_folded(self) -> int:
        return sum(self.folded_by_file.values())

    @property
    def rows_accepted(self) -> int:
        return self.rows_read - self.rows_quarantined - self.rows_folded

    @property
    def field_warnings(self) -> int:
        return sum(self.field_warnings_by_rule.values())


def not_delivered_note(config_path: str | Path) -> str:
    return f"not delivered: absent from the retailer configuration {config_path}"


@dataclass
class SourcePlan:
    """A source checked and ready to load: its files scanned and the SQL of every contract column,
    file by file (``None`` delivery: not delivered). Holds the re-encoded copies DuckDB reads."""

    contract: SourceContract
    delivery: SourceDelivery | None
    config_path: str
    scans: list[FileScan] = field(default_factory=list)
    readable: list[Path] = field(default_factory=list)
    columns: list[dict[str, str]] = field(default_factory=list)
    workdir: tempfile.TemporaryDirectory | None = None
    no_files: str | None = None  # configured, but no file matched and ``when_no_files`` is 'empty'
    # A source read line by line (``reads_lines``) is read once, when planned: its rows wait in
    # ``staged_tables(table)`` until its load renames them into ``raw.<table>`` (or ``cleanup`` drops them).
    staged: bool = False

    @property
    def delivered(self) -> bool:
        return self.delivery is not None and self.no_files is None

    def cleanup(self, conn: duckdb.DuckDBPyConnection | None = None) -> None:
        if self.workdir is not None:
            self.workdir.cleanup()
            self.workdir = None
        if self.staged and conn is not None:
            for table in staged_tables(self.contract.table):
                conn.execute(f"drop table if exists {table}")
            self.staged = False


def source_files(landing_dir: Path, delivery: SourceDelivery) -> list[Path]:
    """The source's files: the configured glob under the landing directory, in name order."""
    return sorted(p for p in landing_dir.glob(delivery.files) if p.is_file())


def reader_sql(
    path: Path, delivery: SourceDelivery, header: tuple[str, ...], ignore_errors: bool = False
) -> str:
    """DuckDB reading one UTF-8 file (a readable copy when it was not) as configured, every column as
    text; ``ignore_errors`` (NDJSON): a malformed line is a row of nulls instead of an error."""
    quoted = str(path).replace("'", "''")
    # Every column as text, named from the file's own header (no sniffing: its errors name no line).
    columns = ", ".join(literal(k) + ": 'varchar'" for k in header)
    if delivery.format == "ndjson":
        tolerant = ", ignore_errors=true" if ignore_errors else ""
        return f"read_json('{quoted}', format='newline_delimited', columns={{{columns}}}{tolerant})"
    if delivery.delimiter == "whitespace":  # the readable copy is tab-separated, nothing quoted
        return (
            f"read_csv('{quoted}', delim='\\t', header={str(delivery.header).lower()}, "
            f"columns={{{columns}}}, auto_detect=false, quote='', escape='')"
        )
    delim = delivery.delimiter.replace("'", "''")
    return (
        f"read_csv('{quoted}', delim='{delim}', header={str(delivery.header).lower()}, "
        f"columns={{{columns}}}, auto_detect=false, quote='\"', escape='\"')"
    )


MALFORMED_JSON = "malformed_json"

# The byte no line of a JSON export holds (control characters are escaped in JSON text; a NUL byte
# in a line is refused with its line): the "delimiter" that reads each line whole.
_NO_DELIMITER = "\\x00"


def reads_lines(contract: SourceContract, delivery: SourceDelivery | None) -> bool:
    """NDJSON read line by line, each line parsed in SQL: a malformed line is quarantined with its
    line number and text instead of refusing the file (``SourceContract.quarantines_malformed_lines``)."""
    return delivery is not None and delivery.format == "ndjson" and contract.quarantines_malformed_lines


def staged_tables(table: str) -> tuple[str, str]:
    """Scratch tables of a source read line by line, between its plan and its load: its JSON objects
    (contract columns, ``_source_file``, ``_row_number``) and its malformed lines (file, line, text)."""
    return f'raw."_incoming_{table}"', f'raw."_incoming_{table}_malformed"'


def lines_sql(path: Path, header: tuple[str, ...]) -> str:
    """A FROM item over an NDJSON file read line by line: one row per non-blank line with the text
    of each ``header`` key (null when absent), ``ordinality`` (the line number), ``_malformed`` (the
    line is not a JSON object: its keys are null) and ``_line`` (the text of a malformed line). Each
    line is parsed twice (valid JSON?, then its keys); an object is valid JSON starting with '{'."""
    quoted = str(path).replace("'", "''")
    paths = ", ".join(literal("$." + '"' + k.replace('"', '\\"') + '"') for k in header)
    values = ", ".join(f"_values[{i}] as {quote(k)}" for i, k in enumerate(header, start=1))
    return f"""(
        select {values}, ordinality, _malformed, case when _malformed then _line end as _line from (
            select
                case when not _malformed then json_extract_string(_line, [{paths}]) end as _values,
                ordinality,
                _malformed,
                _line
            from (
                select
                    _line,
                    ordinality,
                    not coalesce(json_valid(_line) and starts_with(ltrim(_line), '{{'), false) as _malformed
                from read_csv('{quoted}', columns={{'_line': 'varchar'}}, header=false, delim='{_NO_DELIMITER}',
                    quote='', escape='', auto_detect=false, strict_mode=false) with ordinality
            )
            where nullif(trim(_line), '') is not null
        )
    )"""


def rows_sql(plan: SourcePlan, n: int, by_lines: bool = False) -> str:
    """A FROM item over the plan's file ``n``: its columns (text, named as in the file) and ``ordinality``
    (the row's 1-based number in the file: for NDJSON its line, blank lines aside); ``by_lines``: read
    line by line (``lines_sql``: exact line numbers, ``_malformed`` and ``_line``)."""
    if by_lines:
        return lines_sql(plan.readable[n], plan.scans[n].header)
    return f"{reader_sql(plan.readable[n], plan.delivery, plan.scans[n].header)} with ordinality"


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
        if contract.quarantines_malformed_lines:
            columns += ['"_line" varchar']  # the text of a malformed line, as delivered
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


def _readable_copy(scan: FileScan, delivery: SourceDelivery, workdir: Path, n: int) -> Path:
    """The file as DuckDB reads it: re-encoded as UTF-8 (a latin-1 or Windows-1252 export) and, for
    a whitespace-separated file, with its runs of blanks as tabs."""
    name = scan.path.name[: -len(".gz")] if is_gzip(scan.path) else scan.path.name  # the copy is plain text
    copy = workdir / f"{n:05d}-{name}"
    try:
        with (
            open_text(scan.path, scan.encoding) as src,
            copy.open("w", encoding="utf-8", newline="") as dst,
        ):
            if delivery.delimiter == "whitespace":
                for line in src:
                    fields = line.split()
                    if fields:
                        dst.write("\t".join(fields) + "\n")
            else:
                for block in iter(lambda: src.read(1 << 20), ""):
                    dst.write(block)
    except UnicodeDecodeError as exc:
        raise LandingFileError(f"{scan.path}: not {scan.encoding} text ({exc.reason})") from None
    return copy


def _needs_copy(scan: FileScan, delivery: SourceDelivery) -> bool:
    return (
        scan.encoding.replace("_", "-").lower() not in ("utf-8", "utf8") or delivery.delimiter == "whitespace"
    )


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


def _file_select(plan: SourcePlan, n: int) -> str:
    columns = [plan.columns[n][c.name] for c in plan.contract.columns]
    # WITH ORDINALITY numbers the rows in file order, even when DuckDB reads in parallel.
    return f"select {', '.join(columns)}, ?, ordinality, ?, ? from {rows_sql(plan, n)}"


def _lines_select(plan: SourcePlan, n: int) -> str:
    """File ``n`` read line by line: contract columns, its name (the parameter), line number,
    ``_malformed`` and ``_line``."""
    columns = [f"{plan.columns[n][c.name]} as {quote(c.name)}" for c in plan.contract.columns]
    return (
        f"select {', '.join(columns)}, ?::varchar as _source_file, ordinality as _row_number, _malformed, _line "
        f"from {rows_sql(plan, n, by_lines=True)}"
    )


def read_indexes(plan: SourcePlan) -> list[int]:
    """The plan's files that are read: the first of each content (a file delivered twice is read once)."""
    seen: set[str] = set()
    indexes = []
    for n, scan in enumerate(plan.scans):
        if scan.sha256 not in seen:
            seen.add(scan.sha256)
            indexes.append(n)
    return indexes


# Files read per statement when a source is read at plan time: each file read holds its own
# buffers (tens of MB for a day of web analytics), so a year of files at once would hold gigabytes.
FILES_PER_STATEMENT = 32


def _json_select(plan: SourcePlan, n: int) -> str:
    """File ``n`` by DuckDB's JSON reader (fast): contract columns, its name (the parameter), its
    row number and ``_null_row``: a malformed line reads as a row of nulls, its file is read again."""
    header = plan.scans[n].header
    columns = [f"{plan.columns[n][c.name]} as {quote(c.name)}" for c in plan.contract.columns]
    null_row = f"coalesce({', '.join(quote(k) for k in header)}) is null" if header else "true"
    reader = reader_sql(plan.readable[n], plan.delivery, header, ignore_errors=True)
    return (
        f"select {', '.join(columns)}, ?::varchar as _source_file, ordinality as _row_number, "
        f"{null_row} as _null_row from {reader} with ordinality"
    )


def _stage_lines(conn: duckdb.DuckDBPyConnection, plan: SourcePlan, landing_dir: Path) -> None:
    """Reads every file of a line-read source once, when it is planned: DuckDB's JSON reader
    decompresses and parses the files side by side (``FILES_PER_STATEMENT`` at a time) into
    ``staged_tables()[0]``; the few files where a line did not read as a JSON object (a row of nulls)
    are read again line by line (``lines_sql``): their objects keep their exact line numbers, their
    malformed lines (file, line, text) go to ``staged_tables()[1]``. A file DuckDB cannot read gets
    the full scan (``files.scan_file``): a Windows-1252 export is read again from a UTF-8 copy;
    anything else stops the load with the file, the line and the problem, as for the other sources."""
    contract = plan.contract
    objects, malformed = staged_tables(contract.table)
    indexes = read_indexes(plan)
    name = {n: str(plan.scans[n].path.relative_to(landing_dir)) for n in indexes}
    values = ", ".join(f"{quote(c)} varchar" for c in contract.column_names)
    plan.staged = True
    conn.execute("create schema if not exists raw")
    conn.execute(
        f"create or replace table {objects} ({values}, _source_file varchar, _row_number bigint, _null_row boolean)"
    )
    conn.execute(
        f"create or replace table {malformed} (_source_file varchar, _row_number bigint, _line varchar)"
    )
    for start in range(0, len(indexes), FILES_PER_STATEMENT):
        batch = indexes[start : start + FILES_PER_STATEMENT]
        _insert_files(conn, plan, batch, [name[n] for n in batch], f"insert into {objects}", _json_select)
    suspect = {
        f for (f,) in conn.execute(f"select distinct _source_file from {objects} where _null_row").fetchall()
    }
    conn.execute(f"alter table {objects} drop column _null_row")
    again = [n for n in indexes if name[n] in suspect]
    if not again:
        return
    conn.execute(
        f"delete from {objects} where _source_file in ({', '.join(literal(name[n]) for n in again)})"
    )
    _insert_files(
        conn, plan, again, [name[n] for n in again], "create or replace temp table _lines as", _lines_select
    )
    try:
        nul = conn.execute(
            "select _source_file, min(_row_number) from _lines where _malformed and contains(_line, chr(0)) "
            "group by 1 order by 1 limit 1"
        ).fetchall()
        if nul:
            raise LandingFileError(
                f"{landing_dir / nul[0][0]}, line {nul[0][1]}: NUL byte, this is not a text export"
            )
        columns = ", ".join(quote(c) for c in contract.column_names)
        conn.execute(
            f"insert into {objects} select {columns}, _source_file, _row_number from _lines where not _malformed"
        )
        conn.execute(
            f"insert into {malformed} select _source_file, _row_number, _line from _lines where _malformed"
        )
    finally:
        conn.execute("drop table if exists _lines")


def _insert_files(
    conn: duckdb.DuckDBPyConnection,
    plan: SourcePlan,
    indexes: list[int],
    names: list[str],
    statement: str,
    select,
) -> None:
    """``statement`` followed by ``select(plan, n)`` of every file, in one statement; a file DuckDB
    cannot read is rescanned (``_rescan_unreadable``) and the statement run again."""
    for _ in range(len(indexes) + 1):
        try:
            with _insertion_order_not_preserved(conn):
                conn.execute(f"{statement} {' union all '.join(select(plan, n) for n in indexes)}", names)
            return
        except duckdb.Error as exc:
            _rescan_unreadable(conn, plan, indexes, exc, select)
    raise LandingFileError(
        f"{plan.scans[indexes[0]].path.parent}: cannot be read for raw.{plan.contract.table}"
    )


def _rescan_unreadable(
    conn: duckdb.DuckDBPyConnection, plan: SourcePlan, indexes: list[int], exc: duckdb.Error, select
) -> None:
    """The first file that DuckDB cannot read on its own: a gzip stream cut short is refused; a file
    that is not UTF-8 gets the full scan, which refuses it or re-plans it as a UTF-8 copy (Windows-1252)."""
    probe = conn.cursor()
    try:
        for n in indexes:
            try:
                probe.execute(f"select count(*) from ({select(plan, n)})", ["probe"]).fetchall()
            except duckdb.Error as file_exc:
                scan = plan.scans[n]
                text = str(file_exc)
                if "gzip" in text.lower():
                    raise not_complete_gzip(scan.path, text.splitlines()[0]) from None
                if "unicode" not in text.lower() or _needs_copy(scan, plan.delivery):
                    raise _read_error(scan.path, file_exc) from None
                plan.scans[n] = scan_file(scan.path, plan.contract, plan.delivery)  # raises when not cp1252
                if not _needs_copy(plan.scans[n], plan.delivery):
                    raise _read_error(scan.path, file_exc) from None
                if plan.workdir is None:
                    plan.workdir = tempfile.TemporaryDirectory(prefix="cdp-landing-")
                plan.readable[n] = _readable_copy(plan.scans[n], plan.delivery, Path(plan.workdir.name), n)
                return
    finally:
        probe.close()
    folder = plan.scans[indexes[0]].path.parent
    raise LandingFileError(
        f"{folder}: cannot be read for raw.{plan.contract.table}: {str(exc).splitlines()[0]}"
    )


def _header_lines(delivery: SourceDelivery) -> int:
    return 1 if delivery.format == "csv" and delivery.header else 0


def plan_source(
    conn: duckdb.DuckDBPyConnection,
    landing_dir: Path,
    contract: SourceContract,
    retailer: RetailerConfig,
    config_path: str | Path,
) -> SourcePlan:
    """Everything that can be checked before a source is written: its files, the mapping of every
    contract column, and the business units and currencies in its rows (against the configuration).
    Raises ``LandingFileError`` (a bad file) or ``RetailerConfigError`` (a bad configuration)."""
    config_path = str(config_path)
    delivery = retailer.sources.get(contract.table)
    if delivery is None:
        return SourcePlan(contract, None, config_path)
    files = source_files(landing_dir, delivery)
    if not files and delivery.when_no_files == "empty":
        note = (
            f"no file delivered: nothing matches {delivery.files!r} under {landing_dir} "
            f"(sources.{contract.table}.when_no_files: empty in {config_path})"
        )
        return SourcePlan(contract, delivery, config_path, no_files=note)
    if not files:
        raise LandingFileError(
            f"{landing_dir}: no file matches {delivery.files!r} for raw.{contract.table} "
            f"(sources.{contract.table}.files in {config_path})"
        )
    plan = SourcePlan(contract, delivery, config_path)
    by_lines = reads_lines(contract, delivery) and codecs.lookup(delivery.encoding).name == "utf-8"
    scan = scan_lines_file if by_lines else scan_file
    plan.scans = [scan(path, contract, delivery) for path in files]
    for scan in plan.scans:
        selected = column_sql(contract, delivery, scan.header, scan.path, config_path)
        check_binding(conn, contract, delivery, selected, scan.header, scan.path, config_path)
        plan.columns.append(selected)
    if any(_needs_copy(s, delivery) for s in plan.scans):
        plan.workdir = tempfile.TemporaryDirectory(prefix="cdp-landing-")
    try:
        plan.readable = [
            _readable_copy(s, delivery, Path(plan.workdir.name), n) if _needs_copy(s, delivery) else s.path
            for n, s in enumerate(plan.scans)
        ]
        if reads_lines(contract, delivery):
            _stage_lines(conn, plan, landing_dir)
        _check_units(conn, plan, retailer, landing_dir)
    except BaseException:
        plan.cleanup(conn)
        raise
    return plan


def plan_sources(
    conn: duckdb.DuckDBPyConnection,
    landing_dir: Path,
    contracts: list[SourceContract],
    retailer: RetailerConfig,
    config_path: str | Path,
) -> list[SourcePlan]:
    """Every source planned (``plan_source``) before any is loaded: the first problem stops them all."""
    plans: list[SourcePlan] = []
    try:
        for contract in contracts:
            plans.append(plan_source(conn, landing_dir, contract, retailer, config_path))
    except BaseException:
        for plan in plans:
            plan.cleanup(conn)
        raise
    return plans


def _check_units(
    conn: duckdb.DuckDBPyConnection, plan: SourcePlan, retailer: RetailerConfig, landing_dir: Path
) -> None:
    """Every business unit code and currency in the source's rows is configured: the first row that
    is not stops the load with its file, line and value (a file DuckDB cannot read, likewise). A
    source read line by line is checked on its staged rows (read once)."""
    names = plan.contract.column_names
    codes = sorted(retailer.units_by_code)
    checks = []
    if BUSINESS_UNIT_COLUMN in names:
        checks.append((BUSINESS_UNIT_COLUMN, codes, "business unit"))
    if CURRENCY_COLUMN in names:
        checks.append((CURRENCY_COLUMN, list(retailer.currencies), "currency"))
    if not checks:
        return
    wrong = " or ".join(
        f"(nullif(v{i}, '') is not null and v{i} not in ({', '.join(map(literal, allowed))}))"
        for i, (_, allowed, _) in enumerate(checks)
    )
    picked = ", ".join(f"v{i}" for i in range(len(checks)))
    for n, scan in enumerate(plan.scans):
        if plan.staged:  # every file at once, on the rows read at plan time
            values = ", ".join(f"upper(trim({quote(c)})) as v{i}" for i, (c, _, _) in enumerate(checks))
            found = conn.execute(
                f"select _source_file, _row_number, {picked} from (select {values}, _source_file, _row_number "
                f"from {staged_tables(plan.contract.table)[0]}) where {wrong} order by _source_file, _row_number limit 1"
            ).fetchall()
            if not found:
                return
            name, row, *got = found[0]
            scan = next(s for s in plan.scans if s.path == landing_dir / name)
        else:
            values = ", ".join(
                f"upper(trim({plan.columns[n][c]})) as v{i}" for i, (c, _, _) in enumerate(checks)
            )
            try:
                found = conn.execute(
                    f"select ordinality, {picked} from (select {values}, ordinality from {rows_sql(plan, n)}) "
                    f"where {wrong} order by ordinality limit 1"
                ).fetchall()
            except duckdb.Error as exc:
                raise _read_error(scan.path, exc) from None
            if not found:
                continue
            row, *got = found[0]
        line = row + _header_lines(plan.delivery)
        for (column, allowed, what), value in zip(checks, got, strict=True):
            if value and value not in allowed:
                configured = (
                    f"business_units: {', '.join(codes)}"
                    if what == "business unit"
                    else f"currencies of its business units: {', '.join(allowed)}"
                )
                raise RetailerConfigError(
                    f"{scan.path}, line {line}: {what} {value!r} in column {column} of {plan.contract.table} "
                    f"is not configured in {plan.config_path} ({configured})"
                )


def load_files(
    conn: duckdb.DuckDBPyConnection,
    plan: SourcePlan,
    indexes: list[int],
    landing_dir: Path,
    load_id: str,
    loaded_at: datetime,
) -> list[FileLoad]:
    """The planned files ``indexes`` into ``raw.<table>`` in one statement (DuckDB reads them side by
    side); a source read at plan time (``plan.staged``) has its rows renamed into place instead."""
    if not indexes:
        return []
    contract = plan.contract
    relative = [str(plan.scans[n].path.relative_to(landing_dir)) for n in indexes]
    if plan.staged:
        rows = _place_staged(conn, contract, load_id, loaded_at)
    else:
        selects = [_file_select(plan, n) for n in indexes]
        params = [p for name in relative for p in (name, load_id, loaded_at)]
        try:
            with _insertion_order_not_preserved(conn):
                conn.execute(f"insert into raw.{contract.table} {' union all '.join(selects)}", params)
        except duckdb.Error as exc:
            raise _unreadable(conn, plan, indexes, exc) from None
        rows = dict(
            conn.execute(f"select _source_file, count(*) from raw.{contract.table} group by all").fetchall()
        )
    return [
        FileLoad(name, rows.get(name, 0), plan.scans[n].bytes, plan.scans[n].sha256, plan.scans[n].encoding)
        for name, n in zip(relative, indexes, strict=True)
    ]


def _place_staged(
    conn: duckdb.DuckDBPyConnection, contract: SourceContract, load_id: str, loaded_at: datetime
) -> dict[str, int]:
    """The staged JSON objects become ``raw.<table>`` (a rename, in the load's transaction: nothing is
    copied), with the load's lineage columns; returns the lines read (objects + malformed) by file."""
    objects, malformed = staged_tables(contract.table)
    table = f"raw.{quote(contract.table)}"
    conn.execute(f"drop table if exists {table}")
    conn.execute(f"alter table {objects} rename to {quote(contract.table)}")
    for column, type_, value in (
        ("_load_id", "varchar", literal(load_id)),
        ("_loaded_at", "timestamp", f"timestamp {literal(loaded_at.isoformat(sep=' '))}"),
    ):
        conn.execute(f"alter table {table} add column {column} {type_} default {value}")
        conn.execute(f"alter table {table} alter column {column} drop default")
    return dict(
        conn.execute(
            f"select _source_file, count(*) from (select _source_file from {table} "
            f"union all select _source_file from {malformed}) group by all"
        ).fetchall()
    )


def _unreadable(
    conn: duckdb.DuckDBPyConnection, plan: SourcePlan, indexes: list[int], exc: duckdb.Error
) -> LandingFileError:
    """The first file that fails on its own, with DuckDB's line and problem (the load's transaction
    is aborted: each file is read again on a cursor of its own, into nothing)."""
    probe = conn.cursor()
    try:
        for n in indexes:
            scan = plan.scans[n]
            every_column = ", ".join(quote(c) for c in scan.header)
            try:
                probe.execute(
                    f"select count(*), max(length(concat_ws('', {every_column}))) from {rows_sql(plan, n)}"
                ).fetchall()
            except duckdb.Error as file_exc:
                return _read_error(scan.path, file_exc)
    finally:
        probe.close()
    folder = plan.scans[indexes[0]].path.parent
    return LandingFileError(
        f"{folder}: cannot be read for raw.{plan.contract.table}: {str(exc).splitlines()[0]}"
    )


def _require_references(
    conn: duckdb.DuckDBPyConnection, contract: SourceContract, delivered: set[str]
) -> None:
    for table in referenced_tables(contract.table):
        if table not in delivered:
            continue  # its rule is skipped: nothing to check against
        found = conn.execute(
            "select 1 from duckdb_tables() where schema_name = 'raw' and table_name = ?", [table]
        ).fetchall()
        if not found:
            raise RuntimeError(
                f"raw.{contract.table} is checked against raw.{table}, which has never been loaded: "
                f"materialise raw/{table} first (or with it)"
            )


def fold_rows(
    conn: duckdb.DuckDBPyConnection, contract: SourceContract, key: tuple[str, ...]
) -> dict[str, int]:
    """``distinct_on``: keep the first row (file order) of each key, drop the others; rows by file.
    Rows missing a key part are kept (the quarantine rules judge them)."""
    parts = ", ".join(f"trim({quote(c)})" for c in key)
    complete = " and ".join(f"nullif(trim({quote(c)}), '') is not null" for c in key)
    conn.execute(
        f"""
        create temp table _folded as
        select _source_file, _row_number from (
            select _source_file, _row_number,
                row_number() over (partition by {parts} order by _source_file, _row_number) as n
            from raw.{contract.table} where {complete}
        ) where n > 1
        """
    )
    try:
        conn.execute(
            f"delete from raw.{contract.table} r using _folded f "
            "where r._source_file = f._source_file and r._row_number = f._row_number"
        )
        return dict(conn.execute("select _source_file, count(*) from _folded group by 1").fetchall())
    finally:
        conn.execute("drop table _folded")


def null_marked_values(
    conn: duckdb.DuckDBPyConnection, contract: SourceContract, markers: tuple[str, ...]
) -> dict[str, int]:
    """Optional values that only say 'no value' (``quality.null_markers``: NULL, N/A, -) become null
    before the rules run, so such a field is empty instead of its row quarantined. Values by column."""
    optional = [c.name for c in contract.columns if not (c.required or c.name in contract.primary_key)]
    if not markers or not optional:
        return {}
    marked = {c: is_marker_sql(c, markers) for c in optional}
    [counts] = conn.execute(
        "select "
        + ", ".join(f"count(*) filter (where {cond})" for cond in marked.values())
        + f" from raw.{contract.table}"
    ).fetchall()
    nulled = {c: int(n) for c, n in zip(marked, counts, strict=True) if n}
    if nulled:
        sets = ", ".join(f"{quote(c)} = case when {marked[c]} then null else {quote(c)} end" for c in nulled)
        conn.execute(
            f"update raw.{contract.table} set {sets} where " + " or ".join(marked[c] for c in nulled)
        )
    return nulled


def quarantine_rows(
    conn: duckdb.DuckDBPyConnection,
    contract: SourceContract,
    loaded_at: datetime,
    retailer: RetailerConfig,
    malformed_lines: bool = False,
    load_id: str | None = None,
) -> tuple[dict[str, int], dict[str, int]]:
    """Move the rows that break a rule from ``raw.<table>`` to ``quarantine.<table>``; with
    ``malformed_lines``, the lines read that were not JSON objects (``staged_tables()[1]``) too, with
    their file, line and text (``_line``) and every contract column empty (rule ``malformed_json``).

    Returns the quarantined rows by file and by (first) rule."""
    table = contract.table
    conn.execute(create_raw_table_sql(contract, "quarantine"))
    conn.execute(f"create temp table _broken as {broken_rules_sql(contract, loaded_at, retailer)}")
    raw_columns = ", ".join(quote(c) for c in [*contract.column_names, *(c.name for c in LINEAGE_COLUMNS)])
    line_column = ", null" if contract.quarantines_malformed_lines else ""
    try:
        if malformed_lines:
            lines = staged_tables(table)[1]
            conn.execute(
                f"insert into quarantine.{table} ({raw_columns}, quarantine_rule, quarantine_rules, _line) "
                f"select {', '.join(['null'] * len(contract.columns))}, _source_file, _row_number, ?, ?, "
                f"'{MALFORMED_JSON}', ['{MALFORMED_JSON}'], _line from {lines}",
                [load_id, loaded_at],
            )
            conn.execute(f"drop table {lines}")
        conn.execute(
            f"insert into quarantine.{table} "
            f"select r.*, b.rules[1], b.rules{line_column} from raw.{table} r "
            "join _broken b using (_source_file, _row_number)"
        )
        by_file = dict(
            conn.execute(f"select _source_file, count(*) from quarantine.{table} group by 1").fetchall()
        )
        by_rule = dict(
            conn.execute(f"select quarantine_rule, count(*) from quarantine.{table} group by 1").fetchall()
        )
        conn.execute(
            f"delete from raw.{table} r using _broken b "
            "where r._source_file = b._source_file and r._row_number = b._row_number"
        )
    finally:
        conn.execute("drop table _broken")
    return by_file, by_rule


def load_absent(conn: duckdb.DuckDBPyConnection, plan: SourcePlan) -> SourceLoad:
    """A source not delivered: empty raw and quarantine tables with the contract's columns."""
    conn.execute("begin transaction")
    try:
        conn.execute(create_raw_table_sql(plan.contract))
        conn.execute(create_raw_table_sql(plan.contract, "quarantine"))
        record_field_warnings(conn, plan.contract, None)
        conn.execute("commit")
    except BaseException:
        conn.execute("rollback")
        raise
    note = plan.no_files or not_delivered_note(plan.config_path)
    return SourceLoad(
        plan.contract.table, [], not_delivered=note, files_glob=plan.delivery and plan.delivery.files
    )


def load_source(
    conn: duckdb.DuckDBPyConnection,
    landing_dir: Path,
    contract: SourceContract,
    load_id: str,
    loaded_at: datetime,
    retailer: RetailerConfig,
    config_path: str | Path,
    plan: SourcePlan | None = None,
) -> SourceLoad:
    """Replace ``raw.<table>`` (and ``quarantine.<table>``) with every file of the source, atomically.

    ``retailer`` (read from ``config_path``) says which files and how. ``plan``: the source already
    planned by ``plan_source``."""
    config_path = str(config_path)
    for schema in ("raw", "quarantine", "ops"):
        conn.execute(f"create schema if not exists {schema}")
    if plan is None:
        plan = plan_source(conn, landing_dir, contract, retailer, config_path)
    try:
        if not plan.delivered:
            return load_absent(conn, plan)
        return _load_planned(conn, plan, landing_dir, load_id, loaded_at, retailer)
    finally:
        plan.cleanup(conn)  # a failed load leaves no staged rows behind


def _load_planned(
    conn: duckdb.DuckDBPyConnection,
    plan: SourcePlan,
    landing_dir: Path,
    load_id: str,
    loaded_at: datetime,
    retailer: RetailerConfig,
) -> SourceLoad:
    contract = plan.contract
    _require_references(conn, contract, set(retailer.sources))
    conn.execute("begin transaction")
    try:
        if not plan.staged:
            conn.execute(create_raw_table_sql(contract))
        to_read = read_indexes(plan)
        first_with = {plan.scans[n].sha256: str(plan.scans[n].path.relative_to(landing_dir)) for n in to_read}
        duplicates: dict[str, FileLoad] = {}
        for n, scan in enumerate(plan.scans):
            relative = str(scan.path.relative_to(landing_dir))
            if n not in to_read:  # delivered twice (a copy, a re-send): read once
                duplicates[relative] = FileLoad(
                    relative, 0, scan.bytes, scan.sha256, scan.encoding, first_with[scan.sha256]
                )
        staged = plan.staged
        read = load_files(conn, plan, to_read, landing_dir, load_id, loaded_at)
        by_name = {f.file: f for f in read}
        by_name.update(duplicates)
        loads = [by_name[str(s.path.relative_to(landing_dir))] for s in plan.scans]  # in file order
        folded = fold_rows(conn, contract, plan.delivery.distinct_on) if plan.delivery.distinct_on else {}
        started = time.perf_counter()
        nulled = null_marked_values(conn, contract, retailer.quality.null_markers)
        by_file, by_rule = quarantine_rows(
            conn, contract, loaded_at, retailer, malformed_lines=staged, load_id=load_id
        )
        warnings = record_field_warnings(conn, contract, load_id)
        result = SourceLoad(
            contract.table,
            loads,
            by_file,
            by_rule,
            time.perf_counter() - started,
            folded,
            warnings,
            files_glob=plan.delivery.files,
            nulled_by_column=nulled,
        )
        record_loads(conn, result, load_id, loaded_at)
        record_quarantine_by_rule(conn, contract, load_id, loaded_at, tuple(retailer.units_by_code))
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
    "sha256": ("varchar", "Hex sha256 of the file as delivered (its compressed bytes for a gzip file)."),
    "loaded_at": ("timestamp", "When the file was loaded (UTC)."),
    "encoding": ("varchar", "Encoding the file was read with."),
    "duplicate_of": ("varchar", "File with the same content already loaded (this one was skipped)."),
    "rows_quarantined": ("bigint", "Rows of the file sent to quarantine."),
    "rows_folded": ("bigint", "Rows of the file folded into an earlier row of the same key (distinct_on)."),
}


QUARANTINE_BY_RULE_COLUMNS = {
    "load_id": ("varchar", "Load (Dagster run) that quarantined the rows."),
    "loaded_at": ("timestamp", "When the load ran (UTC)."),
    "raw_table": ("varchar", "Raw table (source) the rows were delivered for."),
    "business_unit": (
        "varchar",
        "Business unit of the rows (their country_code when it is a configured unit); null when the source "
        "has no business-unit column or the value is not a known unit.",
    ),
    "quarantine_rule": ("varchar", "First rule the rows broke (platform_assets/quality/rules.py)."),
    "rows": ("bigint", "Rows of the load quarantined under that rule."),
}


def record_quarantine_by_rule(
    conn: duckdb.DuckDBPyConnection,
    contract: SourceContract,
    load_id: str,
    loaded_at: datetime,
    business_units: tuple[str, ...],
) -> int:
    """Count the load's quarantined rows per rule and business unit into ``ops.quarantine_by_rule``
    (no record, only counts: the cockpits and the analyst file read it). Returns the lines written."""
    conn.execute("create schema if not exists ops")
    columns = ", ".join(f"{name} {type_}" for name, (type_, _) in QUARANTINE_BY_RULE_COLUMNS.items())
    conn.execute(f"create table if not exists ops.quarantine_by_rule ({columns})")
    comment_table(
        conn,
        "ops.quarantine_by_rule",
        "Rows quarantined by the landing loads, counted per load, source, business unit and rule (no record "
        "in it). A load that quarantined nothing has no line.",
        {name: text for name, (_, text) in QUARANTINE_BY_RULE_COLUMNS.items()},
    )
    unit = (
        f"case when upper(trim({quote(BUSINESS_UNIT_COLUMN)})) in ({', '.join('?' * len(business_units))}) "
        f"then upper(trim({quote(BUSINESS_UNIT_COLUMN)})) end"
        if BUSINESS_UNIT_COLUMN in contract.column_names and business_units
        else "null::varchar"
    )
    params = list(business_units) if unit != "null::varchar" else []
    conn.execute(
        "delete from ops.quarantine_by_rule where load_id = ? and raw_table = ?", [load_id, contract.table]
    )
    conn.execute(
        "insert into ops.quarantine_by_rule "
        f"select ?, ?, ?, {unit}, quarantine_rule, count(*) from quarantine.{contract.table} "
        "where _load_id = ? group by all",
        [load_id, loaded_at, contract.table, *params, load_id],
    )
    [(written,)] = conn.execute(
        "select count(*) from ops.quarantine_by_rule where load_id = ? and raw_table = ?",
        [load_id, contract.table],
    ).fetchall()
    return written


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
        f"insert into ops.landing_files ({', '.join(LANDING_FILES_COLUMNS)}) values ({', '.join('?' * len(LANDING_FILES_COLUMNS))})",
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
                load.folded_by_file.get(f.file, 0),
            )
            for f in load.files
        ],
    )
