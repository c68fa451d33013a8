"""The retailer configuration: the demo's file validates, and each kind of mistake names its line and key."""

from pathlib import Path

import pytest
import yaml

from platform_assets.lib.retailer import DEMO_RETAILER, RETAILERS_DIR, RetailerConfigError, parse_retailer

DEMO_TEXT = DEMO_RETAILER.read_text(encoding="utf-8")


def _line_of(text: str, fragment: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), start=1) if fragment in line)


@pytest.mark.parametrize("path", sorted(RETAILERS_DIR.glob("*.yml")), ids=lambda p: p.name)
def test_shipped_configurations_validate(path: Path):
    config = parse_retailer(path.read_text(encoding="utf-8"), str(path))
    assert config.business_units
    assert all(config.units_by_code[u.code] is u for u in config.business_units)


def test_demo_configuration_describes_the_demo_retailer():
    config = parse_retailer(DEMO_TEXT, "demo.yml")
    assert [u.code for u in config.business_units] == ["FR", "PL", "GB"]
    assert config.currencies == ("EUR", "GBP", "PLN")
    assert config.units_by_code["GB"].default_phone_region == "GB"
    assert config.delivers("loyalty_cards") and not config.delivers("web_sessions")


def _error(text: str) -> str:
    with pytest.raises(RetailerConfigError) as raised:
        parse_retailer(text, "retailer.yml")
    return str(raised.value)


def test_bad_currency_names_line_and_key():
    bad = DEMO_TEXT.replace("currency: PLN", "currency: zloty")
    message = _error(bad)
    assert f"retailer.yml: line {_line_of(bad, 'zloty')}, business_units.1.currency" in message


def test_unknown_time_zone_is_refused():
    message = _error(DEMO_TEXT.replace("Europe/Warsaw", "Europe/Warszawa"))
    assert "business_units.1.time_zone: unknown IANA time zone 'Europe/Warszawa'" in message


def test_repeated_business_unit_is_refused():
    bad = DEMO_TEXT.replace("{code: PL,", "{code: FR,")
    assert "business unit code(s) ['FR'] appear more than once" in _error(bad)


def test_unknown_source_names_its_line():
    bad = DEMO_TEXT.replace("  loyalty_cards:", "  loyalty_card:")
    message = _error(bad)
    assert (
        f"line {_line_of(bad, 'loyalty_card:')}, sources.loyalty_card: unknown source 'loyalty_card'"
        in message
    )


def test_mapping_to_a_column_the_contract_lacks_is_refused():
    bad = DEMO_TEXT.replace(
        "    files: loyalty/cards.csv", "    files: loyalty/cards.csv\n    columns: {card_no: NUMBER}"
    )
    message = _error(bad)
    assert f"line {_line_of(bad, 'card_no')}, sources.loyalty_cards.columns.card_no" in message
    assert "'card_no' is not a column of loyalty_cards" in message


def test_a_mapping_gives_exactly_one_origin():
    bad = DEMO_TEXT.replace(
        "    files: loyalty/cards.csv",
        "    files: loyalty/cards.csv\n    columns: {card_number: {column: a, value: b}}",
    )
    message = _error(bad)
    assert (
        "sources.loyalty_cards.columns.card_number: give exactly one of column, expression or value"
        in message
    )
    assert "valid string" not in message  # the union's other branch is noise


def _without(*tables: str) -> str:
    document = yaml.safe_load(DEMO_TEXT)
    for table in tables:
        del document["sources"][table]
    return yaml.safe_dump(document)


def test_customers_and_sales_are_required():
    assert "no customer source" in _error(_without("crm_contacts", "ecommerce_accounts"))
    assert "no sales source" in _error(_without("pos_receipt_lines", "ecommerce_orders"))
    assert parse_retailer(_without("pos_receipts", "pos_receipt_lines", "crm_contacts"), "web-only.yml")


def test_date_window_must_be_ordered():
    bad = DEMO_TEXT.replace("latest: 2030-12-31", "latest: 1999-12-31")
    assert "dates: latest must come after earliest" in _error(bad)


def test_header_less_file_needs_its_column_names():
    bad = DEMO_TEXT.replace("    files: erp/stores.csv", "    files: erp/stores.csv\n    header: false")
    assert "sources.erp_stores: a file without a header needs file_columns" in _error(bad)


def test_not_yaml_is_refused_with_the_file_name():
    assert _error("name: [unclosed").startswith("retailer.yml: not valid YAML")


def test_the_readme_command_checks_a_configuration(tmp_path):
    """`python -m platform_assets.lib.retailer FILE` (README, "Your own data") says what it delivers,
    or exits non-zero with the file, line and key at fault."""
    import subprocess
    import sys

    good = subprocess.run(
        [sys.executable, "-m", "platform_assets.lib.retailer", str(DEMO_RETAILER)],
        capture_output=True,
        text=True,
    )
    assert good.returncode == 0, good.stderr
    assert (
        "business units: FR (EUR, Europe/Paris), PL (PLN, Europe/Warsaw), GB (GBP, Europe/London)"
        in good.stdout
    )
    assert "not delivered (0): none" in good.stdout
    bad_file = tmp_path / "retailer.yml"
    bad_file.write_text(DEMO_TEXT.replace("currency: GBP", "currency: pounds"), encoding="utf-8")
    bad = subprocess.run(
        [sys.executable, "-m", "platform_assets.lib.retailer", str(bad_file)], capture_output=True, text=True
    )
    assert bad.returncode == 1
    assert (
        f"{bad_file}: line {_line_of(bad_file.read_text(), 'pounds')}, business_units.2.currency"
        in bad.stderr
    )


def test_an_id_format_must_be_a_regular_expression_duckdb_reads():
    bad = DEMO_TEXT.replace("pattern: 'C\\d{8}'", "pattern: 'C(?=\\d)'")
    message = _error(bad)
    assert f"line {_line_of(bad, 'C(?=')}, sources.crm_contacts.columns.contact_id.pattern" in message
    assert "not a regular expression DuckDB reads" in message


def test_an_id_format_is_for_key_or_required_columns():
    bad = DEMO_TEXT.replace(
        "      contact_id: {column: contact_id,",
        "      email: {column: email, pattern: '.+@.+'}\n      contact_id: {column: contact_id,",
    )
    message = _error(bad)
    assert "a pattern is for key or required columns; 'email' of crm_contacts is optional" in message


def test_life_moments_are_the_three_moments_each_with_categories():
    assert parse_retailer(DEMO_TEXT, "demo.yml").life_moments.new_garden.departments == ("Garden & outdoor",)
    unknown = DEMO_TEXT.replace("  new_garden:\n    signal_categories", "  new_baby:\n    signal_categories")
    message = _error(unknown)
    assert f"line {_line_of(unknown, 'new_baby:')}, life_moments.new_baby" in message
    empty = DEMO_TEXT.replace('departments: ["Garden & outdoor"]', "departments: []")
    assert "life_moments.new_garden.departments" in _error(empty)
    without = DEMO_TEXT[: DEMO_TEXT.index("# Life moments")] + DEMO_TEXT[DEMO_TEXT.index("# The sources") :]
    assert parse_retailer(without, "retailer.yml").life_moments is None


def test_a_business_unit_sets_its_own_churn_and_clv_settings_the_others_keep_the_groups():
    text = DEMO_TEXT.replace(
        "  band_cutoffs: [26, 51, 76]\n",
        "  band_cutoffs: [26, 51, 76]\n  by_business_unit:\n    PL: {horizon_days: 90, band_cutoffs: [20, 45, 70]}\n",
    ).replace("  time_unit: week\n", "  time_unit: week\n  by_business_unit: {GB: {horizon: 26}}\n")
    config = parse_retailer(text, "retailer.yml")
    pl_, fr = config.churn.of("PL"), config.churn.of("FR")
    assert (pl_.horizon_days, pl_.band_cutoffs, pl_.horizon_bounds_days) == (90, (20, 45, 70), (60, 365))
    assert (fr.horizon_days, fr.band_cutoffs) == (None, (26, 51, 76))
    assert (config.clv.horizon_of("GB"), config.clv.horizon_of("FR")) == (26, 365 / 7)


def test_score_settings_of_an_unknown_unit_or_out_of_order_bands_are_refused():
    unknown = DEMO_TEXT.replace(
        "  time_unit: week\n", "  time_unit: week\n  by_business_unit: {ES: {horizon: 26}}\n"
    )
    assert (
        f"line {_line_of(unknown, 'ES:')}, clv.by_business_unit.ES: 'ES' is not one of the business units"
        in _error(unknown)
    )
    disordered = DEMO_TEXT.replace("  band_cutoffs: [26, 51, 76]", "  band_cutoffs: [51, 26, 76]")
    assert "churn.band_cutoffs: [51, 26, 76]: need 0 < attention < moderate risk < high risk" in _error(
        disordered
    )
    bad_unit = DEMO_TEXT.replace(
        "  band_cutoffs: [26, 51, 76]\n",
        "  band_cutoffs: [26, 51, 76]\n  by_business_unit: {PL: {horizon: 90}}\n",
    )
    assert "churn: by_business_unit.PL: horizon: Extra inputs are not permitted" in _error(bad_unit)
    bounds = DEMO_TEXT.replace("horizon_bounds_days: [60, 365]", "horizon_bounds_days: [365, 60]")
    assert "churn.horizon_bounds_days: [365, 60]: need 1 <= shortest < longest" in _error(bounds)
