"""Erasure reaches the files already handed out: every CSV or Parquet export under the exports
directory loses the rows of erased persons (by customer id, e-mail or phone, matched on hashes), and
an access bundle (``privacy/access/<request>/``, whose manifest names its customer by hash) of an
erased person is deleted whole. Retention reuses the rewrite (``anonymise_exports``): the customers
past the retention period for inactive customers keep their rows, their direct identifiers blanked."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import duckdb

from platform_assets.lib.tables import sql_literal, table_exists
from platform_assets.privacy import dormancy
from platform_assets.privacy.tables import SUPPRESSION_TABLE

# column of an export -> (suppression key type, SQL that standardises it like identity does)
MATCHERS = {
    "customer_id": ("customer_id", "{c}"),
    "email": ("email", "lower(trim({c}))"),
    "phone_e164": ("phone", "{c}"),
}


def _reader(path: Path) -> str:
    if path.suffix == ".parquet":
        return f"read_parquet({sql_literal(str(path))})"
    return f"read_csv({sql_literal(str(path))}, all_varchar = true, header = true)"


def _erased_condition(value: str, key_type: str) -> str:
    return f"sha256({value}) in (select key_hash from {SUPPRESSION_TABLE} where key_type = '{key_type}')"


BUNDLES = ("privacy", "access")
BUNDLE_MANIFESTS = "privacy/access/*/manifest.json"


def sweep_bundles(conn: duckdb.DuckDBPyConnection, exports_dir: Path) -> dict[str, int]:
    """Deletes the access bundles of erased persons; returns bundle folder -> files removed."""
    erased = {
        h
        for (h,) in conn.execute(
            f"select key_hash from {SUPPRESSION_TABLE} where key_type = 'customer_id'"
        ).fetchall()
    }
    removed = {}
    for manifest in sorted(exports_dir.glob(BUNDLE_MANIFESTS)):
        if json.loads(manifest.read_text()).get("customer_id_sha256") in erased:
            folder = manifest.parent
            removed[str(folder.relative_to(exports_dir))] = sum(1 for p in folder.iterdir() if p.is_file())
            shutil.rmtree(folder)
    return removed


def sweep_exports(conn: duckdb.DuckDBPyConnection, exports_dir: Path) -> dict[str, int]:
    """Rewrites (atomically) each export holding erased persons; returns rows removed per file (files
    removed per access bundle deleted)."""
    if not exports_dir.is_dir() or not table_exists(conn, SUPPRESSION_TABLE):
        return {}
    removed = sweep_bundles(conn, exports_dir)
    for path in sorted(p for p in exports_dir.rglob("*") if p.suffix in (".csv", ".parquet") and p.is_file()):
        columns = {c.lower(): c for c in conn.sql(f"select * from {_reader(path)} limit 0").columns}
        conditions = [
            _erased_condition(expression.format(c='"' + columns[name] + '"'), key_type)
            for name, (key_type, expression) in MATCHERS.items()
            if name in columns
        ]
        if not conditions:
            continue
        erased = " or ".join(f"coalesce({c}, false)" for c in conditions)
        [(count,)] = conn.execute(f"select count(*) from {_reader(path)} where {erased}").fetchall()
        if not count:
            continue
        _replace(conn, path, f"select * from {_reader(path)} where not ({erased})")
        removed[str(path.relative_to(exports_dir))] = count
    return removed


def _replace(conn: duckdb.DuckDBPyConnection, path: Path, query: str) -> None:
    """Writes ``query`` over the export at ``path`` atomically; its manifests (``<file>.manifest.json``
    and the folder's ``manifest.json``, as activation writes them) get the new file's sha256."""
    temporary = path.with_name(f".{path.name}.erasure.tmp")
    options = "(format parquet)" if path.suffix == ".parquet" else "(format csv, header true)"
    conn.execute(f"copy ({query}) to {sql_literal(str(temporary))} {options}")
    os.replace(temporary, path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    for manifest in (path.with_name(f"{path.name}.manifest.json"), path.with_name("manifest.json")):
        if manifest.is_file():
            _refresh_sha256(manifest, path.name, digest)


def _refresh_sha256(manifest: Path, name: str, digest: str) -> None:
    content = json.loads(manifest.read_text())
    entries = content.get("files") if isinstance(content.get("files"), list) else [content]
    changed = False
    for entry in entries:
        if (
            isinstance(entry, dict)
            and Path(str(entry.get("file_path", ""))).name == name
            and "sha256" in entry
        ):
            entry["sha256"], changed = digest, True
    if changed:
        temporary = manifest.with_name(f".{manifest.name}.tmp")
        temporary.write_text(json.dumps(content, indent=2, default=str) + "\n", encoding="utf-8")
        os.replace(temporary, manifest)


def _outside_bundles(exports_dir: Path) -> list[Path]:
    """The CSV/Parquet exports, access bundles aside (a person's own answer, kept whole as sent)."""
    return sorted(
        p
        for p in exports_dir.rglob("*")
        if p.suffix in (".csv", ".parquet")
        and p.is_file()
        and not p.name.startswith(".")
        and p.relative_to(exports_dir).parts[:2] != BUNDLES
    )


def _export_table(path: Path) -> str:
    return "export." + path.stem.replace(".", "_")  # the classification's rules by column name apply


def identified_export_rows(
    conn: duckdb.DuckDBPyConnection, exports_dir: Path, dormant: str
) -> dict[str, int]:
    """Export file -> its rows where a customer of ``dormant`` still has a direct identifier (files with
    none left out). A file without a customer id cannot be tied to a customer and is not counted."""
    if not exports_dir.is_dir() or not table_exists(conn, dormant):
        return {}
    found = {}
    for path in _outside_bundles(exports_dir):
        columns = conn.sql(f"select * from {_reader(path)} limit 0").columns
        count_sql = dormancy.identified_rows_sql(
            _export_table(path), _reader(path), columns, dormant, xref=None
        )
        if count_sql and (count := conn.execute(count_sql).fetchall()[0][0]):
            found[str(path.relative_to(exports_dir))] = int(count)
    return found


def anonymise_exports(conn: duckdb.DuckDBPyConnection, exports_dir: Path, dormant: str) -> dict[str, int]:
    """Retention of inactive customers: each export where a customer of ``dormant`` still has a direct
    identifier is rewritten (atomically, its manifests' sha256 refreshed) with those values blank, every
    row kept; returns rows anonymised per file."""
    found = identified_export_rows(conn, exports_dir, dormant)
    for file in found:
        path = exports_dir / file
        columns = conn.sql(f"select * from {_reader(path)} limit 0").columns
        select = dormancy.anonymised_select(_export_table(path), columns, dormant, xref=None)
        _replace(conn, path, f"select {select} from {_reader(path)}")
    return found
