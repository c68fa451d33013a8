"""Every kind of bad landing file stops the load with the file, the line and the problem."""

import pytest

from platform_assets.landing.contracts import CONTRACTS_BY_TABLE
from platform_assets.landing.loader import LandingFileError, load_source
from platform_assets.lib.retailer import DEMO_RETAILER, load_retailer
from tests.quality.conftest import LOADED_AT, write

DEMO = load_retailer(DEMO_RETAILER)  # the demo files these tests write follow its layout

STORES = CONTRACTS_BY_TABLE["erp_stores"]
EVENTS = CONTRACTS_BY_TABLE["emailing_events"]
HEADER = "store_code,store_name,store_type,country_code,city,postcode,timezone,currency,opened_on,surface_m2"
LYON = "FR001,Lyon Part-Dieu,store,FR,Lyon,69003,Europe/Paris,EUR,2001-03-01,8500"
NIMES = "FR002,Nîmes Sud,store,FR,Nîmes,30900,Europe/Paris,EUR,2004-05-01,6000"


def load(tmp_path, conn, contract=STORES):
    return load_source(conn, tmp_path, contract, "run-1", LOADED_AT, DEMO, DEMO_RETAILER)


def test_a_zero_byte_file_is_empty(tmp_path, conn):
    write(tmp_path / "erp" / "stores.csv", "")
    with pytest.raises(LandingFileError, match=r"erp/stores\.csv: the file is empty \(no header line\)"):
        load(tmp_path, conn)


def test_a_header_without_rows_is_empty(tmp_path, conn):
    write(tmp_path / "erp" / "stores.csv", HEADER + "\n")
    with pytest.raises(
        LandingFileError, match=r"stores\.csv: the file is empty \(a header but no data rows\)"
    ):
        load(tmp_path, conn)


def test_a_file_cut_mid_line_is_truncated(tmp_path, conn):
    write(tmp_path / "erp" / "stores.csv", f"{HEADER}\n{LYON}\n{NIMES[:20]}")
    with pytest.raises(
        LandingFileError, match=r"stores\.csv, line 3: .*does not end with a line break.*truncated"
    ):
        load(tmp_path, conn)


def test_a_file_cut_inside_a_character_is_truncated(tmp_path, conn):
    data = f"{HEADER}\n{LYON}\n{NIMES}\n".encode()
    cut = data.index("î".encode()) + 1  # the first byte of a two-byte character
    write(tmp_path / "erp" / "stores.csv", data[:cut])
    with pytest.raises(LandingFileError, match=r"stores\.csv, line 3: ends inside a UTF-8 character"):
        load(tmp_path, conn)


def test_a_row_with_missing_fields_names_its_line(tmp_path, conn):
    write(tmp_path / "erp" / "stores.csv", f"{HEADER}\n{LYON}\nFR002,Nimes,store\n{NIMES}\n")
    with pytest.raises(
        LandingFileError,
        match=r"stores\.csv, line 3: cannot be read: Expected Number of Columns: 10 Found: 3",
    ):
        load(tmp_path, conn)


def test_an_unterminated_quote_names_its_line(tmp_path, conn):
    write(tmp_path / "erp" / "stores.csv", f'{HEADER}\n{LYON}\nFR002,"Nimes,store,FR,N,1,E,EUR,,\n')
    with pytest.raises(
        LandingFileError, match=r"stores\.csv, line 3: cannot be read: Value with unterminated quote"
    ):
        load(tmp_path, conn)


def test_a_malformed_json_line_names_its_line(tmp_path, conn):
    good = '{"event_id":"E1","subscriber_id":"S1","email":"a@b.fr","campaign_id":"K1","event_type":"open","event_at":"2026-10-03T08:15:00Z"}'
    write(tmp_path / "emailing" / "events_202610.ndjson", f"{good}\n{good[:40]}\n")
    with pytest.raises(
        LandingFileError, match=r"events_202610\.ndjson, line 2: cannot be read: Malformed JSON"
    ):
        load(tmp_path, conn, EVENTS)


def test_the_bad_file_among_good_ones_is_named(tmp_path, conn):
    """A source's files are read in one statement; the error still names the file that broke it."""
    good = '{"event_id":"E1","subscriber_id":"S1","email":"a@b.fr","campaign_id":"K1","event_type":"open","event_at":"2026-10-03T08:15:00Z"}'
    write(tmp_path / "emailing" / "events_202609.ndjson", f"{good}\n{good.replace('E1', 'E2')}\n")
    write(tmp_path / "emailing" / "events_202610.ndjson", f"{good.replace('E1', 'E3')}\n{good[:40]}\n")
    write(tmp_path / "emailing" / "events_202611.ndjson", f"{good.replace('E1', 'E4')}\n")
    with pytest.raises(
        LandingFileError, match=r"events_202610\.ndjson, line 2: cannot be read: Malformed JSON"
    ):
        load(tmp_path, conn, EVENTS)


def test_the_wrong_delimiter_is_named(tmp_path, conn):
    write(tmp_path / "erp" / "stores.csv", f"{HEADER.replace(',', ';')}\n{LYON.replace(',', ';')}\n")
    with pytest.raises(
        LandingFileError,
        match=r"stores\.csv, line 1: wrong delimiter, .*';' but the configuration of erp_stores says ','",
    ):
        load(tmp_path, conn)


def test_a_missing_required_column_is_named(tmp_path, conn):
    write(tmp_path / "erp" / "stores.csv", "store_code,store_name\nFR001,Lyon\n")
    with pytest.raises(
        LandingFileError, match=r"stores\.csv, line 1: required column\(s\) store_type, country_code"
    ):
        load(tmp_path, conn)


def test_a_renamed_column_is_named_both_ways(tmp_path, conn):
    write(tmp_path / "erp" / "stores.csv", f"{HEADER.replace('timezone', 'time_zone')}\n{LYON}\n")
    with pytest.raises(
        LandingFileError,
        match=r"required column\(s\) timezone missing.*unexpected column\(s\) time_zone: renamed\?",
    ):
        load(tmp_path, conn)


def test_a_latin1_export_is_read_with_its_accents(tmp_path, conn):
    write(tmp_path / "erp" / "stores.csv", f"{HEADER}\n{NIMES}\n", encoding="latin-1")
    result = load(tmp_path, conn)
    assert [f.encoding for f in result.files] == ["cp1252"]
    assert conn.execute("select store_name, city from raw.erp_stores").fetchall() == [("Nîmes Sud", "Nîmes")]


def test_a_windows_1252_export_keeps_its_euro_sign(tmp_path, conn):
    write(tmp_path / "erp" / "stores.csv", f"{HEADER}\n{NIMES.replace('Sud', 'Sud €')}\n", encoding="cp1252")
    load(tmp_path, conn)
    assert conn.execute("select store_name from raw.erp_stores").fetchall() == [("Nîmes Sud €",)]


def test_bytes_that_are_no_known_encoding_are_refused(tmp_path, conn):
    write(tmp_path / "erp" / "stores.csv", f"{HEADER}\n{LYON}\n".encode() + b"FR002,N\x81mes,store\n")
    with pytest.raises(
        LandingFileError, match=r"stores\.csv, line 3: neither UTF-8 nor Windows-1252/latin-1"
    ):
        load(tmp_path, conn)


def test_utf16_is_refused_clearly(tmp_path, conn):
    write(tmp_path / "erp" / "stores.csv", f"{HEADER}\n{LYON}\n", encoding="utf-16")
    with pytest.raises(LandingFileError, match=r"stores\.csv: UTF-16 encoded"):
        load(tmp_path, conn)


def test_a_file_delivered_twice_is_loaded_once(tmp_path, conn):
    header = "ticket_id;store_code;register_no;ticket_ts;loyalty_card_no;total_amount;currency"
    body = f"{header}\nT1;FR001;1;2026-10-01T10:00:00;;10.00;EUR\n"
    write(tmp_path / "erp" / "stores.csv", f"{HEADER}\n{LYON}\n")
    load(tmp_path, conn)
    write(tmp_path / "pos" / "receipts_202610.csv", body)
    write(tmp_path / "pos" / "receipts_202610_copy.csv", body)
    result = load(tmp_path, conn, CONTRACTS_BY_TABLE["pos_receipts"])
    assert [(f.file, f.duplicate_of) for f in result.files] == [
        ("pos/receipts_202610.csv", None),
        ("pos/receipts_202610_copy.csv", "pos/receipts_202610.csv"),
    ]
    assert conn.execute("select count(*) from raw.pos_receipts").fetchall() == [(1,)]
    audit = conn.execute(
        "select source_file, rows, duplicate_of from ops.landing_files where raw_table = 'pos_receipts' order by 1"
    ).fetchall()
    assert audit == [
        ("pos/receipts_202610.csv", 1, None),
        ("pos/receipts_202610_copy.csv", 0, "pos/receipts_202610.csv"),
    ]


def test_a_bad_file_among_good_ones_loads_nothing_of_the_source(tmp_path, conn):
    write(tmp_path / "erp" / "stores.csv", f"{HEADER}\n{LYON}\n")
    load(tmp_path, conn)
    write(tmp_path / "erp" / "stores.csv", f"{HEADER}\n{NIMES}\nFR003,Metz\n")
    with pytest.raises(LandingFileError, match="line 3"):
        load_source(conn, tmp_path, STORES, "run-2", LOADED_AT, DEMO, DEMO_RETAILER)
    assert conn.execute("select store_code, _load_id from raw.erp_stores").fetchall() == [("FR001", "run-1")]


def test_a_source_that_may_be_empty_loads_a_header_only_file(tmp_path, conn):
    erasures = CONTRACTS_BY_TABLE["consent_erasure_requests"]
    write(tmp_path / "consent" / "erasure_requests.csv", "request_id,email,phone,country_code,requested_at\n")
    result = load(tmp_path, conn, erasures)
    assert (result.rows_read, result.rows_accepted) == (0, 0)
    assert conn.execute("select count(*) from raw.consent_erasure_requests").fetchall() == [(0,)]


def test_a_nul_byte_far_into_the_file_names_its_line(tmp_path, conn):
    rows = "".join(
        f"FR{n:03d},Store {n},store,FR,Lyon,69003,Europe/Paris,EUR,2001-03-01,8500\n" for n in range(60_000)
    )
    write(tmp_path / "erp" / "stores.csv", f"{HEADER}\n{rows}".encode() + b"FR999,\x00\n")
    with pytest.raises(LandingFileError, match=r"stores\.csv, line 60002: NUL byte"):
        load(tmp_path, conn)
