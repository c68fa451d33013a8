"""Quarantine with a limit: above the retailer's max_quarantined_share (per file and per load) the
quarantine check fails with ERROR, which blocks everything downstream and the publication, naming the
file and its main rule; a null marker in an optional column empties the field instead."""

import dagster as dg

from platform_assets import landing, publish
from platform_assets.landing.contracts import CONTRACTS_BY_TABLE
from platform_assets.landing.loader import load_source
from platform_assets.lib.resources import resources_from_env
from platform_assets.lib.retailer import parse_retailer
from platform_assets.lib.settings import REFERENCE_DATE_TAG
from platform_assets.quality.reconciliation import quarantine_check
from tests.quality.conftest import LOADED_AT, RECEIPTS, write

RETAILER = """
name: Test retailer
business_units:
  - {code: FR, name: France, country: FR, currency: EUR, time_zone: Europe/Paris, language: fr}
dates: {earliest: 2000-01-01, latest: 2030-12-31}
quality: {max_quarantined_share: 0.05}
sources:
  crm_contacts: {files: crm/contacts.csv}
  pos_receipts: {files: pos/receipts_*.csv, delimiter: ";"%s}
  pos_receipt_lines: {files: pos/receipt_lines_*.csv, delimiter: ";"}
  ecommerce_orders: {files: ecommerce/orders_*.csv}
"""
CONTACTS = "contact_id,first_name,last_name,email,country_code,created_at\nC1,Ann,Lee,a@b.fr,FR,2024-01-01T00:00:00Z\n"
LINES = "ticket_id;line_no;sku;qty;unit_price;discount_amount;line_amount;is_return\n"


def receipts(day: int, n: int, amount: str) -> str:
    return "".join(f"T{day}-{i};FR001;1;2026-10-{day:02d}T10:00:00;;{amount};EUR\n" for i in range(n))


def landing_with(tmp_path, september: str, october: str):
    write(tmp_path / "crm" / "contacts.csv", CONTACTS)
    write(tmp_path / "pos" / "receipts_202609.csv", RECEIPTS + september)
    write(tmp_path / "pos" / "receipts_202610.csv", RECEIPTS + october)
    write(tmp_path / "pos" / "receipt_lines_202610.csv", LINES + "T1-0;1;10000001;1;485.95;0.00;485.95;N\n")
    write(tmp_path / "ecommerce" / "orders_202610.csv", ORDERS)
    return tmp_path


def load(conn, landing_dir, table, source_limit=""):
    config = parse_retailer(RETAILER % source_limit, "retailer.yml")
    load_source(conn, landing_dir, CONTRACTS_BY_TABLE[table], "run-1", LOADED_AT, config, "retailer.yml")
    return config


def test_a_file_exported_with_decimal_commas_fails_the_check_naming_file_and_rule(conn, tmp_path):
    landing_dir = landing_with(tmp_path, receipts(1, 20, "485.95"), receipts(2, 10, "485,95"))
    config = load(conn, landing_dir, "pos_receipts")
    check = quarantine_check(conn, "pos_receipts", "run-1", config.max_quarantined_share("pos_receipts"))
    assert not check.passed and check.severity == dg.AssetCheckSeverity.ERROR
    assert "pos/receipts_202610.csv: 10 of 10 rows (100.0%), mostly unparseable_number" in check.description
    assert "the whole load: 10 of 30 rows (33.3%)" in check.description
    assert "pos/receipts_202609.csv" not in check.description


def test_below_the_limit_or_under_a_sources_own_limit_it_only_warns(conn, tmp_path):
    october = receipts(2, 39, "485.95") + receipts(3, 1, "485,95")  # 1 of 40 rows: 2.5 %
    landing_dir = landing_with(tmp_path, receipts(1, 20, "485.95"), october)
    config = load(conn, landing_dir, "pos_receipts")
    check = quarantine_check(conn, "pos_receipts", "run-1", config.max_quarantined_share("pos_receipts"))
    assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
    assert check.description == "1 row(s) quarantined in quarantine.pos_receipts (within the 5.0% limit)"
    landing_dir = landing_with(tmp_path, receipts(1, 20, "485.95"), receipts(2, 10, "485,95"))
    config = load(conn, landing_dir, "pos_receipts", ", max_quarantined_share: 1.0")
    check = quarantine_check(conn, "pos_receipts", "run-1", config.max_quarantined_share("pos_receipts"))
    assert check.severity == dg.AssetCheckSeverity.WARN
    assert "within the 100.0% limit" in check.description


ORDERS = (
    "order_id,account_id,customer_email,ordered_at,country_code,order_status,currency,order_total,shipping_fee\n"
    "W1,,a@b.fr,2026-10-01T10:00:00Z,FR,completed,EUR,20.00,NULL\n"
    "W2,,a@b.fr,2026-10-01T10:00:00Z,FR,completed,EUR,20.00,N/A\n"
    "W3,,a@b.fr,2026-10-01T10:00:00Z,FR,completed,EUR,20.00,-\n"
    "W4,,a@b.fr,2026-10-01T10:00:00Z,FR,completed,EUR,20.00,4.90\n"
    "NULL,,a@b.fr,2026-10-01T10:00:00Z,FR,completed,EUR,20.00,4.90\n"  # a marker as the key: missing
)


def test_a_null_marker_in_an_optional_column_keeps_the_row_with_the_field_empty(conn, tmp_path):
    landing_dir = landing_with(tmp_path, "", "")
    load(conn, landing_dir, "ecommerce_orders")
    assert conn.execute("select order_id, shipping_fee from raw.ecommerce_orders order by 1").fetchall() == [
        ("W1", None),
        ("W2", None),
        ("W3", None),
        ("W4", "4.90"),
    ]
    assert conn.execute("select order_id, quarantine_rule from quarantine.ecommerce_orders").fetchall() == [
        ("NULL", "missing_required")
    ]


def test_a_fully_quarantined_file_blocks_the_publication_and_names_it(tmp_path, monkeypatch):
    landing_dir = landing_with(tmp_path / "landing", receipts(1, 20, "485.95"), receipts(2, 10, "485,95"))
    write(landing_dir / "ecommerce" / "orders_202610.csv", "\n".join(ORDERS.splitlines()[:5]) + "\n")
    config = tmp_path / "retailer.yml"
    config.write_text(RETAILER % "", encoding="utf-8")
    monkeypatch.setenv("CDP_LANDING_DIR", str(landing_dir))
    monkeypatch.setenv("CDP_DUCKDB_PATH", str(tmp_path / "cdp.duckdb"))
    monkeypatch.setenv("CDP_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CDP_RETAILER_CONFIG", str(config))
    result = dg.materialize(
        [*landing.defs.assets, *publish.defs_for(landing.defs).assets],
        resources=resources_from_env(),
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
        tags={REFERENCE_DATE_TAG: "2026-11-01"},
    )
    [failed] = [
        e.event_specific_data
        for e in result.all_events
        if e.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION
        and not e.event_specific_data.passed
        and e.event_specific_data.severity == dg.AssetCheckSeverity.ERROR
    ]
    assert failed.check_name == "quarantine" and failed.asset_key == dg.AssetKey(["raw", "pos_receipts"])
    assert "pos/receipts_202610.csv" in failed.description and "unparseable_number" in failed.description
    # the publication did not fail: it never ran, blocked by the check
    assert "ops__publication_log" not in {e.step_key for e in result.all_events if e.is_step_failure}
    published = {m.asset_key for m in result.get_asset_materialization_events()}
    assert dg.AssetKey(["ops", "publication_log"]) not in published
    assert not (tmp_path / "published" / "analyst.duckdb").exists()
