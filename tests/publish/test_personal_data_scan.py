"""The analyst file's last line of defence: values shaped like e-mails or phones, in any column."""

import duckdb
import pytest

from platform_assets.publish.builder import (
    PersonalDataFoundError,
    personal_data_counts,
    scan_for_personal_data,
)
from platform_assets.publish.docs import ColumnEntry


def _table(values: dict[str, list[str | None]]) -> tuple[duckdb.DuckDBPyConnection, list[ColumnEntry]]:
    conn = duckdb.connect()
    conn.execute("create schema sales")
    columns = list(values)
    rows = list(zip(*values.values(), strict=True))
    conn.execute(f"create table sales.t ({', '.join(f'{c} varchar' for c in columns)})")
    conn.executemany(f"insert into sales.t values ({', '.join('?' * len(columns))})", rows)
    return conn, [ColumnEntry("sales", "t", c, "VARCHAR", None, "keep") for c in columns]


def _scan(values: dict[str, list[str | None]]) -> None:
    conn, entries = _table(values)
    scan_for_personal_data(conn, "memory", entries)


def test_ids_codes_and_near_misses_pass():
    conn, entries = _table(
        {
            "order_id": ["pos:1:2", "web:9", None],
            # an '@' or a '+' alone is not an e-mail or a phone: the exact pattern decides
            "note": ["meet @ store", "+33", "a@b"],
        }
    )
    # the prefilter flags the near misses, the exact patterns clear them; ids are not even examined
    assert personal_data_counts(conn, "memory", entries) == {"sales.t.note": 0}
    scan_for_personal_data(conn, "memory", entries)  # and the publication goes on


@pytest.mark.parametrize(
    ("value", "kind"),
    [("jean.dupont@example.fr", "e-mail"), ("+33612345678", "phone")],
)
def test_an_identifier_in_an_innocent_column_stops_publication_naming_it(value, kind):
    with pytest.raises(PersonalDataFoundError, match=r"sales\.t\.comment \(1 values\)"):
        _scan({"order_id": ["pos:1:2", "pos:1:3"], "comment": ["ok", value]})
