"""Right of access and portability (GDPR art. 15, 20): each request of ``consent/access_requests.csv``
is resolved through identity resolution and answered with a bundle of everything held on the person.

A request names the person by e-mail, phone and/or a customer number (a source record id: CRM contact,
web account, loyalty card; or their customer id), hashed in ``int_access_requests_standardised`` and
compared with the hashes of the records in the crosswalk:
- one customer: answered with a bundle under ``<exports>/privacy/access/<request id>/``: one JSON file
  with every section, one CSV per section, and ``manifest.json`` (rows and sha256 of each file). The
  sections are the person's source records (every system), and every table of the referential, sales,
  marketing, features, scores and activation schemas with a ``customer_id`` (the golden record, the
  consent history, orders, scores and segments, campaigns they were contacted by...), each with the
  table's description and its columns' as its plain-language explanation;
- nobody (an unknown identifier, or a person erased: their records are out of the crosswalk and their
  identifiers on the suppression list): "no data held", no bundle;
- two customers or more (the e-mail of one and the phone of another): flagged for a human
  (``needs_review``), nothing merged, no bundle; so is a request with no readable identifier, and one
  where an erased person's identifier stands beside one leading to a customer. An identifier that
  matches nobody beside one that matches a customer is said in the reason (an address we never had).

``ops.privacy_requests`` keeps every request (hashed identifiers only): status, the legal due date
(received + 30 days), the bundle. A bundle already written stays as answered; a person erased after
the answer loses the bundle on the next run. No Dagster here: the asset hands in the connection.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from platform_assets.lib.tables import table_exists
from platform_assets.privacy.tables import RECORDS_MODEL, SUPPRESSION_TABLE

if TYPE_CHECKING:
    import polars as pl

REQUESTS_MODEL = "intermediate.int_access_requests_standardised"
TABLE = "ops.privacy_requests"
XREF = "referential.customer_xref"
DUE_DAYS = 30  # GDPR art. 12(3): one month
BUNDLES = Path("privacy") / "access"  # under the exports directory
ANSWERED, NO_DATA, REVIEW = "answered", "no_data_held", "needs_review"
EXPIRED = "answered_bundle_deleted"  # answered; the bundle was deleted after the retention period
STATUSES = (ANSWERED, NO_DATA, REVIEW, EXPIRED)
# The schemas whose tables with a customer_id column make up a bundle (the published ones, no ops).
BUNDLE_SCHEMAS = ("referential", "sales", "marketing", "features", "scores", "activation")
SOURCE_RECORDS = "source_records"
COLUMNS = (
    ("request_id", "varchar", "Access request id (the request file's)."),
    ("request_type", "varchar", "access (right of access and portability, GDPR art. 15 and 20)."),
    ("received_at", "timestamp", "When the request was received (UTC)."),
    ("due_date", "date", "The legal due date of the answer: received + 30 days."),
    (
        "status",
        "varchar",
        "answered (a bundle was written), no_data_held (no customer matches, or the person was erased), "
        "needs_review (two or more customers match, or no identifier could be read: a person decides) or "
        "answered_bundle_deleted (answered; the bundle was deleted after the retention period).",
    ),
    ("reason", "varchar", "Why that status, in words."),
    ("customers_matched", "bigint", "Customers the request's identifiers matched."),
    (
        "customer_id_sha256",
        "varchar",
        "sha256 of the customer id answered (no plain identifier is kept here).",
    ),
    ("source_records", "bigint", "Source records of the person in the bundle."),
    ("bundle", "varchar", "The bundle's folder under the exports directory; null without a bundle."),
    ("answered_at", "timestamp", "When the bundle was written or the answer decided (UTC)."),
    ("run_id", "varchar", "The run that decided the status."),
)


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def empty_log() -> pl.DataFrame:
    import polars as pl

    types = {"varchar": pl.String, "timestamp": pl.Datetime("us"), "date": pl.Date, "bigint": pl.Int64}
    return pl.DataFrame(schema={name: types[type_] for name, type_, _ in COLUMNS})


def requests(conn: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """The standardised requests (none when the model is absent)."""
    import polars as pl

    if not table_exists(conn, REQUESTS_MODEL):
        return pl.DataFrame(
            schema={
                "access_request_id": pl.String,
                "email_sha256": pl.String,
                "phone_sha256": pl.String,
                "customer_reference_sha256": pl.String,
                "received_at": pl.Datetime("us"),
            }
        )
    return conn.sql(
        f"select access_request_id, email_sha256, phone_sha256, customer_reference_sha256, received_at "
        f"from {REQUESTS_MODEL} order by access_request_id"
    ).pl()


def matches(conn: duckdb.DuckDBPyConnection, wanted: pl.DataFrame) -> pl.DataFrame:
    """access_request_id, key_type, customer_id of every customer each of a request's identifiers
    (email, phone, number) reaches (hash to hash):
    e-mails and phones of the standardised records, record ids and customer ids as customer numbers."""
    import polars as pl

    keys = (
        wanted.select(
            "access_request_id",
            pl.concat_list(
                pl.struct(pl.lit("email").alias("k"), pl.col("email_sha256").alias("h")),
                pl.struct(pl.lit("phone").alias("k"), pl.col("phone_sha256").alias("h")),
                pl.struct(pl.lit("number").alias("k"), pl.col("customer_reference_sha256").alias("h")),
            ).alias("key"),
        )
        .explode("key")
        .unnest("key")
        .filter(pl.col("h").is_not_null())
    )
    conn.register("access_keys", keys)
    try:
        return conn.sql(
            f"""
            with record_keys as (
                select x.customer_id, 'email' as k, sha256(r.email_std) as h
                from {RECORDS_MODEL} r join {XREF} x using (record_id) where r.email_std is not null
                union all
                select x.customer_id, 'phone', sha256(r.phone_e164)
                from {RECORDS_MODEL} r join {XREF} x using (record_id) where r.phone_e164 is not null
                union all
                select customer_id, 'number', sha256(lower(source_id)) from {XREF}
                union all
                select distinct customer_id, 'number', sha256(lower(customer_id)) from {XREF}
            )
            select distinct a.access_request_id, a.k as key_type, r.customer_id
            from access_keys a join record_keys r on r.k = a.k and r.h = a.h
            order by 1, 2, 3
            """
        ).pl()
    finally:
        conn.unregister("access_keys")


def suppressed(conn: duckdb.DuckDBPyConnection, wanted: pl.DataFrame) -> set[str]:
    """Requests whose e-mail or phone is on the erasure suppression list (an erased person)."""
    if not table_exists(conn, SUPPRESSION_TABLE) or wanted.is_empty():
        return set()
    conn.register("access_wanted", wanted)
    try:
        rows = conn.execute(
            f"select distinct access_request_id from access_wanted a join {SUPPRESSION_TABLE} s "
            "on (s.key_type = 'email' and s.key_hash = a.email_sha256) "
            "or (s.key_type = 'phone' and s.key_hash = a.phone_sha256)"
        ).fetchall()
    finally:
        conn.unregister("access_wanted")
    return {r for (r,) in rows}


@dataclass(frozen=True)
class Decision:
    request_id: str
    received_at: datetime
    status: str
    reason: str
    customer_ids: tuple[str, ...]


KEY_COLUMNS = {"email": "email_sha256", "phone": "phone_sha256", "number": "customer_reference_sha256"}
KEY_NAMES = {"email": "the e-mail", "phone": "the phone", "number": "the customer number"}


def decide(wanted: pl.DataFrame, matched: pl.DataFrame, erased: set[str]) -> list[Decision]:
    """Each request's status from the customers its identifiers matched: answered when the identifiers
    that match lead to one customer (one that matches nobody is said in the reason: a person may give
    an address we never had); two customers, or an erased person's identifier beside a customer's, go
    to a person (never merged, never guessed)."""
    reached: dict[str, dict[str, set[str]]] = {}
    for request_id, key_type, customer_id in matched.iter_rows():
        reached.setdefault(request_id, {}).setdefault(key_type, set()).add(customer_id)
    decisions = []
    for row in wanted.iter_rows(named=True):
        request_id = row["access_request_id"]
        given = [k for k, column in KEY_COLUMNS.items() if row[column] is not None]
        by_key = reached.get(request_id, {})
        customers = tuple(sorted(set().union(*by_key.values()))) if by_key else ()
        unmatched = [KEY_NAMES[k] for k in given if k not in by_key]
        if not given:
            status, reason = (
                REVIEW,
                "no identifier could be read (e-mail, phone, customer number): a person checks",
            )
        elif len(customers) > 1:
            status, reason = (
                REVIEW,
                (f"the identifiers match {len(customers)} different customers: not merged, a person decides"),
            )
        elif customers and request_id in erased:
            status, reason = (
                REVIEW,
                (
                    "an identifier belongs to an erased person while another matches a customer: a person checks"
                ),
            )
        elif customers:
            status, reason = (
                ANSWERED,
                "one customer: bundle written"
                + (f" ({', '.join(unmatched)} matches no record)" if unmatched else ""),
            )
        elif request_id in erased:
            status, reason = NO_DATA, "no data held: the person's data was erased"
        else:
            status, reason = NO_DATA, "no data held: no customer has these identifiers"
        decisions.append(Decision(request_id, row["received_at"], status, reason, customers))
    return decisions


def due_date(received_at: datetime) -> date:
    return received_at.date() + timedelta(days=DUE_DAYS)


def customer_tables(conn: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[str, str]]]:
    """``schema.table`` -> (column, type) of every table of the bundle schemas with a customer_id."""
    rows = conn.execute(
        "select schema_name || '.' || table_name, list((column_name, data_type) order by column_index) "
        "from duckdb_columns() where database_name = current_database() and list_contains(?, schema_name) "
        "group by all having list_contains(list(column_name), 'customer_id') order by 1",
        [list(BUNDLE_SCHEMAS)],
    ).fetchall()
    return {
        table: [tuple(c.values()) if isinstance(c, dict) else tuple(c) for c in columns]
        for table, columns in rows
    }


def _select(columns: list[tuple[str, str]]) -> str:
    """Nested values (lists, structs, maps) as text, so every section is a flat CSV too."""
    nested = ("[", "STRUCT", "MAP", "UNION")
    return ", ".join(
        f'"{name}"::varchar as "{name}"' if any(n in type_ for n in nested) else f'"{name}"'
        for name, type_ in columns
    )


def gather(conn: duckdb.DuckDBPyConnection, customer_ids: list[str]) -> dict[str, pl.DataFrame]:
    """Section -> rows of the given customers (one scan per table for all of them): their source
    records (every system: the crosswalk, with the record's content where identity standardised it)
    and every customer table of the bundle schemas."""
    import polars as pl

    conn.register(
        "access_customers", pl.DataFrame({"customer_id": customer_ids}, schema={"customer_id": pl.String})
    )
    try:
        record_columns = [
            (name, type_)
            for name, type_ in conn.execute(
                "select column_name, data_type from duckdb_columns() where database_name = current_database() "
                "and schema_name || '.' || table_name = ? and not ends_with(column_name, '_std') "
                "and column_name not in ('record_id', 'source_system', 'source_id', 'phone_e164', "
                "'has_too_little_identity') order by column_index",
                [RECORDS_MODEL],
            ).fetchall()
        ]
        content = ", ".join(f'r."{name}"' for name, _ in record_columns)
        sections = {
            SOURCE_RECORDS: conn.sql(
                f"select x.customer_id, x.record_id, x.source_system, x.source_id, x.match_rule"
                f"{', ' + content if content else ''} from {XREF} x "
                f"left join {RECORDS_MODEL} r using (record_id) "
                "where x.customer_id in (select customer_id from access_customers) order by x.record_id"
            ).pl()
        }
        for table, columns in customer_tables(conn).items():
            sections[table] = conn.sql(
                f"select {_select(columns)} from {table} "
                "where customer_id in (select customer_id from access_customers)"
            ).pl()
    finally:
        conn.unregister("access_customers")
    return sections


def _json_value(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def write_bundle(
    folder: Path,
    request_id: str,
    customer_id: str,
    sections: dict[str, pl.DataFrame],
    explanations: dict[str, tuple[str | None, dict[str, str]]],
    received_at: datetime,
    now: datetime,
    run_id: str,
) -> int:
    """Writes one person's bundle (JSON, one CSV per non-empty section, manifest with sha256) into a
    fresh folder, swapped in whole; returns the source records it holds."""
    import polars as pl

    mine = {name: frame.filter(pl.col("customer_id") == customer_id) for name, frame in sections.items()}
    building = folder.with_name(f".{folder.name}.building")
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir(parents=True)
    document = {
        "request_id": request_id,
        "received_at": received_at.isoformat(),
        "due_date": due_date(received_at).isoformat(),
        "generated_at": now.isoformat(),
        "customer_id": customer_id,
        "about": "Everything the platform holds on you, one section per table: what it is, what each "
        "column means, and your rows. The CSV files hold the same rows, one file per section.",
        "sections": {},
    }
    files: dict[str, dict] = {}
    for name, frame in mine.items():
        description, columns = explanations.get(name, (None, {}))
        document["sections"][name] = {
            "explanation": description,
            "columns": {c: columns.get(c) for c in frame.columns},
            "rows": [{k: _json_value(v) for k, v in row.items()} for row in frame.iter_rows(named=True)],
        }
        if frame.height:
            path = building / f"{name}.csv"
            frame.write_csv(path)
            files[path.name] = {"rows": frame.height}
    (building / "access.json").write_text(
        json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n"
    )
    files["access.json"] = {"rows": sum(f.height for f in mine.values())}
    for name, entry in files.items():
        entry["sha256"] = hashlib.sha256((building / name).read_bytes()).hexdigest()
    manifest = {
        "request_id": request_id,
        "generated_at": now.isoformat(),
        "run_id": run_id,
        "customer_id_sha256": sha256(customer_id),  # the export sweep deletes the bundle if they are erased
        "files": files,
    }
    (building / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    shutil.rmtree(folder, ignore_errors=True)
    building.rename(folder)
    return mine[SOURCE_RECORDS].height


def verify_bundle(folder: Path) -> list[str]:
    """What is wrong with a bundle: a file missing or not matching its manifest's sha256."""
    manifest_path = folder / "manifest.json"
    if not manifest_path.exists():
        return [f"{folder.name}: no manifest"]
    problems = []
    for name, entry in json.loads(manifest_path.read_text())["files"].items():
        path = folder / name
        if not path.exists():
            problems.append(f"{folder.name}/{name}: missing")
        elif hashlib.sha256(path.read_bytes()).hexdigest() != entry["sha256"]:
            problems.append(f"{folder.name}/{name}: sha256 differs from the manifest")
    return problems


def erased_customer_hashes(conn: duckdb.DuckDBPyConnection) -> set[str]:

    if not table_exists(conn, SUPPRESSION_TABLE):
        return set()
    rows = conn.execute(f"select key_hash from {SUPPRESSION_TABLE} where key_type = 'customer_id'").fetchall()
    return {h for (h,) in rows}


SOURCE_RECORDS_EXPLANATION = (
    "Your records in each of our systems (CRM contacts, web shop accounts and guest orders, loyalty cards, "
    "e-mail subscriptions) that we recognised as you, with what each record says (as the system holds it) "
    "and the rule that linked it to you."
)


@dataclass(frozen=True)
class Answered:
    log: pl.DataFrame  # COLUMNS, every request ever received
    written: list[str]  # request ids whose bundle this run wrote
    deleted: list[str]  # request ids whose bundle this run deleted (the person was erased since)
    expired: dict[str, int] = field(
        default_factory=dict
    )  # bundle folder -> files, deleted after the retention period


def answer(
    conn: duckdb.DuckDBPyConnection,
    exports_dir: Path,
    explanations: dict[str, tuple[str | None, dict[str, str]]],
    run_id: str,
    now: datetime,
    bundle_days: int | None = None,
    reference_date: date | None = None,
) -> Answered:
    """Decides every request of the file not answered yet, writes the bundles, deletes those of persons
    erased since and those answered more than ``bundle_days`` before ``reference_date`` (the retention
    period of access bundles; None: kept); returns the new ``ops.privacy_requests``."""
    import polars as pl

    previous = conn.sql(f"select * from {TABLE}").pl() if table_exists(conn, TABLE) else empty_log()
    log = {row["request_id"]: row for row in previous.iter_rows(named=True)}
    erased = erased_customer_hashes(conn)
    deleted = []
    for row in log.values():
        if row["status"] == ANSWERED and row["customer_id_sha256"] in erased:
            if row["bundle"]:
                shutil.rmtree(exports_dir / row["bundle"], ignore_errors=True)
            row.update(
                status=NO_DATA,
                reason="no data held: the person was erased after the answer; the bundle was deleted",
                bundle=None,
                source_records=0,
                answered_at=now,
                run_id=run_id,
            )
            deleted.append(row["request_id"])
    expired = expire_bundles(log, exports_dir, bundle_days, reference_date, run_id)
    done = {
        r for r, row in log.items() if row["status"] == ANSWERED and (exports_dir / row["bundle"]).is_dir()
    } | {r for r, row in log.items() if row["status"] == EXPIRED}  # answered once: never again
    wanted = requests(conn).filter(~pl.col("access_request_id").is_in(sorted(done)))
    decisions = decide(wanted, matches(conn, wanted), suppressed(conn, wanted))
    answering = [d for d in decisions if d.status == ANSWERED]
    sections = gather(conn, [d.customer_ids[0] for d in answering]) if answering else {}
    explanations = {SOURCE_RECORDS: (SOURCE_RECORDS_EXPLANATION, {}), **explanations}
    written = []
    for d in decisions:
        before = log.get(d.request_id)
        row = {
            "request_id": d.request_id,
            "request_type": "access",
            "received_at": d.received_at,
            "due_date": due_date(d.received_at),
            "status": d.status,
            "reason": d.reason,
            "customers_matched": len(d.customer_ids),
            "customer_id_sha256": sha256(d.customer_ids[0]) if d.status == ANSWERED else None,
            "source_records": 0,
            "bundle": None,
            "answered_at": now,
            "run_id": run_id,
        }
        if d.status == ANSWERED:
            bundle = BUNDLES / d.request_id
            row["source_records"] = write_bundle(
                exports_dir / bundle,
                d.request_id,
                d.customer_ids[0],
                sections,
                explanations,
                d.received_at,
                now,
                run_id,
            )
            row["bundle"] = str(bundle)
            written.append(d.request_id)
        elif before and (before["status"], before["reason"]) == (d.status, d.reason):
            row.update(answered_at=before["answered_at"], run_id=before["run_id"])  # nothing new to say
        log[d.request_id] = row
    frame = pl.DataFrame(list(log.values()), schema=empty_log().schema).sort("received_at", "request_id")
    return Answered(frame, written, deleted, expired)


def expire_bundles(
    log: dict[str, dict], exports_dir: Path, days: int | None, reference_date: date | None, run_id: str
) -> dict[str, int]:
    """Deletes the bundles answered more than ``days`` before ``reference_date`` (their rows say so and keep
    when they were answered); returns bundle folder -> files deleted."""
    if days is None or reference_date is None:
        return {}
    cutoff = reference_date - timedelta(days=days)
    expired = {}
    for row in log.values():
        if row["status"] == ANSWERED and row["bundle"] and row["answered_at"].date() < cutoff:
            folder = exports_dir / row["bundle"]
            expired[row["bundle"]] = (
                sum(1 for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else 0
            )
            shutil.rmtree(folder, ignore_errors=True)
            row.update(
                status=EXPIRED,
                reason=f"answered; the bundle was deleted {days} days after the answer (retention period)",
                bundle=None,
                run_id=run_id,
            )
    return expired
