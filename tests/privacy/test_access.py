"""Right of access: requests resolved on a crafted working file (one person, two, nobody, erased), the
bundle and its manifest, erasure after the answer; on the session run (``refreshed``), the demo's
requests against its ground truth."""

import csv
import hashlib
import json
from datetime import date, datetime

import duckdb
import polars as pl
import pytest

from platform_assets.privacy import access
from platform_assets.privacy.access_assets import ACCESS_CHECK, access_problems
from platform_assets.privacy.tables import SUPPRESSION_TABLE

NOW = datetime(2026, 11, 1, 6)


def h(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _working() -> duckdb.DuckDBPyConnection:
    """Customer A: a CRM contact, a web account, a loyalty card; customer B: a CRM contact."""
    conn = duckdb.connect()
    for schema in ("intermediate", "referential", "scores", "activation", "ops"):
        conn.execute(f"create schema {schema}")
    conn.execute(
        "create table intermediate.int_customer_records_standardised as select * from (values "
        "('crm:C1', 'crm', 'C1', 'Anna', 'Anna@Mail.com', 'anna@mail.com', '+33600000001'), "
        "('ecommerce:W1', 'ecommerce', 'W1', 'Anna', 'anna@mail.com', 'anna@mail.com', null), "
        "('crm:C2', 'crm', 'C2', 'Ben', 'ben@mail.com', 'ben@mail.com', '+33600000002')) "
        "t(record_id, source_system, source_id, first_name, email, email_std, phone_e164)"
    )
    conn.execute(
        "create table referential.customer_xref as select * from (values "
        "('crm:C1', 'crm', 'C1', 'CUS-a', 'deterministic'), ('ecommerce:W1', 'ecommerce', 'W1', 'CUS-a', 'splink'), "
        "('loyalty:L9', 'loyalty', 'L9', 'CUS-a', 'card_of_contact'), ('crm:C2', 'crm', 'C2', 'CUS-b', 'singleton')) "
        "t(record_id, source_system, source_id, customer_id, match_rule)"
    )
    conn.execute(
        "create table referential.dim_customer as select * from (values ('CUS-a', 'Anna', ['crm', 'ecommerce']), "
        "('CUS-b', 'Ben', ['crm'])) t(customer_id, first_name, source_systems)"
    )
    conn.execute(
        "create table scores.customer_churn as select * from (values ('CUS-a', 71), ('CUS-b', 12)) t(customer_id, risk)"
    )
    conn.execute(
        "create table activation.contact_history as select * from (values ('CUS-a', 'SPRING', date '2026-04-01')) "
        "t(customer_id, campaign_code, contact_date)"
    )
    conn.execute(
        f"create table {SUPPRESSION_TABLE} as select * from (values ('email', '{h('gone@mail.com')}')) t(key_type, key_hash)"
    )
    requests = [
        ("AR-1", h("anna@mail.com"), None, None),  # A by e-mail
        ("AR-2", h("anna@mail.com"), h("+33600000002"), None),  # A's e-mail, B's phone
        ("AR-3", h("nobody@mail.com"), None, None),  # nobody
        ("AR-4", None, None, h("l9")),  # A by loyalty card number (any case)
        ("AR-5", h("gone@mail.com"), None, None),  # an erased person
        ("AR-6", None, None, None),  # nothing readable
        ("AR-7", None, None, h("cus-b")),  # B by customer id
        ("AR-8", h("anna@mail.com"), h("+33699999999"), None),  # A's e-mail, a phone nobody has
        ("AR-9", h("gone@mail.com"), h("+33600000002"), None),  # an erased e-mail, B's phone
    ]
    conn.execute(
        "create table intermediate.int_access_requests_standardised (access_request_id varchar, email_sha256 varchar, "
        "phone_sha256 varchar, customer_reference_sha256 varchar, received_at timestamp)"
    )
    conn.executemany(
        "insert into intermediate.int_access_requests_standardised values (?, ?, ?, ?, timestamp '2026-10-20 10:00')",
        requests,
    )
    return conn


EXPLAIN = {"scores.customer_churn": ("Churn risk: how likely you are to stop buying.", {"risk": "0-100."})}


def _store(conn, done):
    conn.register("done_log", done.log)
    conn.execute(f"create or replace table {access.TABLE} as select * from done_log")
    conn.unregister("done_log")


def test_each_request_gets_its_answer(tmp_path):
    conn = _working()
    done = access.answer(conn, tmp_path, EXPLAIN, "run-1", NOW)
    statuses = {
        r: (s, n) for r, s, n in done.log.select("request_id", "status", "customers_matched").iter_rows()
    }
    assert statuses == {
        "AR-1": (access.ANSWERED, 1),
        "AR-2": (access.REVIEW, 2),  # two people: flagged, not merged
        "AR-3": (access.NO_DATA, 0),
        "AR-4": (access.ANSWERED, 1),
        "AR-5": (access.NO_DATA, 0),
        "AR-6": (access.REVIEW, 0),
        "AR-7": (access.ANSWERED, 1),
        "AR-8": (access.ANSWERED, 1),  # a phone we never had beside her e-mail: answered, and said
        "AR-9": (access.REVIEW, 1),  # an erased person's e-mail beside Ben's phone: a person checks
    }
    reasons = dict(done.log.select("request_id", "reason").iter_rows())
    assert "erased" in reasons["AR-5"] and "erased" not in reasons["AR-3"]
    assert reasons["AR-8"] == "one customer: bundle written (the phone matches no record)"
    assert set(done.log["due_date"]) == {date(2026, 11, 19)}
    assert sorted(done.written) == ["AR-1", "AR-4", "AR-7", "AR-8"]
    assert not (tmp_path / "privacy" / "access" / "AR-2").exists()


def test_a_bundle_holds_every_record_of_the_cluster_explained_with_a_manifest(tmp_path):
    conn = _working()
    done = access.answer(conn, tmp_path, EXPLAIN, "run-1", NOW)
    folder = tmp_path / "privacy" / "access" / "AR-1"
    bundle = json.loads((folder / "access.json").read_text())
    assert bundle["customer_id"] == "CUS-a" and bundle["due_date"] == "2026-11-19"
    sections = bundle["sections"]
    records = {r["record_id"] for r in sections["source_records"]["rows"]}
    assert records == {"crm:C1", "ecommerce:W1", "loyalty:L9"}  # every system, the card included
    assert sections["referential.dim_customer"]["rows"] == [
        {"customer_id": "CUS-a", "first_name": "Anna", "source_systems": "[crm, ecommerce]"}
    ]
    assert sections["scores.customer_churn"]["explanation"].startswith("Churn risk")
    assert sections["scores.customer_churn"]["columns"]["risk"] == "0-100."
    assert sections["activation.contact_history"]["rows"][0]["campaign_code"] == "SPRING"
    assert "Ben" not in (folder / "access.json").read_text()  # nobody else's data
    with open(folder / "source_records.csv") as f:
        assert len(list(csv.DictReader(f))) == 3
    assert access.verify_bundle(folder) == []
    (folder / "scores.customer_churn.csv").write_text("customer_id,risk\nCUS-a,1\n")  # tampered
    assert access.verify_bundle(folder) == [
        "AR-1/scores.customer_churn.csv: sha256 differs from the manifest"
    ]
    assert done.log.filter(pl.col("request_id") == "AR-1")["source_records"].to_list() == [3]


def test_an_answer_stays_and_a_person_erased_after_it_loses_the_bundle(tmp_path):
    conn = _working()
    _store(conn, access.answer(conn, tmp_path, EXPLAIN, "run-1", NOW))
    again = access.answer(conn, tmp_path, EXPLAIN, "run-2", NOW)
    assert again.written == [] and again.deleted == []  # answered once
    assert access_problems(_stored(conn, again), tmp_path) == []
    # Anna is erased: her customer id and the e-mail of her request join the suppression list
    conn.execute(
        f"insert into {SUPPRESSION_TABLE} values ('customer_id', ?), ('email', ?)",
        [h("CUS-a"), h("anna@mail.com")],
    )
    conn.execute("delete from referential.customer_xref where customer_id = 'CUS-a'")
    later = access.answer(conn, tmp_path, EXPLAIN, "run-3", NOW)
    assert sorted(later.deleted) == ["AR-1", "AR-4", "AR-8"]
    assert not (tmp_path / "privacy" / "access" / "AR-1").exists()
    assert (tmp_path / "privacy" / "access" / "AR-7").exists()  # Ben's stays
    statuses = dict(later.log.select("request_id", "status").iter_rows())
    assert statuses["AR-1"] == statuses["AR-4"] == access.NO_DATA
    # Anna's (erased) e-mail beside Ben's phone: a person checks, Ben's data is not sent
    assert statuses["AR-2"] == access.REVIEW


def test_the_publications_export_sweep_deletes_an_erased_persons_bundle(tmp_path):
    """Erasure reaches a bundle even in a run that does not answer requests (the publication's sweep)."""
    from platform_assets.privacy.exports import sweep_exports

    conn = _working()
    access.answer(conn, tmp_path, EXPLAIN, "run-1", NOW)
    conn.execute(f"insert into {SUPPRESSION_TABLE} values ('customer_id', ?)", [h("CUS-a")])
    removed = sweep_exports(conn, tmp_path)
    assert sorted(k for k in removed if k.startswith("privacy/access/")) == [
        "privacy/access/AR-1",
        "privacy/access/AR-4",
        "privacy/access/AR-8",
    ]
    assert not (tmp_path / "privacy" / "access" / "AR-1").exists()
    assert access.verify_bundle(tmp_path / "privacy" / "access" / "AR-7") == []  # Ben's is untouched


def _stored(conn, done):
    _store(conn, done)
    return conn


def test_no_request_file_is_no_request(tmp_path):
    conn = _working()
    conn.execute("drop table intermediate.int_access_requests_standardised")
    done = access.answer(conn, tmp_path, EXPLAIN, "run-1", NOW)
    assert done.log.is_empty() and done.written == []


def test_a_bundle_past_its_retention_period_is_deleted_and_never_written_again(tmp_path):
    """Answered on 1 November; kept 30 days: on 30 November it stays, on 2 December it goes, the request
    stays answered (with the answer's date) and the next runs neither write it again nor fail the check."""
    conn = _working()
    done = access.answer(conn, tmp_path, EXPLAIN, "run-1", NOW, 30, date(2026, 11, 1))
    _store(conn, done)
    bundles = tmp_path / "privacy" / "access"
    assert done.expired == {} and sorted(p.name for p in bundles.iterdir()) == [
        "AR-1",
        "AR-4",
        "AR-7",
        "AR-8",
    ]
    later = datetime(2026, 11, 30, 6)
    kept = access.answer(conn, tmp_path, EXPLAIN, "run-2", later, 30, date(2026, 11, 30))
    assert kept.expired == {} and kept.written == []
    files = sum(1 for p in (bundles / "AR-1").rglob("*") if p.is_file())
    gone = access.answer(conn, tmp_path, EXPLAIN, "run-3", later, 30, date(2026, 12, 2))
    assert sorted(gone.expired) == [
        "privacy/access/AR-1",
        "privacy/access/AR-4",
        "privacy/access/AR-7",
        "privacy/access/AR-8",
    ]
    assert gone.expired["privacy/access/AR-1"] == files > 0 and not any(bundles.iterdir())
    rows = {r["request_id"]: r for r in gone.log.iter_rows(named=True)}
    assert rows["AR-1"]["status"] == access.EXPIRED and rows["AR-1"]["bundle"] is None
    assert rows["AR-1"]["answered_at"] == NOW and "30 days after the answer" in rows["AR-1"]["reason"]
    assert rows["AR-2"]["status"] == access.REVIEW  # not answered: nothing to delete
    _store(conn, gone)
    again = access.answer(conn, tmp_path, EXPLAIN, "run-4", later, 30, date(2026, 12, 3))
    assert again.written == [] and again.expired == {} and not any(bundles.iterdir())
    _store(conn, again)
    assert access_problems(conn, tmp_path) == []
    # without a period a bundle is kept whatever its age
    fresh = tmp_path / "fresh"
    conn = _working()
    _store(conn, access.answer(conn, fresh, EXPLAIN, "run-1", NOW))
    assert access.answer(conn, fresh, EXPLAIN, "run-2", later, None, date(2030, 1, 1)).expired == {}
    assert (fresh / "privacy" / "access" / "AR-1").is_dir()


@pytest.fixture(scope="module")
def session(refreshed, demo_dir):
    result, db = refreshed
    assert result.success
    truth = pl.read_csv(demo_dir / "ground_truth" / "access_requests.csv", infer_schema=False)
    with duckdb.connect(str(demo_dir / "published" / "restricted.duckdb"), read_only=True) as conn:
        log = conn.sql(f"select * from {access.TABLE}").pl()
    return result, db, demo_dir, truth.join(log, on="request_id", how="left")


def test_the_demo_requests_get_the_answer_their_ground_truth_calls_for(session):
    result, _, _, requests = session
    [check] = [e for e in result.get_asset_check_evaluations() if e.check_name == ACCESS_CHECK]
    assert check.passed
    expected = {"unknown": {access.NO_DATA}, "erased": {access.NO_DATA}, "ambiguous": {access.REVIEW}}
    for kind, statuses in expected.items():
        assert set(requests.filter(pl.col("kind") == kind)["status"]) == statuses, kind
    known = requests.filter(pl.col("kind") == "known")
    assert known.height >= 3 and set(known["status"]) == {access.ANSWERED}
    late = requests.filter(pl.col("due_date") != pl.col("received_at").dt.date() + pl.duration(days=30))
    assert requests["due_date"].null_count() == 0 and late.is_empty()


def test_a_known_persons_bundle_holds_every_record_of_their_cluster(session):
    _, db, demo_dir, requests = session
    records = pl.read_csv(demo_dir / "ground_truth" / "source_records.csv", infer_schema=False)
    exports = demo_dir / "exports"
    with duckdb.connect(str(db), read_only=True) as conn:
        xref = conn.sql(
            "select record_id, source_system, source_id, customer_id from referential.customer_xref"
        ).pl()
    for row in requests.filter(pl.col("kind") == "known").iter_rows(named=True):
        folder = exports / row["bundle"]
        assert access.verify_bundle(folder) == []
        bundle = json.loads((folder / "access.json").read_text())
        customer = bundle["customer_id"]
        assert h(customer) == row["customer_id_sha256"]
        held = {r["record_id"] for r in bundle["sections"]["source_records"]["rows"]}
        cluster = set(xref.filter(pl.col("customer_id") == customer)["record_id"])
        assert held == cluster and row["source_records"] == len(cluster)
        # the cluster is the person who asked: most of its records are theirs, and it holds most of theirs
        theirs = set(
            records.filter(pl.col("person_id") == row["person_id"])
            .select(pl.col("source_system") + ":" + pl.col("source_id"))
            .to_series()
        ) & set(xref["record_id"])
        assert len(held & theirs) / len(held) >= 0.8 and len(held & theirs) / len(theirs) >= 0.8
        sections = bundle["sections"]
        assert sections["referential.dim_customer"]["rows"][0]["customer_id"] == customer
        assert (
            sections["referential.consent_history"]["rows"]
            or not sections["referential.dim_customer"]["rows"][0]["has_email_consent"]
        )
        for name in ("scores.customer_segment", "features.customer_rfm", "activation.contact_history"):
            assert sections[name]["explanation"], name  # each section explains itself
    with duckdb.connect(str(demo_dir / "published" / "analyst.duckdb"), read_only=True) as conn:
        assert not conn.execute(
            "select 1 from duckdb_tables() where table_name = 'privacy_requests'"
        ).fetchall()
