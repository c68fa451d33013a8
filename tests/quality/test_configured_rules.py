"""Row rules that come from the retailer configuration (the plausible date window) and field-level
problems in customer records (a warning row, not a quarantined person)."""

import pytest

from platform_assets.landing.contracts import CONTRACTS_BY_TABLE
from platform_assets.landing.loader import load_source
from platform_assets.landing.results import load_metadata
from platform_assets.lib.retailer import parse_retailer
from platform_assets.quality.reconciliation import reconciliation_check
from tests.quality.conftest import LOADED_AT, RECEIPTS, write

RETAILER = """
name: Test retailer
business_units:
  - {{code: FR, name: France, country: FR, currency: EUR, time_zone: Europe/Paris, language: fr}}
dates: {{earliest: {earliest}, latest: {latest}}}
sources:
  crm_contacts:
    files: crm/contacts.csv
    columns:
      birth_date: {{column: birth_date, format: "%d/%m/%Y"}}
      created_at: {{column: created_at, format: "%Y-%m-%d %H:%M:%S"}}
      updated_at: {{column: updated_at, format: "%Y-%m-%d %H:%M:%S"}}
  ecommerce_accounts: {{files: ecommerce/accounts.csv}}
  pos_receipts: {{files: pos/receipts_*.csv, delimiter: ";"}}
  pos_receipt_lines: {{files: pos/receipt_lines_*.csv, delimiter: ";"}}
"""


def retailer(earliest="2000-01-01", latest="2030-12-31"):
    return parse_retailer(RETAILER.format(earliest=earliest, latest=latest), "retailer.yml")


def load(conn, landing, table, config):
    return load_source(conn, landing, CONTRACTS_BY_TABLE[table], "run-1", LOADED_AT, config, "retailer.yml")


@pytest.fixture
def receipts(tmp_path):
    write(
        tmp_path / "pos" / "receipts_1.csv",
        RECEIPTS + "T1;FR001;1;1997-03-01T10:00:00;;20.00;EUR\n"  # a 1997 sale
        "T2;FR001;1;2026-10-01T10:00:00;;5.00;EUR\n",
    )
    return tmp_path


def test_a_business_date_outside_the_configured_window_is_quarantined(conn, receipts):
    load(conn, receipts, "pos_receipts", retailer())
    assert conn.execute("select ticket_id, quarantine_rule from quarantine.pos_receipts").fetchall() == [
        ("T1", "implausible_date")
    ]


def test_the_window_is_the_retailers_own(conn, receipts):
    result = load(conn, receipts, "pos_receipts", retailer(earliest="1997-01-01"))
    assert result.rows_quarantined == 0
    result = load(conn, receipts, "pos_receipts", retailer(earliest="1997-01-01", latest="2025-12-31"))
    assert conn.execute("select ticket_id, quarantine_rule from quarantine.pos_receipts").fetchall() == [
        ("T2", "implausible_date")
    ]


CRM = (
    "contact_id,salutation,first_name,last_name,email,phone,street,postcode,city,country_code,"
    "birth_date,created_at,updated_at,origin\n"
)


def test_birth_dates_are_not_judged_by_the_business_window(conn, tmp_path):
    write(
        tmp_path / "crm" / "contacts.csv", CRM + "C1,,Ann,Lee,,,,,,FR,17/09/1952,2023-11-01 07:27:44,,store\n"
    )
    assert load(conn, tmp_path, "crm_contacts", retailer()).rows_quarantined == 0


def test_one_bad_optional_field_warns_and_keeps_the_contact(conn, tmp_path):
    write(
        tmp_path / "crm" / "contacts.csv",
        CRM + "C1,,Ann,Lee,,,,,,FR,17/09/1972,2023-11-01 07:27:44,,store\n"
        "C2,,Bob,Lee,,,,,,FR,31/02/1972,2023-11-01 07:27:44,yesterday,store\n"  # two bad optional fields
        "C3,,Cid,Lee,,,,,,FR,01/01/1980,01/11/2023,,store\n",  # a bad required field: quarantined
    )
    result = load(conn, tmp_path, "crm_contacts", retailer())
    assert [r[0] for r in conn.execute("select contact_id from raw.crm_contacts order by 1").fetchall()] == [
        "C1",
        "C2",
    ]
    assert conn.execute("select contact_id, quarantine_rule from quarantine.crm_contacts").fetchall() == [
        ("C3", "unparseable_date")
    ]
    warnings = conn.execute(
        "select raw_table, _source_file, _row_number, column_name, value, rule, _load_id "
        "from quarantine.field_warnings order by _row_number, column_name"
    ).fetchall()
    assert warnings == [
        ("crm_contacts", "crm/contacts.csv", 2, "birth_date", "31/02/1972", "unparseable_date", "run-1"),
        ("crm_contacts", "crm/contacts.csv", 2, "updated_at", "yesterday", "unparseable_date", "run-1"),
    ]
    assert (result.rows_read, result.rows_accepted, result.rows_quarantined) == (3, 2, 1)
    assert result.field_warnings_by_rule == {"unparseable_date": 2}
    metadata = load_metadata(result, tmp_path, 0.1)
    assert metadata["field_warnings"] == 2
    assert reconciliation_check(conn, "crm_contacts", "run-1").passed


def test_field_warnings_are_replaced_per_source_on_reload(conn, tmp_path):
    write(
        tmp_path / "crm" / "contacts.csv", CRM + "C1,,Ann,Lee,,,,,,FR,31/02/1972,2023-11-01 07:27:44,,store\n"
    )
    accounts = "account_id,login_email,first_name,last_name,phone,birth_date,country_code,created_at\n"
    write(
        tmp_path / "ecommerce" / "accounts.csv",
        accounts + "a1,a@b.fr,,,,1972-02-31,FR,2025-01-01T00:00:00Z\n",
    )
    load(conn, tmp_path, "crm_contacts", retailer())
    load(conn, tmp_path, "ecommerce_accounts", retailer())
    load(conn, tmp_path, "crm_contacts", retailer())
    counts = conn.execute(
        "select raw_table, count(*) from quarantine.field_warnings group by 1 order by 1"
    ).fetchall()
    assert counts == [("crm_contacts", 1), ("ecommerce_accounts", 1)]


def test_a_bad_optional_value_outside_customer_sources_still_quarantines(conn, tmp_path):
    write(tmp_path / "pos" / "receipts_1.csv", RECEIPTS + "T1;FR001;x;2026-10-01T10:00:00;;20.00;EUR\n")
    load(conn, tmp_path, "pos_receipts", retailer())
    assert conn.execute("select quarantine_rule from quarantine.pos_receipts").fetchall() == [
        ("unparseable_number",)
    ]
    assert conn.execute("select count(*) from quarantine.field_warnings").fetchone() == (0,)


def test_an_id_outside_the_configured_format_is_quarantined(conn, tmp_path):
    write(
        tmp_path / "crm" / "contacts.csv",
        CRM + "C00000001,,Ann,Lee,,,,,,FR,,2023-11-01 07:27:44,,store\n"
        "X-17,,Bob,Lee,,,,,,FR,,2023-11-01 07:27:44,,store\n",
    )
    with_format = RETAILER.replace(
        "      birth_date: {{column",
        "      contact_id: {{column: contact_id, pattern: 'C\\d{{8}}'}}\n      birth_date: {{column",
    )
    config = parse_retailer(with_format.format(earliest="2000-01-01", latest="2030-12-31"), "retailer.yml")
    result = load(conn, tmp_path, "crm_contacts", config)
    assert conn.execute("select contact_id, quarantine_rule from quarantine.crm_contacts").fetchall() == [
        ("X-17", "malformed_value")
    ]
    assert (result.rows_read, result.rows_accepted) == (2, 1)
    # Without a configured format, any id is the retailer's own
    assert load(conn, tmp_path, "crm_contacts", retailer()).rows_quarantined == 0
