"""Writing the identity tables: one transaction for all of them, ids numbered after the registry,
merges marked, and the previous state read back for the next run."""

from datetime import datetime

import duckdb
import polars as pl
import pytest

from platform_assets.privacy.erasure import LOG_SCHEMA, SUPPRESSION_SCHEMA, Erasure
from platform_assets.referential.identity.crosswalk import id_changes, issued_ids, without_erased
from platform_assets.referential.identity.stable_ids import assign_customer_ids
from platform_assets.referential.identity.store import previous_state, row_counts, write_identity

NOW = datetime(2026, 11, 1, 6)
NO_ERASURE = Erasure(
    set(),
    0,
    [],
    "run",
    NOW,
    pl.DataFrame(schema=SUPPRESSION_SCHEMA),
    pl.DataFrame(schema=LOG_SCHEMA),
    0,
    None,
)
WEIGHTS = pl.DataFrame({"comparison": ["email_std"], "match_weight": [3.5]})


def run(conn, clusters: dict[str, int], run_id: str, erasure: Erasure = NO_ERASURE):
    """One identity run's bookkeeping on ``clusters`` (record_id -> cluster label)."""
    previous, registry = previous_state(conn)
    frame = pl.DataFrame({"record_id": list(clusters), "cluster_id": list(clusters.values())})
    ids = without_erased(assign_customer_ids(frame, previous, registry), erasure.erased_customer_ids)
    xref = ids.assignments.select("record_id", "customer_id")
    issued = issued_ids(ids.issued, registry, run_id, NOW)
    write_identity(
        conn, xref, issued, id_changes(ids.history, run_id, NOW), ids.retired, WEIGHTS, None, erasure
    )
    return ids


def test_a_merge_keeps_the_first_issued_id_and_marks_the_other_merged():
    conn = duckdb.connect()
    first = run(conn, {"crm:1": 0, "crm:2": 1}, "run-1")
    older, newer = (
        dict(first.assignments.select("record_id", "customer_id").iter_rows())[r] for r in ("crm:1", "crm:2")
    )
    run(conn, {"crm:1": 0, "crm:2": 0, "crm:3": 1}, "run-2")
    ids = conn.execute(
        "select customer_id, issued_seq, status, merged_into from referential.customer_ids order by 2"
    ).fetchall()
    assert [(seq, status) for _, seq, status, _ in ids] == [(1, "active"), (2, "merged"), (3, "active")]
    assert ids[1][3] == ids[0][0]
    assert conn.execute(
        "select old_customer_id, new_customer_id, reason, records, run_id from referential.customer_id_history"
    ).fetchall() == [(ids[1][0], ids[0][0], "merge", 1, "run-2")]
    assert {ids[0][0], ids[1][0]} == {older, newer}
    previous, registry = previous_state(conn)
    assert previous.height == 3 and registry["issued_seq"].to_list() == [1, 2, 3]
    assert row_counts(conn, ["ops.identity_match_weights"]) == {"ops.identity_match_weights": 2}


def test_a_failing_write_leaves_every_identity_table_as_it_was():
    conn = duckdb.connect()
    run(conn, {"crm:1": 0, "crm:2": 1}, "run-1")
    before = conn.execute("select * from referential.customer_xref order by all").fetchall()
    broken = Erasure(
        set(),
        0,
        [],
        "run-2",
        NOW,
        pl.DataFrame({"unexpected": [1]}),
        pl.DataFrame(schema=LOG_SCHEMA),
        0,
        None,
    )
    with pytest.raises(duckdb.Error):
        run(conn, {"crm:1": 0, "crm:2": 0}, "run-2", broken)  # the suppression list refuses the frame
    assert conn.execute("select * from referential.customer_xref order by all").fetchall() == before
    assert conn.execute("select count(*) from referential.customer_id_history").fetchall() == [(0,)]
    assert row_counts(conn, ["referential.customer_ids", "ops.identity_match_weights"]) == {
        "referential.customer_ids": 2,
        "ops.identity_match_weights": 1,
    }


def test_the_erased_records_leave_the_intermediate_tables_identity_read_them_from():
    conn = duckdb.connect()
    conn.execute("create schema intermediate")
    for table in ("int_customer_records", "int_customer_records_standardised"):
        conn.execute(
            f"create table intermediate.{table} as select * from (values "
            "('crm:1', 'anna@example.com'), ('crm:2', 'bob@example.com'), ('loyalty:9', null)) t(record_id, email_std)"
        )
    conn.execute(
        "create table intermediate.int_consent_choices as select * from (values "
        "('crm', '1', 'email'), ('emailing', 'S7', 'email'), ('crm', '2', 'email')) t(source_system, source_id, consent_channel)"
    )
    erasure = Erasure(
        {"CUS-anna"},
        2,
        ["crm:1", "emailing:S7", "loyalty:9"],
        "run-1",
        NOW,
        pl.DataFrame(schema=SUPPRESSION_SCHEMA),
        pl.DataFrame(schema=LOG_SCHEMA),
        0,
        None,
    )
    run(conn, {"crm:1": 0, "crm:2": 1, "loyalty:9": 0}, "run-1", erasure)
    for table in ("int_customer_records", "int_customer_records_standardised"):
        assert conn.execute(f"select record_id, email_std from intermediate.{table}").fetchall() == [
            ("crm:2", "bob@example.com")
        ]
    assert conn.execute(
        "select run_id, place, rows_removed from ops.erasure_cleanups order by place"
    ).fetchall() == [
        ("run-1", "intermediate.int_consent_choices", 2),
        ("run-1", "intermediate.int_customer_records", 2),
        ("run-1", "intermediate.int_customer_records_standardised", 2),
    ]
    assert conn.execute("select source_id from intermediate.int_consent_choices").fetchall() == [("2",)]
