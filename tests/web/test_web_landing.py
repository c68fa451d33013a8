"""The web analytics export lands like the other sources: gzip NDJSON read by DuckDB, a malformed
line quarantined with its file and line, a configured feed with no file yet an empty table."""

import gzip
from datetime import datetime

import duckdb
import pytest

from platform_assets.landing import loader
from platform_assets.landing.contracts import CONTRACTS_BY_TABLE
from platform_assets.landing.loader import LandingFileError, load_source, plan_sources
from platform_assets.lib.retailer import DEMO_RETAILER, RetailerConfigError, load_retailer
from platform_assets.quality.reconciliation import reconciliation_rows
from tests.web.files import event, write_day

DEMO = load_retailer(DEMO_RETAILER)
WEB = CONTRACTS_BY_TABLE["web_events"]
LOADED_AT = datetime(2026, 11, 1, 6, 0)


@pytest.fixture
def conn():
    with duckdb.connect() as c:
        yield c


def load(landing, conn):
    return load_source(conn, landing, WEB, "run-1", LOADED_AT, DEMO, DEMO_RETAILER)


def test_gzip_ndjson_is_read_with_line_numbers(tmp_path, conn):
    write_day(
        tmp_path,
        "2026-10-03",
        [
            event(1, "2026-10-03T08:00:00Z", "ck_a", "session_start", utm_source="google", utm_medium="cpc"),
            event(2, "2026-10-03T08:00:05Z", "ck_a", "product_view", category_id="D01C01", sku="10000001"),
        ],
    )
    result = load(tmp_path, conn)
    assert result.rows_read == 2 and result.rows_quarantined == 0
    rows = conn.execute(
        "select event_id, event_type, utm_medium, sku, _source_file, _row_number from raw.web_events order by 1"
    ).fetchall()
    assert rows == [
        ("WEB000000000001", "session_start", "cpc", None, "web/events_2026-10-03.ndjson.gz", 1),
        ("WEB000000000002", "product_view", None, "10000001", "web/events_2026-10-03.ndjson.gz", 2),
    ]


def test_a_malformed_line_is_quarantined_with_its_file_and_line(tmp_path, conn):
    events = [event(n, f"2026-10-03T08:00:0{n}Z", "ck_a", "page_view") for n in range(1, 5)]
    write_day(tmp_path, "2026-10-03", events, extra_lines={3: '{"event_id":"WEB0000000000', 5: "[1, 2]"})
    write_day(tmp_path, "2026-10-04", [event(9, "2026-10-04T09:00:00Z", "ck_b", "page_view")])
    result = load(tmp_path, conn)
    assert result.rows_read == 7 and result.rows_quarantined == 2
    assert result.quarantined_by_rule == {"malformed_json": 2}
    quarantined = conn.execute(
        "select _source_file, _row_number, quarantine_rule, event_id, _line from quarantine.web_events order by 2"
    ).fetchall()
    assert quarantined == [
        ("web/events_2026-10-03.ndjson.gz", 3, "malformed_json", None, '{"event_id":"WEB0000000000'),
        ("web/events_2026-10-03.ndjson.gz", 5, "malformed_json", None, "[1, 2]"),
    ]
    # the good lines keep their own line numbers around the bad ones
    assert conn.execute(
        "select _row_number from raw.web_events where _source_file like '%10-03%' order by 1"
    ).fetchall() == [(1,), (2,), (4,), (6,)]
    # nothing lost: read = accepted + quarantined, file by file
    assert [(f, r, a + q) for f, r, a, q, _ in reconciliation_rows(conn, "web_events", "run-1")] == [
        ("web/events_2026-10-03.ndjson.gz", 6, 6),
        ("web/events_2026-10-04.ndjson.gz", 1, 1),
    ]


def test_a_line_breaking_a_row_rule_is_quarantined_by_that_rule(tmp_path, conn):
    write_day(
        tmp_path,
        "2026-10-03",
        [event(1, "2026-10-03T08:00:00Z", "ck_a", "page_view"), event(2, "not a time", "ck_a", "page_view")],
    )
    load(tmp_path, conn)
    assert conn.execute("select _row_number, quarantine_rule from quarantine.web_events").fetchall() == [
        (2, "unparseable_date")
    ]


def test_a_truncated_gzip_file_is_refused_by_name(tmp_path, conn):
    path = write_day(tmp_path, "2026-10-03", [event(1, "2026-10-03T08:00:00Z", "ck_a", "page_view")])
    path.write_bytes(path.read_bytes()[:-12])
    with pytest.raises(LandingFileError, match=r"events_2026-10-03\.ndjson\.gz: not a complete gzip file"):
        load(tmp_path, conn)


def test_no_web_file_yet_is_an_empty_source_that_says_so(tmp_path, conn):
    """A feed switched on later: configured with ``when_no_files: empty``, no file yet."""
    web = DEMO.sources["web_events"].model_copy(update={"when_no_files": "empty"})
    later = DEMO.model_copy(update={"sources": {**DEMO.sources, "web_events": web}})
    result = load_source(conn, tmp_path, WEB, "run-1", LOADED_AT, later, DEMO_RETAILER)
    assert result.not_delivered.startswith("no file delivered: nothing matches 'web/events_*.ndjson.gz'")
    assert conn.execute("select count(*) from raw.web_events").fetchall() == [(0,)]


def test_a_windows_1252_export_is_read_with_its_accents(tmp_path, conn):
    """DuckDB refuses the bytes that are not UTF-8 (here far after the lines the light scan reads);
    the file's full scan recognises Windows-1252 and the source is read again from a UTF-8 copy."""
    events = [
        event(n, f"2026-10-03T08:{n // 60:02d}:{n % 60:02d}Z", "ck_a", "page_view") for n in range(1, 300)
    ]
    events.append(event(300, "2026-10-03T09:00:00Z", "ck_a", "search", search_query="x"))
    path = write_day(tmp_path, "2026-10-03", events)
    write_day(tmp_path, "2026-10-04", [event(301, "2026-10-04T08:00:00Z", "ck_b", "page_view")])
    text = gzip.decompress(path.read_bytes()).decode().replace('"x"', '"perceuse à percussion 18 V €"')
    path.write_bytes(gzip.compress(text.encode("cp1252")))
    result = load(tmp_path, conn)
    assert [(f.encoding, f.rows) for f in result.files] == [("cp1252", 300), ("utf-8", 1)]
    assert conn.execute(
        "select search_query from raw.web_events where event_id = 'WEB000000000300'"
    ).fetchall() == [("perceuse à percussion 18 V €",)]


def test_a_nul_byte_refuses_the_file_naming_its_line(tmp_path, conn):
    events = [event(n, f"2026-10-03T08:00:0{n}Z", "ck_a", "page_view") for n in (1, 2)]
    write_day(tmp_path, "2026-10-03", events, extra_lines={2: '{"event_id":"WEB\x00"}'})
    with pytest.raises(LandingFileError, match=r"events_2026-10-03\.ndjson\.gz, line 2: NUL byte"):
        load(tmp_path, conn)


def test_an_unknown_business_unit_stops_every_source_before_anything_is_written(tmp_path, conn):
    """The web export is read once, when planned; a unit the configuration does not know is found
    there, with its file and line, and the staged rows are dropped: raw is as it was."""
    write_day(tmp_path, "2026-10-03", [event(1, "2026-10-03T08:00:00Z", "ck_a", "page_view")])
    load(tmp_path, conn)
    write_day(
        tmp_path,
        "2026-10-04",
        [
            event(2, "2026-10-04T08:00:00Z", "ck_b", "page_view"),
            event(3, "2026-10-04T08:01:00Z", "ck_b", "page_view", country_code="XX"),
        ],
    )
    with pytest.raises(
        RetailerConfigError, match=r"events_2026-10-04\.ndjson\.gz, line 2: business unit 'XX'"
    ):
        plan_sources(conn, tmp_path, [WEB], DEMO, DEMO_RETAILER)
    assert conn.execute("select event_id from raw.web_events").fetchall() == [("WEB000000000001",)]
    assert (
        conn.execute("select table_name from duckdb_tables() where table_name like '_incoming%'").fetchall()
        == []
    )


def test_a_file_delivered_twice_is_read_once(tmp_path, conn):
    path = write_day(tmp_path, "2026-10-03", [event(1, "2026-10-03T08:00:00Z", "ck_a", "page_view")])
    (path.parent / "events_2026-10-03-resent.ndjson.gz").write_bytes(path.read_bytes())
    result = load(tmp_path, conn)
    assert [(f.file, f.rows, f.duplicate_of) for f in result.files] == [
        ("web/events_2026-10-03-resent.ndjson.gz", 1, None),
        ("web/events_2026-10-03.ndjson.gz", 0, "web/events_2026-10-03-resent.ndjson.gz"),
    ]
    assert conn.execute("select count(*) from raw.web_events").fetchall() == [(1,)]


def test_an_uncompressed_export_cut_short_is_refused(tmp_path, conn):
    """A plain NDJSON export must end with a line break (a gzip file is checked by its own end)."""
    plain = DEMO.sources["web_events"].model_copy(update={"files": "web/events_*.ndjson"})
    retailer = DEMO.model_copy(update={"sources": {**DEMO.sources, "web_events": plain}})
    folder = tmp_path / "web"
    folder.mkdir()
    (folder / "events_2026-10-03.ndjson").write_text(
        '{"event_id":"WEB000000000001","event_at":"2026-10-03T08:00:00Z"}\n{"event_id":"WEB0'
    )
    with pytest.raises(
        LandingFileError, match=r"events_2026-10-03\.ndjson, line 2: the file does not end with a line break"
    ):
        load_source(conn, tmp_path, WEB, "run-1", LOADED_AT, retailer, DEMO_RETAILER)


def test_a_load_that_fails_keeps_raw_as_it_was_and_drops_the_staged_rows(tmp_path, conn, monkeypatch):
    write_day(tmp_path, "2026-10-03", [event(1, "2026-10-03T08:00:00Z", "ck_a", "page_view")])
    load(tmp_path, conn)
    write_day(tmp_path, "2026-10-04", [event(2, "2026-10-04T08:00:00Z", "ck_b", "page_view")])

    def broken(*args, **kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(loader, "quarantine_rows", broken)
    with pytest.raises(RuntimeError, match="the disk is full"):
        load(tmp_path, conn)
    assert conn.execute("select event_id from raw.web_events").fetchall() == [("WEB000000000001",)]
    assert (
        conn.execute("select table_name from duckdb_tables() where table_name like '_incoming%'").fetchall()
        == []
    )
