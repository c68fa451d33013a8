"""The business units and date window come from the retailer's configuration, not from code."""

from datetime import date

import duckdb

from platform_assets.features.indicators import INDICATORS, absent_indicators
from platform_assets.features.profile import column_comments
from platform_assets.lib.retailer import DEMO_RETAILER, load_retailer, parse_retailer
from platform_assets.referential.business_units import (
    BOT_RULE_TABLE,
    DATES_TABLE,
    UNITS_TABLE,
    phone_plan,
    write_referential,
)

FOUR_UNITS = (
    DEMO_RETAILER.read_text(encoding="utf-8")
    .replace(
        "business_units:\n",
        "business_units:\n  - {code: ES, name: Spain, country: ES, currency: EUR, time_zone: Europe/Madrid, "
        "language: es}\n",
    )
    .replace("latest: 2030-12-31", "latest: 2027-06-30")
    .replace("max_events_per_cookie_day: 300", "max_events_per_cookie_day: 120")
)


def test_phone_plans_come_from_phonenumbers():
    # the numbering plans the SQL phone normaliser used to read from a seed, for any region
    assert phone_plan("FR") == ("33", "0", 9)
    assert phone_plan("PL") == ("48", None, 9)
    assert phone_plan("GB") == ("44", "0", 10)
    assert phone_plan("ES") == ("34", None, 9)


def test_the_tables_hold_the_configured_units_window_and_bot_rule():
    config = parse_retailer(FOUR_UNITS, "four.yml")
    with duckdb.connect() as conn:
        assert write_referential(conn, config) == {UNITS_TABLE: 4, DATES_TABLE: 1, BOT_RULE_TABLE: 1}
        bot_rule = conn.execute(
            f"select max_events_per_cookie_day, max_events_per_cookie from {BOT_RULE_TABLE}"
        ).fetchall()
        units = conn.execute(
            f"select country_code, business_unit_name, currency_code, time_zone, language_code, "
            f"default_phone_region, calling_code from {UNITS_TABLE} order by 1"
        ).fetchall()
        window = conn.execute(f"select earliest_date, latest_date from {DATES_TABLE}").fetchall()
        comment = conn.execute(
            "select comment from duckdb_columns() where table_name = 'business_units' and column_name = 'time_zone'"
        ).fetchall()
    assert units[0] == ("ES", "Spain", "EUR", "Europe/Madrid", "es", "ES", "34")
    assert [u[0] for u in units] == ["ES", "FR", "GB", "PL"]
    assert window == [(date(2000, 1, 1), date(2027, 6, 30))]
    assert bot_rule == [(120, 2000)]
    assert comment[0][0].startswith("IANA time zone")


def test_the_demo_delivers_every_source():
    assert load_retailer(DEMO_RETAILER).absent_sources == ()


def test_indicators_of_an_absent_source_are_null_and_say_so():
    nulled = {i.name for i in absent_indicators(("emailing_events", "loyalty_cards", "ecommerce_orders"))}
    assert {"email_open_rate_12m", "has_unsubscribed", "has_loyalty_card", "web_spend_share"} <= nulled
    assert "store_spend_share" not in nulled and "monetary_12m" not in nulled
    assert absent_indicators(()) == []
    comments = column_comments([])
    assert "does not deliver loyalty_cards" in comments["has_loyalty_card"]
    assert all(
        set(i.requires)
        <= {
            "emailing_events",
            "loyalty_cards",
            "ecommerce_orders",
            "ecommerce_order_lines",
            "consent_preferences",
            "marketing_acquisitions",
            "web_events",
        }
        for i in INDICATORS
    )
