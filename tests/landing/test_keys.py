"""The contract's primary key is checked on every row of the raw table, in its contract type."""

import duckdb
import pytest

from platform_assets.landing.contracts import CONTRACTS_BY_TABLE
from platform_assets.landing.keys import primary_key_check
from platform_assets.landing.loader import load_source
from platform_assets.lib.retailer import DEMO_RETAILER, load_retailer
from tests.quality.conftest import LINES, LOADED_AT, PRODUCTS, RECEIPTS, STORES, write

DEMO = load_retailer(DEMO_RETAILER)  # the demo files these tests write follow its layout


@pytest.fixture
def conn():
    with duckdb.connect() as c:
        yield c


def _load(conn, landing, lines: str):
    write(
        landing / "erp" / "stores.csv",
        STORES + "FR001,Lyon,store,FR,Lyon,69003,Europe/Paris,EUR,2001-03-01,1\n",
    )
    write(landing / "catalog" / "products.csv", PRODUCTS + "10000001,Paint,C01,Acme,standard,2020-01-01\n")
    write(landing / "pos" / "receipts_202610.csv", RECEIPTS + "T1;FR001;1;2026-10-01T10:00:00;;20.00;EUR\n")
    write(landing / "pos" / "receipt_lines_202610.csv", LINES + lines)
    for table in ("erp_stores", "catalog_products", "pos_receipts", "pos_receipt_lines"):
        load_source(conn, landing, CONTRACTS_BY_TABLE[table], "run-1", LOADED_AT, DEMO, DEMO_RETAILER)
    return primary_key_check(conn, CONTRACTS_BY_TABLE["pos_receipt_lines"])


def test_distinct_keys_pass(tmp_path, conn):
    check = _load(conn, tmp_path, "T1;1;10000001;2;5.00;0.00;10.00;N\nT1;2;10000001;1;5.00;0.00;5.00;N\n")
    assert check.passed and check.metadata["duplicate_key"].value == 0


def test_a_repeated_key_with_other_values_fails_the_load(tmp_path, conn):
    # not an exact copy (the quarantine's duplicate_row keeps it): the same line number twice,
    # written '2' and '02' — the same integer in the contract's type
    check = _load(conn, tmp_path, "T1;2;10000001;2;5.00;0.00;10.00;N\nT1;02;10000001;1;5.00;0.00;5.00;N\n")
    assert not check.passed
    assert check.metadata["duplicate_key"].value == 2 and check.metadata["null_key"].value == 0
    assert "ticket_id, line_no" in check.description
