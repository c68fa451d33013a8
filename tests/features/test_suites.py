"""The features layer's expectation suites are valid GX 1.x suites in the agreed format."""

import json

import great_expectations as gx
import pytest

from platform_assets.lib.settings import EXPECTATIONS_DIR

SUITES = [
    "features.customer_profile",
    "features.customer_rfm",
    "features.customer_clv",
    "marketing.channel_ltv_cac",
]


@pytest.mark.parametrize("name", SUITES)
def test_suite_loads_in_great_expectations_with_every_expectation(name):
    data = json.loads((EXPECTATIONS_DIR / f"{name}.json").read_text())
    assert data["name"] == name
    # GX drops an invalid expectation with a log line: the loaded count must match the file's.
    suite = gx.ExpectationSuite(**data)
    assert len(suite.expectations) == len(data["expectations"]) >= 10
    assert {e["meta"]["severity"] for e in data["expectations"]} <= {"critical", "warning"}
    critical = [e for e in data["expectations"] if e["meta"]["severity"] == "critical"]
    assert any(
        e["type"] in ("expect_column_values_to_be_unique", "expect_compound_columns_to_be_unique")
        for e in critical
    )


def test_every_profile_indicator_has_one_definition_and_a_unit():
    from platform_assets.features.indicators import DEPARTMENT_SHARE, INDICATORS, KEYS

    documented = (*KEYS, *INDICATORS, DEPARTMENT_SHARE)
    assert len({i.name for i in documented}) == len(documented)
    assert [i.name for i in documented if not (i.definition.strip() and i.unit.strip())] == []
    assert len(INDICATORS) >= 40
