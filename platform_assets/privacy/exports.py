"""Erasure reaches the files already handed out: every CSV or Parquet export under the exports
directory loses the rows of erased persons (by customer id, e-mail or phone, matched on hashes), and
an access bundle (``privacy/access/<request>/``, whose manifest names its customer by hash) of an
erased person is deleted whole."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import duckdb

from platform_assets.lib.tables import sql_literal, table_exists
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
        temporary = path.with_name(f".{path.name}.erasure.tmp")
        options = "(format parquet)" if path.suffix == ".parquet" else "(format csv, header true)"
        conn.execute(
            f"copy (select * from {_reader(path)} where not ({erased})) to {sql_literal(str(temporary))} {options}"
        )
        os.replace(temporary, path)
        removed[str(path.relative_to(exports_dir))] = count
    return removed
