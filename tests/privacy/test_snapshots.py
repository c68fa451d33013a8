"""Erasure reaches the kept publication snapshots: files holding a person erased since are rewritten
without them (a new file, never an in-place delete), the others are left byte for byte."""

import hashlib
import json

import duckdb

from platform_assets.privacy.snapshots import erase_from_snapshots


def sha(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def working_file(erased: list[str]) -> duckdb.DuckDBPyConnection:
    conn = duckdb.connect()
    conn.execute("create schema ops")
    conn.execute("create table ops.erasure_suppression (key_type varchar, key_hash varchar)")
    conn.executemany(
        "insert into ops.erasure_suppression values ('customer_id', ?)", [[sha(c)] for c in erased]
    )
    conn.execute("insert into ops.erasure_suppression values ('email', ?)", [sha("carl@example.com")])
    return conn


def snapshot(root, name: str, erased_at_publication: int):
    folder = root / name
    folder.mkdir()
    with duckdb.connect(str(folder / "analyst.duckdb")) as conn:
        conn.execute("create schema referential; create schema sales; create schema ops")
        conn.execute(
            "create table referential.dim_customer as select * from (values "
            "('CUS-anna', 1980), ('CUS-bob', 1975), ('CUS-carl', 1990)) t(customer_id, birth_year)"
        )
        conn.execute("comment on table referential.dim_customer is 'The golden record.'")
        conn.execute("comment on column referential.dim_customer.birth_year is 'Year of birth.'")
        conn.execute(
            "create table sales.fct_sales_lines as select * from (values "
            "('L1', 'CUS-anna', 10.5), ('L2', 'CUS-anna', 3.0), ('L3', null, 7.0), ('L4', 'CUS-bob', 1.0)) "
            "t(sales_line_id, customer_id, amount)"
        )
        conn.execute(
            "create table ops.published_tables as select * from (values "
            "('referential', 'dim_customer', 3), ('sales', 'fct_sales_lines', 4)) t(schema_name, table_name, row_count)"
        )
    with duckdb.connect(str(folder / "restricted.duckdb")) as conn:
        conn.execute("create schema referential")
        conn.execute(
            "create table referential.dim_customer as select * from (values "
            "('CUS-anna', 'anna@example.com', '+33611111111'), ('CUS-bob', 'bob@example.com', null), "
            "('CUS-dan', ' Carl@Example.com', null)) t(customer_id, email, phone_e164)"
        )
    (folder / "manifest.json").write_text(
        json.dumps({"erasure": {"customers_erased": erased_at_publication}})
    )
    for file in folder.iterdir():
        file.chmod(0o444)
    return folder


def rows(path, sql: str):
    with duckdb.connect(str(path), read_only=True) as conn:
        return conn.execute(sql).fetchall()


def test_a_snapshot_published_before_an_erasure_loses_the_person_everywhere(tmp_path):
    folder = snapshot(tmp_path, "20261101T060000Z_aaaa", erased_at_publication=0)
    removed = erase_from_snapshots(working_file(["CUS-anna"]), [folder], "run-d", "v1.5.0")
    assert removed == {
        "20261101T060000Z_aaaa/analyst.duckdb": {"referential.dim_customer": 1, "sales.fct_sales_lines": 2},
        # by customer id, and by an e-mail on the list (standardised as identity does)
        "20261101T060000Z_aaaa/restricted.duckdb": {"referential.dim_customer": 2},
    }
    analyst = folder / "analyst.duckdb"
    assert rows(analyst, "select customer_id from referential.dim_customer order by 1") == [
        ("CUS-bob",),
        ("CUS-carl",),
    ]
    assert rows(analyst, "select sales_line_id from sales.fct_sales_lines order by 1") == [("L3",), ("L4",)]
    assert rows(analyst, "select table_name, row_count from ops.published_tables order by 1") == [
        ("dim_customer", 2),
        ("fct_sales_lines", 2),
    ]
    # documentation and read-only mode survive the rewrite
    assert rows(analyst, "select comment from duckdb_tables() where table_name = 'dim_customer'") == [
        ("The golden record.",)
    ]
    assert rows(analyst, "select comment from duckdb_columns() where column_name = 'birth_year'") == [
        ("Year of birth.",)
    ]
    assert analyst.stat().st_mode & 0o777 == 0o444
    restricted = folder / "restricted.duckdb"
    assert rows(restricted, "select customer_id from referential.dim_customer") == [("CUS-bob",)]
    assert b"anna@example.com" not in restricted.read_bytes()
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["erasure_checked_against"] == 1
    assert manifest["erased_after_publication"][0]["run_id"] == "run-d"
    assert not list(folder.glob(".*"))  # no temporary file left


def test_a_snapshot_already_clean_is_not_touched_and_not_scanned_again(tmp_path):
    folder = snapshot(tmp_path, "20261101T060000Z_bbbb", erased_at_publication=0)
    before = (folder / "analyst.duckdb").read_bytes()
    assert erase_from_snapshots(working_file(["CUS-zoe"]), [folder], "run-d", "v1.5.0") == {
        "20261101T060000Z_bbbb/restricted.duckdb": {"referential.dim_customer": 1}  # Carl's e-mail only
    }
    assert (folder / "analyst.duckdb").read_bytes() == before
    # published with as many erased customers as the list now has: nothing to look for
    current = snapshot(tmp_path, "20261102T060000Z_cccc", erased_at_publication=1)
    fingerprint = {f.name: f.read_bytes() for f in current.iterdir()}
    assert erase_from_snapshots(working_file(["CUS-anna"]), [current], "run-e", "v1.5.0") == {}
    assert {f.name: f.read_bytes() for f in current.iterdir()} == fingerprint
