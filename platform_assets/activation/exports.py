"""Audience files for the contact tools: one CSV per campaign x channel x business unit, and a manifest.

Each file carries only the contact fields its channel needs (``FIELDS``), under the column names the
erasure sweep (platform_assets/privacy/exports.py) matches on: customer_id, email, phone_e164. Only
the treatment group is exported; holdouts never leave the warehouse. Files are written to a
temporary name and moved into place with ``os.replace`` (a reader never sees half a file); the
manifest next to each (``<file>.manifest.json``) gives rows, columns, sha256, generation time and
reference date, and ``manifest.json`` of the day lists them all. Files of the same day that this run
did not write (a campaign that no longer has members) are removed.

Layout: ``<exports dir>/activation/<reference date>/<campaign>__<channel>__<business unit>.csv``, with
``__follow-up`` before ``.csv`` for a cascade's follow-up (cascade.py). Each file's manifest gives the
send code the contact tool must send it under: a cascade's e-mail events come back with it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import asdict, dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from platform_assets.activation import columns
from platform_assets.activation.cascade import send_code
from platform_assets.activation.store import AUDIENCES, EXPORTS, day_history_sql
from platform_assets.lib.metadata import polars_schema
from platform_assets.lib.tables import replace_table, sql_literal, table_exists
from platform_assets.privacy.tables import SUPPRESSION_TABLE

if TYPE_CHECKING:
    import polars as pl

FIELDS = {
    "email": ("customer_id", "email", "first_name"),
    "sms": ("customer_id", "phone_e164"),
    "phone": ("customer_id", "phone_e164", "first_name", "last_name"),
    "post": ("customer_id", "first_name", "last_name", "street", "postcode", "city", "country_code"),
}
SUBDIR = "activation"
DAY_MANIFEST = "manifest.json"


@dataclass(frozen=True)
class ExportFile:
    reference_date: date
    campaign_code: str
    channel: str
    business_unit: str
    cascade_step: int
    send_code: str  # the code the contact tool sends the file under (cascade.send_code)
    offer: str
    file_path: str  # relative to the exports directory
    rows: int
    columns: str  # comma-separated
    sha256: str
    generated_at: datetime
    run_id: str


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "-", text)


def file_name(campaign_code: str, channel: str, business_unit: str, cascade_step: int = 1) -> str:
    step = "__follow-up" if cascade_step == 2 else ""
    return f"{_safe(campaign_code)}__{channel}__{_safe(business_unit)}{step}.csv"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_json(data: dict, path: Path) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
    os.replace(temporary, path)


def write_exports(
    conn: duckdb.DuckDBPyConnection,
    audiences: str,
    contacts: str,
    exports_dir: Path,
    reference_date: date,
    run_id: str,
    generated_at: datetime,
) -> list[ExportFile]:
    """Writes the treatment members of ``audiences`` (reference_date, campaign_code, channel,
    business_unit, offer, customer_id, audience_group) with their fields from ``contacts`` (one row
    per customer_id, e.g. referential.dim_customer); returns one entry per file written."""
    day_dir = exports_dir / SUBDIR / reference_date.isoformat()
    day_dir.mkdir(parents=True, exist_ok=True)
    groups = conn.execute(
        f"select campaign_code, channel, business_unit, cascade_step, any_value(offer) from {audiences} "
        "where audience_group = 'treatment' and reference_date = ? group by all order by all",
        [reference_date],
    ).fetchall()
    written: list[ExportFile] = []
    for campaign_code, channel, business_unit, step, offer in groups:
        fields = FIELDS[channel]
        name = file_name(campaign_code, channel, business_unit, step)
        path = day_dir / name
        temporary = day_dir / f".{name}.tmp"
        select = ", ".join(f"c.{f}" for f in fields)
        conn.execute(
            f"copy (select {select} from {audiences} a join {contacts} c using (customer_id) "
            f"where a.audience_group = 'treatment' and a.reference_date = {sql_literal(reference_date.isoformat())} "
            f"and a.campaign_code = {sql_literal(campaign_code)} and a.channel = {sql_literal(channel)} "
            f"and a.business_unit = {sql_literal(business_unit)} and a.cascade_step = {int(step)} "
            "order by c.customer_id) "
            f"to {sql_literal(str(temporary))} (format csv, header true)"
        )
        [(rows,)] = conn.execute(
            f"select count(*) from read_csv({sql_literal(str(temporary))}, all_varchar = true, header = true)"
        ).fetchall()
        os.replace(temporary, path)
        entry = ExportFile(
            reference_date,
            campaign_code,
            channel,
            business_unit,
            int(step),
            send_code(campaign_code, business_unit, reference_date, channel, step),
            offer,
            str(path.relative_to(exports_dir)),
            int(rows),
            ",".join(fields),
            sha256_of(path),
            generated_at,
            run_id,
        )
        _write_json(asdict(entry), path.with_name(f"{name}.manifest.json"))
        written.append(entry)
    keep = {Path(e.file_path).name for e in written}
    for old in day_dir.glob("*.csv"):
        if old.name not in keep:
            old.unlink()
            old.with_name(f"{old.name}.manifest.json").unlink(missing_ok=True)
    _write_json(
        {
            "reference_date": reference_date.isoformat(),
            "run_id": run_id,
            "generated_at": generated_at.isoformat(),
            "files": [asdict(e) for e in written],
        },
        day_dir / DAY_MANIFEST,
    )
    return written


def record_exports(conn: duckdb.DuckDBPyConnection, files: list[ExportFile], reference_date: date) -> int:
    """The day's files as rows of activation.audience_exports (other days' rows kept); returns its rows."""
    import polars as pl  # imported when used: keeps the code location fast

    frame = (
        pl.DataFrame([asdict(e) for e in files])
        if files
        else pl.DataFrame(schema=polars_schema(columns.AUDIENCE_EXPORTS))
    )
    conn.register("export_files", frame)
    try:
        sql = day_history_sql(
            conn, EXPORTS, columns.AUDIENCE_EXPORTS, "select * from export_files", reference_date
        )
        return replace_table(conn, EXPORTS, sql)
    finally:
        conn.unregister("export_files")


def listing(files: list[ExportFile]) -> pl.DataFrame:
    """The files written: path, rows, columns."""
    import polars as pl

    return pl.DataFrame(
        {
            "file": [e.file_path for e in files],
            "rows": [e.rows for e in files],
            "columns": [e.columns for e in files],
        }
    )


def erased(column: str) -> str:
    """SQL: ``column`` (a customer id) is on the erasure suppression list."""
    return f"sha256({column}) in (select key_hash from {SUPPRESSION_TABLE} where key_type = 'customer_id')"


def file_problems(conn: duckdb.DuckDBPyConnection, exports_dir: Path) -> dict[str, int]:
    """The files of the latest export day, read back: present, unchanged, the right rows and columns,
    and nobody in them held out, unconsented or erased. Problem -> count."""
    problems = {"file_missing": 0, "checksum_differs": 0, "rows_differ": 0, "columns_differ": 0}
    entries = conn.execute(
        f"select file_path, sha256, rows, columns, channel, campaign_code, business_unit, reference_date, "
        f"cascade_step from {EXPORTS} where reference_date = (select max(reference_date) from {EXPORTS})"
    ).fetchall()
    has_suppression = table_exists(conn, SUPPRESSION_TABLE)
    for path, digest, rows, cols, channel, campaign, bu, ref, step in entries:
        file = exports_dir / path
        if not file.exists():
            problems["file_missing"] += 1
            continue
        if sha256_of(file) != digest:
            problems["checksum_differs"] += 1
        reader = f"read_csv({sql_literal(str(file))}, all_varchar = true, header = true)"
        header = conn.sql(f"select * from {reader} limit 0").columns
        if tuple(header) != FIELDS[channel] or cols != ",".join(FIELDS[channel]):
            problems["columns_differ"] += 1
        [(treated,)] = conn.execute(
            f"select count(*) from {AUDIENCES} where audience_group = 'treatment' and reference_date = ? "
            "and campaign_code = ? and channel = ? and business_unit = ? and cascade_step = ?",
            [ref, campaign, channel, bu, step],
        ).fetchall()
        [(in_file,)] = conn.execute(f"select count(*) from {reader}").fetchall()
        if not (in_file == rows == treated):
            problems["rows_differ"] += 1
        consent = f"has_{channel}_consent"
        counts = conn.execute(
            f"select count(*) filter (where a.audience_group is distinct from 'treatment'), "
            f"count(*) filter (where not coalesce(d.{consent}, false)), "
            + (f"count(*) filter (where {erased('f.customer_id')})" if has_suppression else "0")
            + f" from {reader} f "
            f"left join {AUDIENCES} a on a.customer_id = f.customer_id and a.campaign_code = ? "
            "and a.channel = ? and a.business_unit = ? and a.reference_date = ? and a.cascade_step = ? "
            "left join referential.dim_customer d on d.customer_id = f.customer_id",
            [campaign, channel, bu, ref, step],
        ).fetchall()[0]
        for name, n in zip(
            ("holdout_or_unselected_exported", "unconsented_exported", "erased_exported"), counts, strict=True
        ):
            problems[name] = problems.get(name, 0) + int(n)
    return problems
