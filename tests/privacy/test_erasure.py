"""Erasure decisions on small hand-made frames: cluster expansion, persistence, hashed audit."""

import hashlib
from datetime import datetime

import duckdb
import polars as pl

from platform_assets.privacy.erasure import SUPPRESSION_SCHEMA, find_erasures, load_suppression, record_keys
from platform_assets.privacy.exports import sweep_exports

NOW = datetime(2026, 11, 1, 6, 0)


def sha(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def records_db() -> duckdb.DuckDBPyConnection:
    conn = duckdb.connect()
    conn.execute("create schema intermediate")
    conn.execute(
        """create table intermediate.int_customer_records_standardised as select * from (values
        ('crm:C1', 'anna@example.com', '+33611111111', 'anna', 'martin', date '1980-02-03', '75011'),
        ('ecommerce:A1', null, '+33611111111', 'anna', 'martin', null, null),
        ('crm:C2', 'bob@example.com', null, 'bob', 'martin', null, '75011'),
        ('crm:C3', null, null, 'anna', 'martin', date '1980-02-03', null)
        ) t(record_id, email_std, phone_e164, first_name_std, last_name_std, birth_date, postcode_std)"""
    )
    return conn


ASSIGNMENTS = pl.DataFrame(
    {
        "record_id": ["crm:C1", "ecommerce:A1", "loyalty:L1", "crm:C2", "crm:C3"],
        "customer_id": ["CUS-anna", "CUS-anna", "CUS-anna", "CUS-bob", "CUS-old"],
    }
)
REQUEST = pl.DataFrame(
    {
        "erasure_request_id": ["ER-1"],
        "email_sha256": [sha("anna@example.com")],
        "phone_sha256": [None],
        "country_code": ["FR"],
        "requested_at": [datetime(2026, 10, 1)],
    },
    schema_overrides={"phone_sha256": pl.String},
)
NO_REQUEST = REQUEST.clear()
EMPTY = pl.DataFrame(schema=SUPPRESSION_SCHEMA)


def test_a_request_erases_the_whole_cluster_and_remembers_every_identifier():
    keys = record_keys(records_db(), ASSIGNMENTS)
    erasure = find_erasures(ASSIGNMENTS, keys, REQUEST, EMPTY, set(), "run-1", NOW)
    # the loyalty card and the account carry no e-mail: they go with the cluster. crm:C3 (same
    # names and birth date, a customer of its own) is not followed: namesakes share such keys
    assert erasure.erased_customer_ids == {"CUS-anna"}
    assert erasure.erased_records == 3
    remembered = set(erasure.new_suppression.select("key_type", "key_hash").iter_rows())
    assert ("record", sha("loyalty:L1")) in remembered
    assert ("record", sha("crm:C3")) not in remembered
    assert ("email", sha("anna@example.com")) in remembered  # the request's own
    assert ("customer_id", sha("CUS-anna")) in remembered
    # her records' other identifiers may be shared with other people: not remembered
    assert ("phone", sha("+33611111111")) not in remembered
    # bob shares the surname and postcode, not the first name: untouched
    assert ("record", sha("crm:C2")) not in remembered
    [log] = erasure.new_log.to_dicts()
    assert log["email_sha256"] == sha("anna@example.com") and log["phone_sha256"] is None
    assert log["customer_id_sha256"] == [sha("CUS-anna")]
    assert (log["customers_erased"], log["records_erased"], log["applied_run_id"]) == (1, 3, "run-1")
    assert "anna" not in str(erasure.new_log.to_dicts()) + str(erasure.new_suppression.to_dicts())


def test_the_next_run_on_the_same_input_finds_nothing_new():
    conn = records_db()
    first = find_erasures(ASSIGNMENTS, record_keys(conn, ASSIGNMENTS), REQUEST, EMPTY, set(), "run-1", NOW)
    again = find_erasures(
        ASSIGNMENTS, record_keys(conn, ASSIGNMENTS), REQUEST, first.new_suppression, {"ER-1"}, "run-2", NOW
    )
    assert again.erased_customer_ids == first.erased_customer_ids
    assert (again.new_suppression.height, again.new_log.height) == (0, 0)


def test_an_older_record_never_brings_an_erased_person_back_once_the_request_is_gone():
    conn = records_db()
    first = find_erasures(ASSIGNMENTS, record_keys(conn, ASSIGNMENTS), REQUEST, EMPTY, set(), "run-1", NOW)
    # later: the request file is gone; an old guest order of Anna's (her e-mail only) comes in
    conn.execute(
        "insert into intermediate.int_customer_records_standardised values "
        "('ecommerce_guest:G9', 'anna@example.com', null, null, null, null, null)"
    )
    later = pl.concat(
        [ASSIGNMENTS, pl.DataFrame({"record_id": ["ecommerce_guest:G9"], "customer_id": ["CUS-g9"]})]
    )
    erasure = find_erasures(
        later, record_keys(conn, later), NO_REQUEST, first.new_suppression, {"ER-1"}, "run-2", NOW
    )
    assert erasure.erased_customer_ids == {"CUS-anna", "CUS-g9"}
    assert erasure.new_log.height == 0  # the request is logged once
    remembered = set(erasure.new_suppression.select("key_type", "key_hash").iter_rows())
    assert ("record", sha("ecommerce_guest:G9")) in remembered
    assert ("record", sha("crm:C1")) not in remembered  # already on the list


def test_a_request_matching_no_one_is_logged_and_blocks_a_later_arrival():
    nobody = REQUEST.with_columns(pl.lit(sha("carl@example.com")).alias("email_sha256"))
    erasure = find_erasures(
        ASSIGNMENTS, record_keys(records_db(), ASSIGNMENTS), nobody, EMPTY, set(), "run-1", NOW
    )
    assert erasure.erased_customer_ids == set()
    assert erasure.new_log["records_erased"].to_list() == [0]
    assert ("email", sha("carl@example.com")) in set(
        erasure.new_suppression.select("key_type", "key_hash").iter_rows()
    )


def test_exports_lose_the_rows_of_erased_people(tmp_path):
    conn = duckdb.connect()
    conn.execute("create schema ops")
    conn.execute(
        "create table ops.erasure_suppression as select * from (values "
        f"('customer_id', '{sha('CUS-anna')}'), ('email', '{sha('bob@example.com')}')) t(key_type, key_hash)"
    )
    exports = tmp_path / "exports" / "email"
    exports.mkdir(parents=True)
    (exports / "audience.csv").write_text(
        "customer_id,email,segment\nCUS-anna,anna@example.com,a\nCUS-bob, Bob@Example.com ,b\nCUS-carl,carl@example.com,c\n"
    )
    (exports / "untouched.csv").write_text("customer_id,segment\nCUS-carl,c\n")
    removed = sweep_exports(conn, tmp_path / "exports")
    assert removed == {"email/audience.csv": 2}
    assert conn.sql(f"select customer_id from read_csv('{exports / 'audience.csv'}')").fetchall() == [
        ("CUS-carl",)
    ]
    assert (exports / "untouched.csv").read_text() == "customer_id,segment\nCUS-carl,c\n"


def test_a_lost_working_file_gets_its_suppression_list_back_from_the_restricted_file(tmp_path):
    restricted = tmp_path / "restricted.duckdb"
    with duckdb.connect(str(restricted)) as conn:
        conn.execute("create schema ops")
        conn.execute(
            "create table ops.erasure_suppression as select 'email' as key_type, "
            f"'{sha('anna@example.com')}' as key_hash, 'ER-1' as erasure_request_id, 'run-1' as added_run_id, "
            "timestamp '2026-10-01' as added_at"
        )
    fresh = duckdb.connect()
    suppression, restored = load_suppression(fresh, restricted)
    assert (suppression.height, restored) == (1, str(restricted))
    assert load_suppression(fresh, tmp_path / "absent.duckdb")[0].height == 0


def test_a_restored_list_is_written_back_to_the_working_file_with_this_runs_additions(tmp_path):
    from dataclasses import replace

    from platform_assets.referential.identity.store import write_erasure as _write_erasure

    earlier = find_erasures(
        ASSIGNMENTS, record_keys(records_db(), ASSIGNMENTS), REQUEST, EMPTY, set(), "run-1", NOW
    )
    working = duckdb.connect()
    for ddl in (
        "create schema referential",
        "create schema ops",
        "create table referential.customer_ids as select 'CUS-bob' as customer_id",
        "create table referential.customer_id_history (old_customer_id varchar, new_customer_id varchar)",
    ):
        working.execute(ddl)
    bob = pl.DataFrame(
        {
            "key_type": ["customer_id"],
            "key_hash": [sha("CUS-bob")],
            "erasure_request_id": ["ER-2"],
            "added_run_id": ["run-2"],
            "added_at": [NOW],
        },
        schema=SUPPRESSION_SCHEMA,
    )
    restored = replace(
        earlier,
        new_suppression=bob,
        new_log=earlier.new_log.clear(),
        restored_from=str(tmp_path / "restricted.duckdb"),
        restored_suppression=earlier.new_suppression,
    )
    _write_erasure(working, restored)
    [(rows,)] = working.execute("select count(*) from ops.erasure_suppression").fetchall()
    assert rows == earlier.new_suppression.height + 1
    assert working.execute("select count(*) from referential.customer_ids").fetchall() == [(0,)]


def test_no_model_file_holds_a_customer_id(refreshed, demo_dir):
    """Saved models (joblib) keep no customer id: an erased person must not survive in one."""
    import duckdb

    _, db = refreshed
    with duckdb.connect(str(db), read_only=True) as conn:
        ids = {i for (i,) in conn.execute("select customer_id from referential.customer_ids").fetchall()}
    artifacts = sorted((demo_dir / "models").rglob("*.joblib"))
    assert len(artifacts) >= 3 and len(ids) > 100
    for path in artifacts:
        blob = path.read_bytes()
        found = [i for i in ids if i.encode() in blob]
        assert not found, f"{path.relative_to(demo_dir)} holds {len(found)} customer ids, e.g. {found[:3]}"


def test_no_splink_scratch_table_is_left_in_the_working_file(refreshed):
    """Splink's own cleanup missed the samples of its u estimation (personal data, erased or not)."""
    _, db = refreshed
    with duckdb.connect(str(db), read_only=True) as conn:
        left = conn.execute(
            "select table_name from duckdb_tables() where starts_with(table_name, '__splink__') "
            "union all select view_name from duckdb_views() where starts_with(view_name, '__splink__')"
        ).fetchall()
    assert left == []


def test_the_splink_sweep_drops_only_splinks_tables_and_views():
    from platform_assets.referential.identity.matching import drop_splink_scratch

    conn = duckdb.connect()
    conn.execute("create table __splink__df_concat_sample_1 as select 'a@b.fr' as email")
    conn.execute("create view __splink__df_v as select 1 as x")
    conn.execute("create table splinky as select 1 as x")
    assert sorted(drop_splink_scratch(conn)) == ["__splink__df_concat_sample_1", "__splink__df_v"]
    assert conn.execute("select table_name from duckdb_tables()").fetchall() == [("splinky",)]
    assert conn.execute("select count(*) from duckdb_views() where not internal").fetchone() == (0,)
