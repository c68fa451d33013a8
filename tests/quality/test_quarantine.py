"""Each quarantine rule moves the rows that break it, with their original values, and nothing else."""

import pytest

from platform_assets.landing.contracts import CONTRACTS_BY_TABLE
from platform_assets.landing.loader import load_source
from platform_assets.lib.retailer import DEMO_RETAILER, load_retailer
from platform_assets.quality.reconciliation import quarantine_check, reconciliation_check
from platform_assets.quality.rules import RULES, load_order
from tests.quality.conftest import LINES, LOADED_AT, PRODUCTS, RECEIPTS, STORES, write

DEMO = load_retailer(DEMO_RETAILER)  # the demo files these tests write follow its layout


@pytest.fixture
def landing(tmp_path):
    write(
        tmp_path / "erp" / "stores.csv",
        STORES + "FR001,Lyon,store,FR,Lyon,69003,Europe/Paris,EUR,2001-03-01,8500\n",
    )
    write(tmp_path / "catalog" / "products.csv", PRODUCTS + "10000001,Paint,C01,Acme,standard,2020-01-01\n")
    write(
        tmp_path / "pos" / "receipts_202610.csv",
        RECEIPTS + "T1;FR001;1;2026-10-01T10:00:00;;20.00;EUR\n"  # clean
        "T2;XX999;1;2026-10-01T11:00:00;;5.00;EUR\n"  # unknown store
        "T3;FR001;1;2031-01-01T09:00:00;;5.00;EUR\n"  # in the future
        "T4;FR001;1;01/10/2026 12:00;;5.00;EUR\n"  # unparseable timestamp
        "T5;FR001;x;2026-10-01T13:00:00;;5.00;EUR\n",  # unparseable number
    )
    write(
        tmp_path / "pos" / "receipt_lines_202610.csv",
        LINES + "T1;1;10000001;2;5.00;0.00;10.00;N\n"  # clean
        "T1;2;10000001;-1;5.00;0.00;-5.00;Y\n"  # clean return
        "T1;3;;1;5.00;0.00;5.00;N\n"  # missing sku
        "T1;4;10000001;2,5;5.00;0.00;12.50;N\n"  # unparseable quantity
        "T1;5;10000001;1;5.00;0.00;5.00;Y\n"  # a return with positive signs
        "T1;6;99999999;1;5.00;0.00;5.00;N\n"  # unknown product
        "T2;1;10000001;1;5.00;0.00;5.00;N\n"  # its receipt was quarantined
        "T9;1;10000001;1;5.00;0.00;5.00;N\n"  # no such receipt
        "T1;1;10000001;2;5.00;0.00;10.00;N\n",  # exact copy of the first line
    )
    return tmp_path


def load_all(conn, landing, tables=("erp_stores", "catalog_products", "pos_receipts", "pos_receipt_lines")):
    return {
        t: load_source(conn, landing, CONTRACTS_BY_TABLE[t], "run-1", LOADED_AT, DEMO, DEMO_RETAILER)
        for t in load_order(list(tables))
    }


def quarantined(conn, table):
    return conn.execute(
        f"select _row_number, quarantine_rule from quarantine.{table} order by _row_number"
    ).fetchall()


def test_reference_tables_load_before_the_tables_that_use_them():
    order = load_order(
        ["pos_receipt_lines", "pos_receipts", "erp_stores", "catalog_products", "crm_contacts"]
    )
    assert order.index("erp_stores") < order.index("pos_receipts") < order.index("pos_receipt_lines")
    assert order.index("catalog_products") < order.index("pos_receipt_lines")


def test_each_receipt_rule_quarantines_its_row(conn, landing):
    load_all(conn, landing)
    assert quarantined(conn, "pos_receipts") == [
        (2, "unknown_store"),
        (3, "future_date"),
        (4, "unparseable_date"),
        (5, "unparseable_number"),
    ]
    assert conn.execute("select ticket_id from raw.pos_receipts").fetchall() == [("T1",)]


def test_each_line_rule_quarantines_its_row(conn, landing):
    loads = load_all(conn, landing)
    assert quarantined(conn, "pos_receipt_lines") == [
        (3, "missing_required"),
        (4, "unparseable_number"),
        (5, "sign_inconsistent"),
        (6, "unknown_product"),
        (7, "unknown_parent"),
        (8, "unknown_parent"),
        (9, "duplicate_row"),
    ]
    assert conn.execute("select line_no from raw.pos_receipt_lines order by 1").fetchall() == [("1",), ("2",)]
    assert loads["pos_receipt_lines"].quarantined_by_rule == {
        "missing_required": 1,
        "unparseable_number": 1,
        "sign_inconsistent": 1,
        "unknown_product": 1,
        "unknown_parent": 2,
        "duplicate_row": 1,
    }


def test_the_quarantined_rows_are_counted_per_source_business_unit_and_rule(conn, landing):
    """ops.quarantine_by_rule (published for the cockpits): the load's counts, with the row's business
    unit where the source has one (erp_stores) and none where it has not (receipts, lines)."""
    with open(landing / "erp" / "stores.csv", "a") as f:
        f.write("FR002,Paris,store,FR,Paris,75001,Europe/Paris,EUR,someday,900\n")  # unparseable date
    loads = load_all(conn, landing)
    counts = conn.execute(
        "select raw_table, business_unit, quarantine_rule, rows from ops.quarantine_by_rule "
        "where load_id = 'run-1' order by all"
    ).fetchall()
    expected = sorted(
        (table, "FR" if table == "erp_stores" else None, rule, n)
        for table, load in loads.items()
        for rule, n in load.quarantined_by_rule.items()
    )
    assert counts == expected
    assert ("erp_stores", "FR", "unparseable_date", 1) in counts
    assert ("pos_receipt_lines", None, "unknown_parent", 2) in counts
    load_all(conn, landing)  # the same load again: replaced, not added
    assert conn.execute("select sum(rows) from ops.quarantine_by_rule").fetchall() == [
        (sum(n for *_, n in expected),)
    ]


def test_quarantine_keeps_original_values_and_every_rule_broken(conn, landing):
    load_all(conn, landing)
    [(qty, amount, rule, rules, source)] = conn.execute(
        "select qty, line_amount, quarantine_rule, quarantine_rules, _source_file "
        "from quarantine.pos_receipt_lines where _row_number = 4"
    ).fetchall()
    assert (qty, amount, rule, source) == (
        "2,5",
        "12.50",
        "unparseable_number",
        "pos/receipt_lines_202610.csv",
    )
    assert rules == ["unparseable_number"]


def test_a_row_breaking_several_rules_is_filed_under_the_first(conn, tmp_path):
    write(
        tmp_path / "erp" / "stores.csv",
        STORES + "FR001,Lyon,store,FR,Lyon,69003,Europe/Paris,EUR,2001-03-01,8500\n",
    )
    write(tmp_path / "pos" / "receipts_202610.csv", RECEIPTS + "T1;XX999;x;2031-01-01T00:00:00;;5.00;EUR\n")
    load_all(conn, tmp_path, ("erp_stores", "pos_receipts"))
    [(rule, rules)] = conn.execute(
        "select quarantine_rule, quarantine_rules from quarantine.pos_receipts"
    ).fetchall()
    assert rule == "unparseable_number"
    assert rules == ["unparseable_number", "future_date", "implausible_date", "unknown_store"]
    assert rules == sorted(rules, key=RULES.index)


def test_dates_are_read_with_their_configured_format(conn, tmp_path):
    header = "contact_id,salutation,first_name,last_name,email,phone,street,postcode,city,country_code,birth_date,created_at,updated_at,origin\n"
    write(
        tmp_path / "crm" / "contacts.csv",
        header + "C00000001,,Ann,Lee,,,,,,FR,17/09/1972,2023-11-01 07:27:44,,store\n"
        "C00000002,,Bob,Lee,,,,,,FR,17/09/1972,01/11/2023 07:27,,store\n"  # neither demo.yml's format nor ISO
        ",,Cid,Lee,,,,,,FR,,2023-11-01 07:27:44,,store\n",  # no contact id
    )
    load_all(conn, tmp_path, ("crm_contacts",))
    assert quarantined(conn, "crm_contacts") == [(2, "unparseable_date"), (3, "missing_required")]


def test_the_future_is_judged_from_the_load_time_with_a_day_of_tolerance(conn, tmp_path):
    write(
        tmp_path / "erp" / "stores.csv",
        STORES + "FR001,Lyon,store,FR,Lyon,69003,Europe/Paris,EUR,2001-03-01,8500\n",
    )
    write(
        tmp_path / "pos" / "receipts_202611.csv",
        RECEIPTS + "T1;FR001;1;2026-11-01T20:00:00;;5.00;EUR\n"  # later the same day, store time
        "T2;FR001;1;2026-11-02T07:00:00;;5.00;EUR\n",  # more than a day after the load
    )
    load_all(conn, tmp_path, ("erp_stores", "pos_receipts"))
    assert quarantined(conn, "pos_receipts") == [(2, "future_date")]


def test_web_return_lines_must_have_negative_quantities(conn, tmp_path):
    write(tmp_path / "catalog" / "products.csv", PRODUCTS + "10000001,Paint,C01,Acme,standard,2020-01-01\n")
    write(
        tmp_path / "ecommerce" / "orders_202610.csv",
        "order_id,account_id,customer_email,ordered_at,country_code,order_status,delivery_first_name,"
        "delivery_last_name,delivery_street,delivery_postcode,delivery_city,delivery_phone,currency,order_total,"
        "shipping_fee\nW1,,a@b.fr,2026-10-01T10:00:00Z,FR,completed,,,,,,,EUR,10.00,0.00\n",
    )
    write(
        tmp_path / "ecommerce" / "order_lines_202610.csv",
        "order_id,line_number,sku,quantity,unit_price,discount,line_type,line_at\n"
        "W1,1,10000001,2,5.00,0,sale,2026-10-01T10:00:00Z\n"
        "W1,2,10000001,-1,5.00,0,return,2026-10-05T10:00:00Z\n"
        "W1,3,10000001,1,5.00,0,return,2026-10-05T10:00:00Z\n"
        "W1,4,10000001,-1,5.00,0,sale,2026-10-05T10:00:00Z\n",
    )
    load_all(conn, tmp_path, ("catalog_products", "ecommerce_orders", "ecommerce_order_lines"))
    assert quarantined(conn, "ecommerce_order_lines") == [(3, "sign_inconsistent"), (4, "sign_inconsistent")]


def test_lines_need_their_reference_tables_loaded(conn, landing):
    with pytest.raises(RuntimeError, match=r"raw.pos_receipt_lines is checked against raw.catalog_products"):
        load_source(
            conn, landing, CONTRACTS_BY_TABLE["pos_receipt_lines"], "run-1", LOADED_AT, DEMO, DEMO_RETAILER
        )


def test_reconciliation_accounts_for_every_row(conn, landing):
    load_all(conn, landing)
    check = reconciliation_check(conn, "pos_receipt_lines", "run-1")
    assert check.passed
    assert (check.metadata["rows_read"].value, check.metadata["rows_accepted"].value) == (9, 2)
    assert check.metadata["rows_quarantined"].value == 7
    warning = quarantine_check(conn, "pos_receipt_lines", "run-1")
    assert not warning.passed and warning.severity.value == "WARN"
    assert warning.metadata["by_rule"].value["unknown_parent"] == 2


def test_reconciliation_fails_when_a_row_goes_missing(conn, landing):
    load_all(conn, landing)
    conn.execute("delete from raw.pos_receipt_lines where line_no = '2'")  # a row lost after the load
    check = reconciliation_check(conn, "pos_receipt_lines", "run-1")
    assert not check.passed
    assert check.metadata["unaccounted_rows"].value == 1


def test_clean_rows_are_never_quarantined(conn, tmp_path):
    write(
        tmp_path / "erp" / "stores.csv",
        STORES + "FR001,Lyon,store,FR,Lyon,69003,Europe/Paris,EUR,2001-03-01,\n",
    )
    load_all(conn, tmp_path, ("erp_stores",))
    assert quarantined(conn, "erp_stores") == []
    assert reconciliation_check(conn, "erp_stores", "run-1").passed
