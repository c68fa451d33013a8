"""Sources read as the retailer configuration says: file layout, mappings, absent sources, and bad
configuration stopping the load before anything is written."""

from datetime import datetime
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from platform_assets.landing.assets import raw_sources
from platform_assets.landing.contracts import CONTRACTS_BY_TABLE
from platform_assets.landing.loader import load_source
from platform_assets.lib.resources import resources_from_env
from platform_assets.lib.retailer import RetailerConfigError, parse_retailer
from platform_assets.quality.reconciliation import reconciliation_check
from tests.landing.files import write

LOADED_AT = datetime(2026, 11, 1, 6, 0)
# The first lines of the shared CDNOW sample (/work/shared/datasets/cdnow/CDNOW_sample.txt) as
# delivered: whitespace separated, no header, CRLF line ends.
CDNOW_LINES = (
    " 00004 0001 19970101  2   29.33\r\n"
    " 00004 0001 19970118  2   29.73\r\n"
    " 00004 0001 19970802  1   14.96\r\n"
    " 00004 0001 19971212  2   26.48\r\n"
    " 00021 0002 19970101  3   63.34\r\n"
)

UNITS = """
name: Test retailer
business_units:
  - {code: FR, name: France, country: FR, currency: EUR, time_zone: Europe/Paris, language: fr}
dates: {earliest: 2000-01-01, latest: 2030-12-31}
"""
SALES = """
  pos_receipts: {files: pos/receipts_*.csv, delimiter: ";"}
  pos_receipt_lines: {files: pos/receipt_lines_*.csv, delimiter: ";"}
"""
CUSTOMERS = """
  crm_contacts: {files: crm/contacts.csv}
"""


def config(sources: str, units: str = UNITS, path: Path | None = None):
    """A retailer configuration: ``sources`` (YAML lines under ``sources:``) plus what it needs."""
    text = units + "sources:" + (sources if "crm_contacts" in sources else CUSTOMERS + sources)
    text += "".join(
        line + "\n" for line in SALES.splitlines() if line and line.split(":")[0] + ":" not in sources
    )
    if path is not None:
        path.write_text(text, encoding="utf-8")
    return parse_retailer(text, str(path or "retailer.yml"))


def load(conn, landing, table, retailer, path="retailer.yml"):
    return load_source(conn, landing, CONTRACTS_BY_TABLE[table], "run-1", LOADED_AT, retailer, path)


CDNOW_UNITS = """
name: CDNOW
business_units:
  - {code: US, name: United States, country: US, currency: USD, time_zone: America/New_York, language: en}
dates: {earliest: 1997-01-01, latest: 1998-12-31}
"""
CDNOW_FILE = """
    files: cdnow/CDNOW_sample.txt
    delimiter: whitespace
    header: false
    file_columns: [master_id, sample_id, purchase_date, cds, dollars]
"""


def test_a_headerless_whitespace_file_lands_as_receipts_through_mappings(tmp_path, conn):
    write(tmp_path / "cdnow" / "CDNOW_sample.txt", CDNOW_LINES)
    retailer = config(
        f"""
  pos_receipts:{CDNOW_FILE}
    columns:
      ticket_id: {{expression: "master_id || '-' || purchase_date"}}
      store_code: {{value: US001}}
      ticket_ts: {{column: purchase_date, format: "%Y%m%d"}}
      total_amount: dollars
      currency: {{value: USD}}
      customer_number: master_id
""",
        CDNOW_UNITS,
    )
    result = load(conn, tmp_path, "pos_receipts", retailer)
    rows = conn.execute(
        "select ticket_id, store_code, ticket_ts, total_amount, currency, customer_number, loyalty_card_no, "
        "_row_number from raw.pos_receipts order by _row_number"
    ).fetchall()
    assert rows[0] == ("00004-19970101", "US001", "1997-01-01T00:00:00", "29.33", "USD", "00004", None, 1)
    assert [r[0] for r in rows] == [
        "00004-19970101",
        "00004-19970118",
        "00004-19970802",
        "00004-19971212",
        "00021-19970101",
    ]
    assert (result.rows_read, result.rows_accepted, result.rows_quarantined) == (5, 5, 0)


def test_distinct_on_folds_one_file_into_one_row_per_key_and_reconciles(tmp_path, conn):
    write(tmp_path / "cdnow" / "CDNOW_sample.txt", CDNOW_LINES)
    retailer = config(
        f"""
  crm_contacts:{CDNOW_FILE}
    columns:
      contact_id: master_id
      customer_number: master_id
      country_code: {{value: US}}
      created_at: {{column: purchase_date, format: "%Y%m%d"}}
    distinct_on: [contact_id]
""",
        CDNOW_UNITS,
    )
    result = load(conn, tmp_path, "crm_contacts", retailer)
    rows = conn.execute(
        "select contact_id, customer_number, created_at, _row_number from raw.crm_contacts order by 1"
    ).fetchall()
    assert rows == [
        ("00004", "00004", "1997-01-01T00:00:00Z", 1),
        ("00021", "00021", "1997-01-01T00:00:00Z", 5),
    ]
    assert (result.rows_read, result.rows_accepted, result.rows_folded) == (5, 2, 3)
    check = reconciliation_check(conn, "crm_contacts", "run-1")
    assert check.passed, check.description
    assert check.description == "5 read = 2 accepted + 0 quarantined + 3 folded (distinct_on)"


CRM_HEADER = "id;civ;prenom;nom;email;pays;naissance;cree_le"


def test_a_latin1_file_with_renamed_columns_and_its_own_date_format(tmp_path, conn):
    write(
        tmp_path / "crm" / "export.txt",
        f"{CRM_HEADER}\nC1;Mme;Hélène;Lefèvre;h@x.fr;FR;17.09.1972;01.11.2023 07:27\n",
        encoding="latin-1",
    )
    retailer = config(
        """
  crm_contacts:
    files: crm/export.txt
    delimiter: ";"
    encoding: latin-1
    columns:
      contact_id: id
      salutation: civ
      first_name: prenom
      last_name: nom
      country_code: pays
      birth_date: {column: naissance, format: "%d.%m.%Y"}
      created_at: {column: cree_le, format: "%d.%m.%Y %H:%M"}
"""
    )
    load(conn, tmp_path, "crm_contacts", retailer)
    row = conn.execute(
        "select first_name, last_name, birth_date, created_at, street, address_line_2 from raw.crm_contacts"
    ).fetchone()
    # dates rewritten in the contract's format (ISO 8601, instants in UTC); unmapped and absent: empty
    assert row == ("Hélène", "Lefèvre", "1972-09-17", "2023-11-01T07:27:00Z", None, None)
    encoding = conn.execute("select encoding from ops.landing_files").fetchone()
    assert encoding == ("latin-1",)


RECEIPTS = "ticket_id;store_code;register_no;ticket_ts;loyalty_card_no;total_amount;currency\n"


def test_decimal_commas_become_points_and_a_date_that_does_not_parse_is_kept(tmp_path, conn):
    write(
        tmp_path / "pos" / "receipts_1.csv",
        RECEIPTS + "T1;FR001;1;01/10/2026 10:00;;1234,50;EUR\nT2;FR001;2,0;2026-10-01 10h00;;-3,5;EUR\n",
    )
    retailer = config(
        """
  pos_receipts:
    files: pos/receipts_*.csv
    delimiter: ";"
    decimal_separator: ","
    columns:
      ticket_ts: {column: ticket_ts, format: "%d/%m/%Y %H:%M"}
"""
    )
    load(conn, tmp_path, "pos_receipts", retailer)
    assert conn.execute(
        "select ticket_id, total_amount, register_no, ticket_ts from raw.pos_receipts"
    ).fetchall() == [("T1", "1234.50", "1", "2026-10-01T10:00:00")]
    # the value that does not parse with the configured format reaches quarantine as written
    assert conn.execute(
        "select ticket_id, register_no, ticket_ts, quarantine_rule from quarantine.pos_receipts"
    ).fetchall() == [("T2", "2.0", "2026-10-01 10h00", "unparseable_date")]


def test_a_source_not_delivered_is_an_empty_table_that_says_why(tmp_path, conn):
    retailer = config("")  # no loyalty cards
    result = load(conn, tmp_path, "loyalty_cards", retailer, "/etc/cdp/retailer.yml")
    assert (
        result.not_delivered == "not delivered: absent from the retailer configuration /etc/cdp/retailer.yml"
    )
    columns = [r[0] for r in conn.execute("describe raw.loyalty_cards").fetchall()]
    assert columns[:5] == CONTRACTS_BY_TABLE["loyalty_cards"].column_names
    assert conn.execute("select count(*) from raw.loyalty_cards").fetchone() == (0,)
    assert conn.execute("select count(*) from quarantine.loyalty_cards").fetchone() == (0,)
    assert not conn.execute("select * from duckdb_tables() where table_name = 'landing_files'").fetchall()


def materialize(landing: Path, retailer_path: Path, db: Path, selection: list[str], instance=None):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CDP_LANDING_DIR", str(landing))
        mp.setenv("CDP_DUCKDB_PATH", str(db))
        mp.setenv("CDP_RETAILER_CONFIG", str(retailer_path))
        return dg.materialize(
            [raw_sources],
            resources=resources_from_env(),
            instance=instance or dg.DagsterInstance.ephemeral(),
            raise_on_error=False,
            selection=[dg.AssetKey(["raw", t]) for t in selection],
        )


STORES = (
    "store_code,store_name,store_type,country_code,city,postcode,timezone,currency,opened_on,surface_m2\n"
)
LYON = "FR001,Lyon,store,FR,Lyon,69003,Europe/Paris,EUR,2001-03-01,8500\n"


def test_the_asset_of_an_absent_source_materialises_empty_and_its_checks_say_why(tmp_path):
    retailer_path = tmp_path / "retailer.yml"
    config("\n  erp_stores: {files: erp/stores.csv}\n", path=retailer_path)  # no loyalty cards
    write(tmp_path / "landing" / "erp" / "stores.csv", STORES + LYON)
    instance = dg.DagsterInstance.ephemeral()
    result = materialize(
        tmp_path / "landing",
        retailer_path,
        tmp_path / "cdp.duckdb",
        ["erp_stores", "loyalty_cards"],
        instance,
    )
    assert result.success
    [cards] = [
        m for m in result.get_asset_materialization_events() if m.asset_key.path[-1] == "loyalty_cards"
    ]
    metadata = cards.materialization.metadata
    assert metadata["dagster/row_count"].value == 0
    assert metadata["delivered"].value is False
    assert metadata["note"].value == f"not delivered: absent from the retailer configuration {retailer_path}"
    checks = [e for e in result.get_asset_check_evaluations() if e.asset_key.path[-1] == "loyalty_cards"]
    assert checks and all(e.passed for e in checks)
    assert all(e.metadata["evaluated"].value is False for e in checks)
    assert all(str(retailer_path) in e.description for e in checks)
    logs = [entry.user_message for entry in instance.all_logs(result.run_id)]
    assert any("raw.loyalty_cards: not delivered: absent from the retailer configuration" in m for m in logs)


# --- bad configuration: the load stops naming the file, line or key, and writes nothing ----------


def test_a_business_unit_not_configured_stops_the_load(tmp_path, conn):
    write(
        tmp_path / "erp" / "stores.csv",
        STORES + LYON + LYON.replace("FR001", "ES001").replace(",FR,", ",ES,"),
    )
    with pytest.raises(
        RetailerConfigError,
        match=r"erp/stores\.csv, line 3: business unit 'ES' in column country_code of erp_stores is not "
        r"configured in /cfg/retailer\.yml \(business_units: FR\)",
    ):
        load(
            conn,
            tmp_path,
            "erp_stores",
            config("\n  erp_stores: {files: erp/stores.csv}\n"),
            "/cfg/retailer.yml",
        )
    assert not conn.execute("select * from duckdb_tables()").fetchall()  # nothing written


def test_a_currency_not_configured_stops_the_load(tmp_path, conn):
    write(tmp_path / "pos" / "receipts_1.csv", RECEIPTS + "T1;FR001;1;2026-10-01T10:00:00;;5.00;USD\n")
    with pytest.raises(
        RetailerConfigError,
        match=r"receipts_1\.csv, line 2: currency 'USD' in column currency of pos_receipts is not configured "
        r"in retailer\.yml \(currencies of its business units: EUR\)",
    ):
        load(conn, tmp_path, "pos_receipts", config(""))
    assert not conn.execute("select * from duckdb_tables()").fetchall()


def test_a_mapping_to_a_column_the_file_lacks_names_the_key_the_file_and_its_columns(tmp_path, conn):
    write(tmp_path / "erp" / "stores.csv", STORES + LYON)
    retailer = config("\n  erp_stores:\n    files: erp/stores.csv\n    columns: {store_name: name}\n")
    with pytest.raises(
        RetailerConfigError,
        match=r"retailer\.yml: sources\.erp_stores\.columns\.store_name: maps store_name to column 'name', "
        r"which .*erp/stores\.csv does not have \(its columns: store_code, store_name, store_type",
    ):
        load(conn, tmp_path, "erp_stores", retailer)
    assert not conn.execute("select * from duckdb_tables()").fetchall()


def test_an_expression_that_does_not_bind_names_the_key_and_the_file(tmp_path, conn):
    write(tmp_path / "erp" / "stores.csv", STORES + LYON)
    retailer = config(
        '\n  erp_stores:\n    files: erp/stores.csv\n    columns: {store_name: {expression: "upper(nom)"}}\n'
    )
    with pytest.raises(
        RetailerConfigError,
        match=r"sources\.erp_stores\.columns\.store_name: expression 'upper\(nom\)' does not bind on "
        r".*erp/stores\.csv \(its columns: store_code, .*\): .*nom",
    ):
        load(conn, tmp_path, "erp_stores", retailer)
    assert not conn.execute("select * from duckdb_tables()").fetchall()


def test_every_source_is_checked_before_any_is_written(tmp_path):
    """A bad second source leaves the first one's raw table and the audit as they were."""
    landing, db = tmp_path / "landing", tmp_path / "cdp.duckdb"
    retailer_path = tmp_path / "retailer.yml"
    config(
        "\n  erp_stores: {files: erp/stores.csv}\n  catalog_products: {files: catalog/products.csv}\n",
        path=retailer_path,
    )
    write(landing / "erp" / "stores.csv", STORES + LYON)
    write(landing / "catalog" / "products.csv", "sku,product_name,category_id\n10000001,Paint,C1\n")
    assert materialize(landing, retailer_path, db, ["erp_stores", "catalog_products"]).success
    write(landing / "catalog" / "products.csv", "sku,product_name,category_id\n10000001,Paint 2,C1\n")
    write(landing / "erp" / "stores.csv", STORES.replace("store_type", "type") + LYON)  # renamed column
    result = materialize(landing, retailer_path, db, ["erp_stores", "catalog_products"])
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert "stores.csv, line 1: required column(s) store_type missing" in str(
        failure.event_specific_data.error
    )
    with duckdb.connect(str(db), read_only=True) as conn:
        assert conn.execute("select product_name from raw.catalog_products").fetchall() == [("Paint",)]
        assert conn.execute("select count(distinct load_id) from ops.landing_files").fetchone() == (1,)


# An expression may use ``ordinality``, the row's line in its file: an id for rows that have none
# (the CDNOW log repeats identical orders).
REPEATED = " 00004 0001 19970101  2   29.33\r\n 00004 0001 19970101  2   29.33\r\n 00021 0002 19970101  3   63.34\r\n"


def test_identical_rows_get_distinct_ids_from_their_line_in_the_file(tmp_path, conn):
    write(tmp_path / "cdnow" / "CDNOW_sample.txt", REPEATED)
    retailer = config(
        f"""
  pos_receipts:{CDNOW_FILE}
    columns:
      ticket_id: {{expression: "master_id || '-' || purchase_date || '-' || ordinality"}}
      store_code: {{value: US001}}
      ticket_ts: {{column: purchase_date, format: "%Y%m%d"}}
      total_amount: dollars
      currency: {{value: USD}}
""",
        CDNOW_UNITS,
    )
    result = load(conn, tmp_path, "pos_receipts", retailer)
    ids = [
        r[0] for r in conn.execute("select ticket_id from raw.pos_receipts order by _row_number").fetchall()
    ]
    assert ids == ["00004-19970101-1", "00004-19970101-2", "00021-19970101-3"]
    assert (result.rows_read, result.rows_accepted) == (3, 3)
