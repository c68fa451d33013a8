"""A table an asset leaves empty on purpose says why (its comment); gates and as-of guards accept it,
and only it: an empty table without a reason still fails."""

from datetime import date

import dagster as dg
import duckdb
import pytest

from platform_assets.lib.gates import gate
from platform_assets.lib.tables import empty_by_design, replace_with_empty, require_as_of

REF = date(1998, 7, 1)
COLUMNS = (("customer_id", "varchar", "id"), ("reference_date", "date", "as of"), ("score", "double", "s"))


class _Warehouse:
    def __init__(self, conn):
        self.conn = conn

    def connect(self):
        conn = self.conn

        class _Same:
            def __enter__(self):
                return conn

            def __exit__(self, *exc):
                return False

        return _Same()


@pytest.fixture
def conn():
    with duckdb.connect() as c:
        c.execute("create schema scores")
        yield c


def test_an_empty_table_with_its_reason_passes_the_gate_and_the_as_of_guard(conn):
    rows = replace_with_empty(conn, "scores.s", COLUMNS, "needs the catalogue: not delivered")
    assert rows == 0
    assert conn.execute("describe scores.s").fetchall()[2][:2] == ("score", "DOUBLE")
    assert empty_by_design(conn, "scores.s") == "Empty by design: needs the catalogue: not delivered"
    extra = {"must_be_zero": "select 1"}  # a comparison with other tables, moot for an empty table
    result = gate(_Warehouse(conn), "scores.s", {"null_id": "customer_id is null"}, extra)
    assert result.passed and result.severity == dg.AssetCheckSeverity.ERROR
    assert result.description == "Empty by design: needs the catalogue: not delivered"
    require_as_of(conn, "scores.s", REF)


def test_an_empty_table_without_a_reason_still_fails(conn):
    conn.execute("create table scores.s (customer_id varchar, reference_date date)")
    result = gate(_Warehouse(conn), "scores.s", {"null_id": "customer_id is null"})
    assert not result.passed and result.description == "scores.s is empty"
    with pytest.raises(ValueError, match="is as of empty"):
        require_as_of(conn, "scores.s", REF)


def test_rows_written_later_drop_the_reason(conn):
    replace_with_empty(conn, "scores.s", COLUMNS, "not delivered")
    conn.execute(
        "create or replace table scores.s as select 'c1' as customer_id, date '1998-07-01' as reference_date"
    )
    assert empty_by_design(conn, "scores.s") is None
