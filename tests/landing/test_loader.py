from datetime import datetime

import pytest

from platform_assets.landing.contracts import CONTRACTS_BY_TABLE
from platform_assets.landing.loader import LandingFileError, create_raw_table_sql, load_source
from platform_assets.lib.retailer import DEMO_RETAILER, load_retailer
from tests.landing.files import write

DEMO = load_retailer(DEMO_RETAILER)  # the demo files these tests write follow its layout

STORES = CONTRACTS_BY_TABLE["erp_stores"]
LINES = CONTRACTS_BY_TABLE["pos_receipt_lines"]
EVENTS = CONTRACTS_BY_TABLE["emailing_events"]
LOADED_AT = datetime(2026, 11, 1, 6, 0)
STORE_HEADER = (
    "store_code,store_name,store_type,country_code,city,postcode,timezone,currency,opened_on,surface_m2"
)


def test_rows_are_loaded_as_text_with_lineage(tmp_path, conn):
    write(
        tmp_path / "erp" / "stores.csv",
        f'{STORE_HEADER}\nFR001,"Lyon, Part-Dieu",store,FR,Lyon,69003,Europe/Paris,EUR,2001-03-01,8500\n'
        "WEB-FR,Web shop FR,web,FR,,,Europe/Paris,EUR,,\n",
    )
    loads = load_source(conn, tmp_path, STORES, "run-1", LOADED_AT, DEMO, DEMO_RETAILER).files
    assert [(f.file, f.rows) for f in loads] == [("erp/stores.csv", 2)]
    rows = conn.execute(
        "select store_code, store_name, postcode, surface_m2, _source_file, _row_number, _load_id "
        "from raw.erp_stores order by _row_number"
    ).fetchall()
    assert rows == [
        ("FR001", "Lyon, Part-Dieu", "69003", "8500", "erp/stores.csv", 1, "run-1"),
        ("WEB-FR", "Web shop FR", None, None, "erp/stores.csv", 2, "run-1"),
    ]
    audit = conn.execute("select raw_table, source_file, rows from ops.landing_files").fetchall()
    assert audit == [("erp_stores", "erp/stores.csv", 2)]


def seed_references(conn, skus=("10000001", "10000002"), tickets=("T1", "T2", "T3")):
    """The raw tables receipt lines are checked against: the catalogue and the receipts."""
    conn.execute("create schema if not exists raw")
    conn.execute(create_raw_table_sql(CONTRACTS_BY_TABLE["catalog_products"]))
    conn.execute(create_raw_table_sql(CONTRACTS_BY_TABLE["pos_receipts"]))
    conn.executemany("insert into raw.catalog_products (sku) values (?)", [(s,) for s in skus])
    conn.executemany("insert into raw.pos_receipts (ticket_id) values (?)", [(t,) for t in tickets])


def test_monthly_files_keep_their_own_row_numbers(tmp_path, conn):
    seed_references(conn)
    header = "ticket_id;line_no;sku;qty;unit_price;discount_amount;line_amount;is_return"
    write(tmp_path / "pos" / "receipt_lines_202601.csv", f"{header}\nT1;1;10000001;2;5.00;0;10.00;N\n")
    write(
        tmp_path / "pos" / "receipt_lines_202602.csv",
        f"{header}\nT2;1;10000002;1;7.50;0;7.50;N\nT3;1;10000002;-1;7.50;0;-7.50;Y\n",
    )
    load_source(conn, tmp_path, LINES, "run-1", LOADED_AT, DEMO, DEMO_RETAILER)
    rows = conn.execute(
        "select ticket_id, _source_file, _row_number from raw.pos_receipt_lines order by 1"
    ).fetchall()
    assert rows == [
        ("T1", "pos/receipt_lines_202601.csv", 1),
        ("T2", "pos/receipt_lines_202602.csv", 1),
        ("T3", "pos/receipt_lines_202602.csv", 2),
    ]


def test_ndjson_values_stay_as_written(tmp_path, conn):
    write(
        tmp_path / "emailing" / "events_202610.ndjson",
        '{"event_id":"E1","subscriber_id":"S1","email":"a@b.fr","campaign_id":"K1",'
        '"event_type":"open","event_at":"2026-10-03T08:15:00Z"}\n',
    )
    load_source(conn, tmp_path, EVENTS, "run-1", LOADED_AT, DEMO, DEMO_RETAILER)
    assert conn.execute("select event_at, _row_number from raw.emailing_events").fetchall() == [
        ("2026-10-03T08:15:00Z", 1)
    ]


def test_missing_required_column_names_the_file_and_column(tmp_path, conn):
    path = write(tmp_path / "erp" / "stores.csv", "store_code,store_name\nFR001,Lyon\n")
    with pytest.raises(LandingFileError, match=r"stores\.csv, line 1: required column\(s\) store_type"):
        load_source(conn, tmp_path, STORES, "run-1", LOADED_AT, DEMO, DEMO_RETAILER)
    assert path.exists()


def test_empty_file_is_refused(tmp_path, conn):
    write(tmp_path / "erp" / "stores.csv", "")
    with pytest.raises(LandingFileError, match=r"stores\.csv: the file is empty"):
        load_source(conn, tmp_path, STORES, "run-1", LOADED_AT, DEMO, DEMO_RETAILER)


def test_missing_source_folder_is_a_clear_error(tmp_path, conn):
    with pytest.raises(
        LandingFileError,
        match=r"no file matches 'erp/stores.csv' for raw.erp_stores \(sources.erp_stores.files in .*demo.yml\)",
    ):
        load_source(conn, tmp_path, STORES, "run-1", LOADED_AT, DEMO, DEMO_RETAILER)


def test_a_bad_file_leaves_the_previous_load_untouched(tmp_path, conn):
    good = f"{STORE_HEADER}\nFR001,Lyon,store,FR,Lyon,69003,Europe/Paris,EUR,2001-03-01,8500\n"
    write(tmp_path / "erp" / "stores.csv", good)
    load_source(conn, tmp_path, STORES, "run-1", LOADED_AT, DEMO, DEMO_RETAILER)
    write(tmp_path / "erp" / "stores.csv", "store_code;store_name\n")  # wrong delimiter and columns
    with pytest.raises(LandingFileError):
        load_source(conn, tmp_path, STORES, "run-2", LOADED_AT, DEMO, DEMO_RETAILER)
    assert conn.execute("select store_code, _load_id from raw.erp_stores").fetchall() == [("FR001", "run-1")]
