"""Consent proof: the ledger keeps every choice across runs, forgets erased persons, comes back from
the restricted file; on the session run (``refreshed``) the history is in the restricted file only."""

import hashlib
from datetime import datetime

import dagster as dg
import duckdb
import pytest

from platform_assets.privacy import consent
from platform_assets.privacy.consent_assets import CONSENT_AGREES
from platform_assets.privacy.tables import SUPPRESSION_TABLE

NOW = datetime(2026, 11, 1, 6)


def _working(choices: list[tuple]) -> duckdb.DuckDBPyConnection:
    conn = duckdb.connect()
    conn.execute("create schema intermediate; create schema referential; create schema ops")
    conn.execute(
        "create table intermediate.int_consent_choices (source_system varchar, source_id varchar, "
        "consent_channel varchar, consent_status varchar, collected_at timestamp, choice_origin varchar)"
    )
    if choices:
        conn.executemany("insert into intermediate.int_consent_choices values (?, ?, ?, ?, ?, ?)", choices)
    conn.execute(
        "create table referential.customer_xref (source_system varchar, source_id varchar, customer_id varchar)"
    )
    conn.execute(
        "insert into referential.customer_xref values ('crm', 'C1', 'CUS-a'), ('ecommerce', 'A1', 'CUS-a')"
    )
    return conn


def _run(conn, run_id: str) -> tuple[int, int, list[tuple]]:
    consent.ensure_ledger(conn, None)
    received = consent.record_new_choices(conn, run_id, NOW)
    forgotten = consent.forget_erased(conn)
    history = conn.execute(
        f"select customer_id, source_id, consent_status, recorded_run_id, is_in_effect from ({consent.HISTORY_SQL})"
    ).fetchall()
    return received, forgotten, history


def _replace_choices(conn, choices: list[tuple]) -> None:
    conn.execute("delete from intermediate.int_consent_choices")
    conn.executemany("insert into intermediate.int_consent_choices values (?, ?, ?, ?, ?, ?)", choices)


def test_a_choice_replaced_at_the_source_stays_in_the_history():
    first = [
        ("crm", "C1", "email", "opt_in", datetime(2024, 1, 1), "consent_file"),
        ("ecommerce", "A1", "email", "opt_in", datetime(2025, 1, 1), "consent_file"),
    ]
    conn = _working(first)
    assert _run(conn, "run-1")[0] == 2
    assert _run(conn, "run-2")[0] == 0  # the same input adds nothing
    # the consent file now says the crm record opted out: its earlier opt-in is gone from the file
    _replace_choices(
        conn, [("crm", "C1", "email", "opt_out", datetime(2026, 3, 1), "consent_file"), first[1]]
    )
    received, _, history = _run(conn, "run-3")
    assert received == 1
    assert history == [
        ("CUS-a", "C1", "opt_in", "run-1", False),
        ("CUS-a", "A1", "opt_in", "run-1", False),
        ("CUS-a", "C1", "opt_out", "run-3", True),  # the latest choice is in effect
    ]


def test_on_a_tie_the_opt_out_is_in_effect():
    tie = datetime(2025, 5, 5)
    conn = _working(
        [
            ("crm", "C1", "sms", "opt_in", tie, "consent_file"),
            ("ecommerce", "A1", "sms", "opt_out", tie, "consent_file"),
        ]
    )
    _, _, history = _run(conn, "run-1")
    assert [(s, e) for _, _, s, _, e in history if e] == [("opt_out", True)]


def test_an_erased_persons_choices_are_forgotten():
    conn = _working([("crm", "C1", "post", "opt_in", datetime(2024, 1, 1), "consent_file")])
    _run(conn, "run-1")
    conn.execute(f"create table {SUPPRESSION_TABLE} (key_type varchar, key_hash varchar)")
    conn.execute(
        f"insert into {SUPPRESSION_TABLE} values ('record', ?)", [hashlib.sha256(b"crm:C1").hexdigest()]
    )
    conn.execute("delete from referential.customer_xref where source_id = 'C1'")
    received, forgotten, history = _run(conn, "run-2")  # the source still sends the record
    assert (received, forgotten, history) == (0, 1, [])
    assert conn.execute(f"select count(*) from {consent.LEDGER}").fetchall() == [(0,)]


def test_a_lost_working_file_gets_its_history_back_from_the_restricted_file(tmp_path):
    conn = _working([("crm", "C1", "email", "opt_in", datetime(2024, 1, 1), "consent_file")])
    _run(conn, "run-1")
    restricted = tmp_path / "restricted.duckdb"
    conn.execute(f"attach '{restricted}' as published")
    conn.execute("create schema published.referential")
    conn.execute(f"create table published.{consent.HISTORY} as {consent.HISTORY_SQL}")
    conn.execute("detach published")
    fresh = _working([])  # the source no longer delivers that choice
    assert consent.ensure_ledger(fresh, restricted) == str(restricted)
    assert consent.record_new_choices(fresh, "run-2", NOW) == 0
    rows = fresh.execute(
        f"select source_id, consent_status, recorded_run_id from {consent.LEDGER}"
    ).fetchall()
    assert rows == [("C1", "opt_in", "run-1")]


@pytest.fixture(scope="module")
def published(refreshed, demo_dir):
    result, _ = refreshed
    assert result.success
    return demo_dir / "published"


def test_the_session_run_keeps_the_consent_history_in_the_restricted_file_only(refreshed, published):
    result, db = refreshed
    checks = {
        e.check_name: e.passed
        for e in result.get_asset_check_evaluations()
        if e.asset_key == dg.AssetKey(consent.HISTORY.split("."))
    }
    assert checks.get("keys_and_values") is True and checks.get(CONSENT_AGREES) is True
    with duckdb.connect(str(published / "restricted.duckdb"), read_only=True) as conn:
        [(rows, customers, channels, in_effect)] = conn.execute(
            f"select count(*), count(distinct customer_id), count(distinct consent_channel), "
            f"count(*) filter (where is_in_effect) from {consent.HISTORY}"
        ).fetchall()
        [(with_consent,)] = conn.execute(
            "select count(*) from referential.dim_customer where has_email_consent"
        ).fetchall()
        [(proven,)] = conn.execute(
            f"select count(*) from {consent.HISTORY} where is_in_effect and consent_channel = 'email' "
            "and consent_status = 'opt_in'"
        ).fetchall()
    assert rows > in_effect > 100 and channels == 4 and customers <= in_effect <= 4 * customers
    assert proven == with_consent > 0  # every e-mail opt-in the campaigns rely on has its proof
    with duckdb.connect(str(published / "analyst.duckdb"), read_only=True) as conn:
        assert not conn.execute(
            "select 1 from duckdb_tables() where schema_name = 'referential' and table_name = 'consent_history'"
        ).fetchall()
    with duckdb.connect(str(db), read_only=True) as conn:  # the ledger keeps no erased person's record
        [(erased,)] = conn.execute(
            f"select count(*) from {consent.LEDGER} where sha256(source_system || ':' || source_id) in "
            f"(select key_hash from {SUPPRESSION_TABLE} where key_type = 'record')"
        ).fetchall()
        [(suppressed,)] = conn.execute(
            f"select count(*) from {SUPPRESSION_TABLE} where key_type = 'record'"
        ).fetchall()
    assert erased == 0 and suppressed > 0
