"""An expression may use ``ordinality``, the row's number in its file: an id for rows that have none
(the CDNOW log repeats identical orders)."""

import duckdb
import pytest

from tests.landing.test_configured_sources import CDNOW_FILE, CDNOW_UNITS, config, load, write


@pytest.fixture
def conn():
    with duckdb.connect() as c:
        yield c


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
