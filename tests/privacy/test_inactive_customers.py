"""Retention of inactive customers, on a small crafted working file, exports folder and snapshot: a customer
past the period loses their direct identifiers everywhere (restricted file, exports, kept snapshots) while
their facts and every aggregate stay; an active customer, an undated one, an access bundle and a file
without customer id are untouched; without a period nothing is touched."""

import hashlib
import json
from datetime import date

import duckdb
import pytest

from platform_assets.privacy import dormancy
from platform_assets.privacy.exports import anonymise_exports, identified_export_rows
from platform_assets.privacy.snapshots import anonymise_snapshots
from platform_assets.privacy.tables import DORMANT_TABLE
from platform_assets.publish import builder

REF = date(2026, 11, 1)
KINDS = ("purchase", "email_engagement", "web_visit", "consent_choice", "record_update")
IDENTIFIERS = "first_name, last_name, email, phone_e164, birth_date, postcode"


def working_file() -> duckdb.DuckDBPyConnection:
    """Four customers: CUS-new bought in 2026; CUS-old last bought in 2021; CUS-sent last bought in 2022
    and was only sent e-mails since (a send is not their activity); CUS-undated has nothing dated.
    No consent history, no web events: those kinds count nothing (sources not delivered)."""
    conn = duckdb.connect()
    conn.execute(
        "create schema referential; create schema sales; create schema marketing; create schema intermediate"
    )
    conn.execute(
        "create table referential.dim_customer as select * from (values "
        "('CUS-new', 'Nina', 'New', 'nina@example.com', '+33600000001', date '1980-02-03', '75011', 'FR'), "
        "('CUS-old', 'Olga', 'Old', 'olga@example.com', '+33600000002', date '1950-04-05', '69001', 'FR'), "
        "('CUS-sent', 'Sam', 'Sent', 'sam@example.com', null, date '1970-06-07', 'SW1A 1AA', 'GB'), "
        "('CUS-undated', 'Ugo', 'Undated', 'ugo@example.com', null, null, null, 'FR')) "
        "t(customer_id, first_name, last_name, email, phone_e164, birth_date, postcode, country_code)"
    )
    conn.execute(
        "create table sales.fct_sales_lines as select * from (values "
        "('L1', 'CUS-new', 'FR', 10.00, date '2026-09-01', date '2026-09-01'), "
        "('L2', 'CUS-old', 'FR', 25.50, date '2021-05-01', date '2021-05-01'), "
        "('L3', 'CUS-old', 'FR', 4.50, date '2020-01-01', date '2020-01-01'), "
        "('L4', 'CUS-sent', 'GB', 99.90, null, date '2022-01-15'), "
        "('L5', null, 'GB', 7.00, date '2026-10-01', date '2026-10-01')) "
        "t(sales_line_id, customer_id, country_code, net_amount, sold_date, ordered_date)"
    )
    conn.execute(
        "create table marketing.fct_email_events as select * from (values "
        "('E1', 'SUB-sent', 'CUS-sent', 'sent', timestamp '2026-06-01 10:00:00'), "
        "('E2', 'SUB-sent', 'CUS-sent', 'open', timestamp '2019-06-01 10:00:00'), "
        "('E3', 'SUB-new', 'CUS-new', 'click', timestamp '2026-06-01 10:00:00')) "
        "t(email_event_id, email_subscriber_id, customer_id, event_type, event_at)"
    )
    conn.execute(
        "create table referential.customer_xref as select * from (values "
        "('crm:C1', 'crm', 'C1', 'CUS-new', 'run-0'), ('crm:C2', 'crm', 'C2', 'CUS-old', 'run-0'), "
        "('web:W2', 'web', 'W2', 'CUS-old', 'run-0'), ('crm:C3', 'crm', 'C3', 'CUS-sent', 'run-0')) "
        "t(record_id, source_system, source_id, customer_id, linked_run_id)"
    )
    conn.execute(
        "create table intermediate.int_customer_records_standardised as select * from (values "
        "('crm:C1', timestamp '2020-01-01', null), ('crm:C2', timestamp '2019-01-01', timestamp '2022-03-01'), "
        "('web:W2', timestamp '2021-01-01', null), ('crm:C3', timestamp '2018-01-01', null)) "
        "t(record_id, record_created_at, record_updated_at)"
    )
    # a table without customer id: tied to a customer through the crosswalk
    conn.execute(
        "create table referential.identity_field_warnings as select * from (values "
        "('web:W2', 'W2', 'olga@exemple', 'email'), ('crm:C1', 'C1', 'nina@exemple', 'email')) "
        "t(record_id, source_id, value, field)"
    )
    return conn


def exports_folder(root):
    day = root / "activation" / "2026-11-01"
    day.mkdir(parents=True)
    export = day / "WAKE__email__FR.csv"
    export.write_text(
        "customer_id,email,first_name\nCUS-new,nina@example.com,Nina\nCUS-old,olga@example.com,Olga\n"
    )
    entry = {"file_path": "activation/2026-11-01/WAKE__email__FR.csv", "rows": 2, "sha256": "stale"}
    (day / "WAKE__email__FR.csv.manifest.json").write_text(json.dumps(entry))
    (day / "manifest.json").write_text(json.dumps({"files": [entry]}))
    bundle = root / "privacy" / "access" / "AR-1"
    bundle.mkdir(parents=True)
    (bundle / "golden_record.csv").write_text("customer_id,email\nCUS-old,olga@example.com\n")
    (root / "partners").mkdir()
    (root / "partners" / "emails.csv").write_text("email\nolga@example.com\n")
    return export


def restricted(conn, target) -> None:
    tables = builder.source_tables(conn, ("referential", "sales", "marketing"))
    builder.build(
        conn,
        target,
        "restricted_build",
        tables,
        {},
        False,
        {"run_id": "r", "reference_date": REF, "published_at": None, "file_kind": "restricted"},
    )


def read(path, sql: str):
    with duckdb.connect(str(path), read_only=True) as conn:
        return conn.execute(sql).fetchall()


def sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_customers_past_the_period_are_those_without_counted_activity_since_the_cutoff():
    conn = working_file()
    found = dormancy.find_dormant(conn, REF, 3, KINDS, "run-1")
    assert (found.customers, found.undated, found.cutoff) == (2, 1, date(2023, 11, 1))
    listed = conn.execute(
        f"select customer_id, last_activity_date, last_activity_kind from {DORMANT_TABLE} order by 1"
    ).fetchall()
    assert listed == [
        ("CUS-old", date(2022, 3, 1), "record_update"),
        ("CUS-sent", date(2022, 1, 15), "purchase"),
    ]
    # what counts is the retailer's: records alone say CUS-new's last sign of life was in 2020
    assert dormancy.find_dormant(conn, REF, 3, ("record_update",), "run-2").customers == 3
    # a shorter period reaches further; activity after the reference date does not count (backfill)
    assert dormancy.find_dormant(conn, date(2021, 6, 1), 1, ("purchase",), "run-3").customers == 0
    assert dormancy.find_dormant(conn, date(2020, 1, 1), 1, ("purchase",), "run-4").customers == 0
    assert dormancy.cutoff_date(date(2028, 2, 29), 3) == date(2025, 2, 28)


def test_a_customer_past_retention_loses_identifiers_everywhere_while_aggregates_stay(tmp_path):
    conn = working_file()
    export = exports_folder(tmp_path / "exports")
    snapshot = tmp_path / "snapshots" / "20261001T060000Z_aaaa"
    snapshot.mkdir(parents=True)
    restricted(conn, snapshot / "restricted.duckdb")  # published before the policy applied
    (snapshot / "manifest.json").write_text("{}")
    untouched = {p: sha(p) for p in (tmp_path / "exports").rglob("*.csv") if p != export}
    before = conn.execute(
        "select country_code, sum(net_amount), count(*) from sales.fct_sales_lines group by 1 order by 1"
    ).fetchall()

    dormancy.find_dormant(conn, REF, 3, KINDS, "run-1")
    assert anonymise_exports(conn, tmp_path / "exports", DORMANT_TABLE) == {
        "activation/2026-11-01/WAKE__email__FR.csv": 1
    }
    restricted(conn, tmp_path / "restricted.duckdb")
    assert anonymise_snapshots(conn, [snapshot], "run-1", builder.STORAGE_VERSION) == {
        "20261001T060000Z_aaaa/restricted.duckdb": {
            "marketing.fct_email_events": 2,
            "referential.customer_xref": 3,
            "referential.dim_customer": 2,
            "referential.identity_field_warnings": 1,
        }
    }

    for path in (tmp_path / "restricted.duckdb", snapshot / "restricted.duckdb"):
        people = read(
            path, f"select customer_id, {IDENTIFIERS}, country_code from referential.dim_customer order by 1"
        )
        assert people == [
            ("CUS-new", "Nina", "New", "nina@example.com", "+33600000001", date(1980, 2, 3), "75011", "FR"),
            ("CUS-old", None, None, None, None, None, None, "FR"),
            ("CUS-sent", None, None, None, None, None, None, "GB"),
            ("CUS-undated", "Ugo", "Undated", "ugo@example.com", None, None, None, "FR"),
        ]
        assert read(
            path,
            "select record_id, source_id, customer_id, linked_run_id from referential.customer_xref order by 3, 1",
        ) == [
            ("crm:C1", "C1", "CUS-new", "run-0"),
            (None, None, "CUS-old", "run-0"),
            (None, None, "CUS-old", "run-0"),
            (None, None, "CUS-sent", "run-0"),
        ]
        assert read(
            path, "select record_id, value from referential.identity_field_warnings order by 2 nulls last"
        ) == [
            ("crm:C1", "nina@exemple"),
            (None, None),
        ]
        assert read(
            path,
            "select email_event_id, email_subscriber_id, customer_id from marketing.fct_email_events order by 1",
        ) == [
            ("E1", None, "CUS-sent"),
            ("E2", None, "CUS-sent"),
            ("E3", "SUB-new", "CUS-new"),
        ]
        # the facts stay under the customer id: every total per business unit is unchanged
        assert (
            read(
                path,
                "select country_code, sum(net_amount), count(*) from sales.fct_sales_lines group by 1 order by 1",
            )
            == before
        )
        assert read(path, "select count(*) from sales.fct_sales_lines where customer_id = 'CUS-old'") == [
            (2,)
        ]

    assert export.read_text().splitlines() == [
        "customer_id,email,first_name",
        "CUS-new,nina@example.com,Nina",
        "CUS-old,,",
    ]
    day = export.parent
    assert json.loads((day / "WAKE__email__FR.csv.manifest.json").read_text())["sha256"] == sha(export)
    assert json.loads((day / "manifest.json").read_text())["files"][0]["sha256"] == sha(export)
    assert {p: sha(p) for p in untouched} == untouched  # the access bundle, a file without customer id
    [note] = json.loads((snapshot / "manifest.json").read_text())["anonymised_after_publication"]
    assert (
        note["run_id"] == "run-1"
        and note["rows_anonymised"]["restricted.duckdb"]["referential.dim_customer"] == 2
    )

    # applied once: the next run finds nothing left to anonymise
    assert identified_export_rows(conn, tmp_path / "exports", DORMANT_TABLE) == {}
    assert anonymise_exports(conn, tmp_path / "exports", DORMANT_TABLE) == {}
    assert anonymise_snapshots(conn, [snapshot], "run-2", builder.STORAGE_VERSION) == {}


def test_without_a_period_nothing_is_touched(tmp_path):
    conn = working_file()
    exports_folder(tmp_path / "exports")
    snapshot = tmp_path / "snapshots" / "20261001T060000Z_aaaa"
    snapshot.mkdir(parents=True)
    restricted(conn, snapshot / "restricted.duckdb")
    files = {p: sha(p) for p in tmp_path.rglob("*") if p.is_file()}

    found = dormancy.find_dormant(conn, REF, None, KINDS, "run-1")
    assert (found.customers, found.cutoff) == (0, None)
    assert conn.execute(f"select count(*) from {DORMANT_TABLE}").fetchall() == [(0,)]
    assert anonymise_exports(conn, tmp_path / "exports", DORMANT_TABLE) == {}
    assert anonymise_snapshots(conn, [snapshot], "run-1", builder.STORAGE_VERSION) == {}
    assert {p: sha(p) for p in files} == files
    restricted(conn, tmp_path / "restricted.duckdb")
    assert read(tmp_path / "restricted.duckdb", "select count(email) from referential.dim_customer") == [(4,)]


@pytest.mark.parametrize("missing", ["sales.fct_sales_lines", "referential.dim_customer"])
def test_a_source_not_delivered_counts_nothing_and_fails_nothing(missing):
    conn = working_file()
    conn.execute(f"drop table {missing}")
    found = dormancy.find_dormant(conn, REF, 3, KINDS, "run-1")
    listed = {c for (c,) in conn.execute(f"select customer_id from {DORMANT_TABLE}").fetchall()}
    if missing == "referential.dim_customer":  # no customers: nobody to anonymise
        assert found.customers == 0 and listed == set()
    else:  # without sales, CUS-sent's last sign of life is their 2018 record; CUS-new's a click in 2026
        assert listed == {"CUS-old", "CUS-sent"}


def test_on_the_session_runs_tables_two_years_reach_customers_and_keep_every_total(
    refreshed, demo_dir, tmp_path
):
    """The demo keeps identifiers three years, as long as its data: nobody is past it. On a copy of the session
    run's working file, restricted file and exports, two years reach some customers: every table of the
    real schema loses their identifiers, keeps their rows, and the sales totals per business unit stay."""
    import shutil

    from platform_assets.publish.classification import RESTRICTED_SCHEMAS

    _, db = refreshed
    shutil.copy(db, tmp_path / "working.duckdb")
    snapshot = tmp_path / "snapshots" / "20261101T060000Z_session"
    snapshot.mkdir(parents=True)
    shutil.copy(demo_dir / "published" / "restricted.duckdb", snapshot / "restricted.duckdb")
    shutil.copytree(demo_dir / "exports" / "activation", tmp_path / "exports" / "activation")
    with duckdb.connect(str(tmp_path / "working.duckdb")) as conn:
        found = dormancy.find_dormant(conn, REF, 2, KINDS, "run-2y")
        assert (
            0
            < found.customers
            < 0.2 * conn.execute("select count(*) from referential.dim_customer").fetchall()[0][0]
        )
        anonymise_exports(conn, tmp_path / "exports", DORMANT_TABLE)
        assert identified_export_rows(conn, tmp_path / "exports", DORMANT_TABLE) == {}
        builder.build(
            conn,
            tmp_path / "restricted.duckdb",
            "restricted_build",
            builder.source_tables(conn, RESTRICTED_SCHEMAS),
            {},
            False,
            {"run_id": "run-2y", "reference_date": REF, "published_at": None, "file_kind": "restricted"},
        )
        rewritten = anonymise_snapshots(conn, [snapshot], "run-2y", builder.STORAGE_VERSION)
        assert (
            rewritten["20261101T060000Z_session/restricted.duckdb"]["referential.dim_customer"]
            == found.customers
        )
        totals = conn.execute(
            "select country_code, sum(net_amount), count(*) from sales.fct_sales_lines group by 1 order by 1"
        ).fetchall()
        dormant = [c for (c,) in conn.execute(f"select customer_id from {DORMANT_TABLE}").fetchall()]
        tables = builder.source_tables(conn, RESTRICTED_SCHEMAS)
    for path in (tmp_path / "restricted.duckdb", snapshot / "restricted.duckdb"):
        with duckdb.connect(str(path), read_only=True) as conn:
            conn.execute("create temp table dormant as select unnest(?::varchar[]) as customer_id", [dormant])
            left = {}
            for table, columns in tables.items():
                count_sql = dormancy.identified_rows_sql(table, table, columns, "dormant")
                if (
                    count_sql
                    and conn.execute(
                        f"select count(*) from duckdb_tables() where schema_name || '.' || table_name = '{table}'"
                    ).fetchall()[0][0]
                ):
                    left[table] = conn.execute(count_sql).fetchall()[0][0]
            assert left and set(left.values()) == {0}, left
            assert "referential.dim_customer" in left and "referential.customer_xref" in left
            assert (
                conn.execute(
                    "select country_code, sum(net_amount), count(*) from sales.fct_sales_lines group by 1 order by 1"
                ).fetchall()
                == totals
            )
            [(kept, named)] = conn.execute(
                "select count(*), count(email) + count(last_name) from referential.dim_customer "
                "where customer_id in (select customer_id from dormant)"
            ).fetchall()
            assert (kept, named) == (found.customers, 0)
            [(others, others_named)] = conn.execute(
                "select count(*), count(last_name) from referential.dim_customer "
                "where customer_id not in (select customer_id from dormant)"
            ).fetchall()
            assert others_named == others > 0  # an active customer keeps every identifier
