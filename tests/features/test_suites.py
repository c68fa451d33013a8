"""The features layer's rules: row rules in the blocking SQL gates (checks.py), the suites keep only
warnings (distributions, shares of rows), and both hold what they say."""

import duckdb
import pytest

from platform_assets.features import checks
from platform_assets.lib.gates import violations
from platform_assets.lib.retailer import DEMO_RETAILER, load_retailer
from platform_assets.lib.settings import EXPECTATIONS_DIR
from platform_assets.quality.suites import built_suite, load_suite, retailer_values

# suite -> expectations it holds, all warnings (tests/quality/test_suites.py checks the whole set)
SUITES = {
    "features.customer_profile": 4,
    "features.customer_rfm": 1,
    "features.customer_clv": 1,
    "marketing.channel_ltv_cac": 1,
}


@pytest.mark.parametrize("name", SUITES)
def test_suite_loads_in_great_expectations_with_every_expectation_as_a_warning(name):
    suite = load_suite(EXPECTATIONS_DIR / f"{name}.json").resolved(
        retailer_values(load_retailer(DEMO_RETAILER))
    )
    # GX drops an invalid expectation with a log line: the built count must match the file's.
    assert len(built_suite(suite).expectations) == len(suite.expectations) == SUITES[name]
    assert suite.of_severity("critical") == []  # blocking rules are the gate's


def _broken_rules(columns: str, rows: str, rules: dict[str, str]) -> set[str]:
    """The gate's rules that some of ``rows`` (SQL values) break."""
    with duckdb.connect() as conn:
        conn.execute(f"create table t as select * from (values {rows}) as t({columns})")
        return {rule for rule, n in violations(conn, "t", rules).items() if n}


GATE_CASES = {
    "rfm: a malformed cell, a zero recency, no business unit": (
        checks.RFM_RULES,
        "customer_id, r_score, f_score, m_score, rfm_cell, segment, frequency, recency_days, business_unit",
        "('C1', 5, 4, 3, '5-4-3', 'Loyal', 3, 10, 'FR')",
        "('C2', 5, 4, 3, '5-4', 'Loyal', 3, 0, null)",
        {"rfm_cell_malformed", "recency_not_positive", "null_business_unit"},
    ),
    "clv: a rank share above 1, an unknown tier, no currency": (
        checks.CLV_RULES,
        "customer_id, p_alive, expected_purchases, expected_value, expected_spend_per_purchase, "
        "value_rank_share, value_tier, currency_code, repeat_purchases, weeks_first_to_last_purchase, "
        "weeks_since_first_purchase",
        "('C1', 0.5, 1.0, 10.0, 10.0, 0.01, 'top 1%', 'EUR', 1, 2, 3)",
        "('C2', 0.5, 1.0, 10.0, 10.0, 1.5, 'top 3%', null, 1, 2, 3)",
        {"value_rank_share_outside_0_1", "value_tier_unknown", "no_currency"},
    ),
}


@pytest.mark.parametrize("case", GATE_CASES)
def test_the_gate_counts_the_row_rules_it_took_from_the_suite(case):
    rules, columns, good, bad, broken = GATE_CASES[case]
    assert _broken_rules(columns, good, rules) == set()
    assert _broken_rules(columns, f"{good}, {bad}", rules) == broken


def test_every_profile_indicator_has_one_definition_and_a_unit():
    from platform_assets.features.indicators import DEPARTMENT_SHARE, INDICATORS, KEYS

    documented = (*KEYS, *INDICATORS, DEPARTMENT_SHARE)
    assert len({i.name for i in documented}) == len(documented)
    assert [i.name for i in documented if not (i.definition.strip() and i.unit.strip())] == []
    assert len(INDICATORS) >= 40
