"""Expectation suites: every file loads whole into GX, targets an asset, and fails on bad data."""

import json

import dagster as dg
import pandas as pd
import pytest

from platform_assets.definitions import defs
from platform_assets.landing.contracts import CONTRACTS
from platform_assets.lib.settings import EXPECTATIONS_DIR
from platform_assets.quality.checks import CRITICAL, PROFILE, WARNING, suite_checks
from platform_assets.quality.suites import SuiteError, built_suite, load_suite, suite_paths, validate
from tests.quality.conftest import write

PATHS = suite_paths()


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_every_expectation_of_the_suite_reaches_gx(path):
    expected = len(json.loads(path.read_text())["expectations"])
    suite = load_suite(path)
    assert len(built_suite(suite).expectations) == expected
    assert len(suite.of_severity("critical")) + len(suite.of_severity("warning")) == expected


def test_every_raw_source_and_mart_has_a_suite():
    names = {p.stem for p in PATHS}
    assert {f"raw.{c.table}" for c in CONTRACTS} <= names
    marts = {
        "referential.dim_customer",
        "referential.dim_product",
        "referential.dim_store",
        "sales.fct_sales_lines",
        "sales.fct_orders",
        "marketing.fct_marketing_spend",
    }
    assert marts <= names


def test_every_suite_targets_an_asset_with_its_checks():
    graph = defs.resolve_asset_graph()
    checks = {(k.asset_key, k.name) for k in graph.asset_check_keys}
    for path in PATHS:
        suite = load_suite(path)
        assert graph.has(suite.asset_key), f"{path.name}: no asset {suite.asset_key.to_user_string()}"
        assert (suite.asset_key, CRITICAL) in checks, path.name
        if suite.of_severity("warning"):
            assert (suite.asset_key, WARNING) in checks, path.name


def test_critical_checks_block_and_warnings_do_not():
    graph = defs.resolve_asset_graph()
    dim = dg.AssetKey(["referential", "dim_customer"])
    specs = {k.name: graph.get_check_spec(k) for k in graph.asset_check_keys if k.asset_key == dim}
    assert specs[CRITICAL].blocking and not specs[WARNING].blocking and not specs[PROFILE].blocking


def test_a_suite_for_a_new_asset_needs_no_code(tmp_path, monkeypatch):
    @dg.asset(key=["features", "customer_rfm"])
    def customer_rfm(): ...

    write(
        tmp_path / "features.customer_rfm.json",
        json.dumps(
            {
                "name": "features.customer_rfm",
                "expectations": [
                    {
                        "type": "expect_column_values_to_be_between",
                        "kwargs": {"column": "r", "min_value": 1, "max_value": 5},
                        "meta": {"severity": "critical"},
                    }
                ],
            }
        ),
    )
    monkeypatch.setattr("platform_assets.quality.checks.discover_suites", lambda: _suites(tmp_path))
    [checks] = suite_checks([customer_rfm])
    assert {(s.asset_key.to_user_string(), s.name, s.blocking) for s in checks.check_specs} == {
        ("features/customer_rfm", PROFILE, False),
        ("features/customer_rfm", CRITICAL, True),
    }


def _suites(directory):
    from platform_assets.quality.suites import discover_suites

    return discover_suites(directory)


def test_a_dropped_expectation_is_refused(tmp_path):
    path = write(
        tmp_path / "raw.x.json",
        json.dumps(
            {
                "name": "raw.x",
                "expectations": [
                    {
                        "type": "expect_column_values_to_be_betwen",
                        "kwargs": {"column": "a"},
                        "meta": {"severity": "critical"},
                    }
                ],
            }
        ),
    )
    with pytest.raises(SuiteError, match=r"raw\.x\.json: Great Expectations kept 0 of 1"):
        built_suite(load_suite(path))


def test_a_suite_without_severity_or_with_the_wrong_name_is_refused(tmp_path):
    bad = {"name": "raw.y", "expectations": [{"type": "expect_column_to_exist", "kwargs": {"column": "a"}}]}
    with pytest.raises(SuiteError, match="severity None"):
        load_suite(write(tmp_path / "raw.y.json", json.dumps(bad)))
    with pytest.raises(SuiteError, match=r"its name must be 'raw\.z'"):
        load_suite(write(tmp_path / "raw.z.json", json.dumps(bad)))


def test_failures_carry_counts_and_examples():
    suite = load_suite(EXPECTATIONS_DIR / "sales.fct_orders.json")
    frame = pd.DataFrame(
        {
            "order_id": ["O1", "O2", "O2", None],
            "channel": ["store", "web", "fax", "web"],
            "country_code": ["FR", "FR", "PL", "GB"],
            "net_amount": [10.0, 20.0, 30.0, 40.0],
            "ordered_date": pd.to_datetime(["2026-01-01", "2026-01-02", "2031-01-01", "2026-01-03"]),
            "n_lines": [1, 2, 3, 4],
            "items": [1, 2, 3, 4],
        }
    )
    count, failures = validate(suite, "critical", frame)
    assert count == len(suite.of_severity("critical"))
    failed = {(f.expectation, f.column): f for f in failures}
    assert failed[("expect_column_values_to_be_in_set", "channel")].examples == ["fax"]
    late = failed[("expect_column_values_to_be_between", "ordered_date")]
    assert (late.unexpected_count, late.examples) == (1, ["2031-01-01T00:00:00"])
    assert failed[("expect_column_values_to_be_unique", "order_id")].unexpected_count == 2
    assert ("expect_column_values_to_not_be_null", "order_id") in failed
    assert validate(suite, "warning", frame) == (1, [])
