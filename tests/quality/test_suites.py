"""Expectation suites: every file loads whole into GX, targets an asset, says only what dbt tests and
the Python tables' SQL gates cannot, and fails on bad data."""

import json

import dagster as dg
import duckdb
import pandas as pd
import pytest

from platform_assets.definitions import defs
from platform_assets.landing.contracts import CONTRACTS
from platform_assets.lib.retailer import DEMO_RETAILER, load_retailer
from platform_assets.lib.settings import EXPECTATIONS_DIR
from platform_assets.quality import whole_table
from platform_assets.quality.checks import suite_checks
from platform_assets.quality.suites import (
    Suite,
    SuiteError,
    built_suite,
    load_suite,
    retailer_values,
    suite_paths,
    validate,
)
from platform_assets.quality.table_checks import CRITICAL, PROFILE, WARNING, check_specs
from tests.quality.conftest import write

PATHS = suite_paths()

# Suites of tables built in Python: (critical, warning) expectations. Their row rules live in the
# domain's SQL gate (lib/gates.py, blocking); the suite keeps distributions and shares of rows.
PYTHON_TABLE_SUITES = {
    "features.customer_profile": (0, 4),
    "features.customer_rfm": (0, 1),
    "features.customer_clv": (0, 1),
    "marketing.channel_ltv_cac": (0, 1),
    "scores.customer_churn": (0, 2),
    "scores.customer_life_moments": (0, 2),
    "scores.customer_appetence": (0, 3),
    "scores.customer_segment": (0, 2),
    "scores.segment_profile": (0, 1),
    "scores.segment_rfm_crosstab": (0, 1),
    "activation.audiences": (0, 2),
    "activation.campaign_results": (0, 1),
}
# identity resolution's tables: their suites are not (yet) split between a gate and GX
NOT_GATED = {dg.AssetKey(["referential", "customer_xref"]), dg.AssetKey(["referential", "dim_customer"])}


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_every_expectation_of_the_suite_reaches_gx(path):
    expected = len(json.loads(path.read_text())["expectations"])
    suite = load_suite(path).resolved(retailer_values(load_retailer(DEMO_RETAILER)))
    assert not suite.placeholders
    assert len(built_suite(suite).expectations) == expected
    assert len(suite.of_severity("critical")) + len(suite.of_severity("warning")) == expected


def test_every_raw_source_has_a_suite():
    names = {p.stem for p in PATHS}
    assert {f"raw.{c.table}" for c in CONTRACTS} <= names


def _dbt_models(graph) -> set[dg.AssetKey]:
    return {key for key in graph.get_all_asset_keys() if "dbt" in graph.get(key).kinds}


def test_a_dbt_model_suite_holds_only_distributions():
    """Row rules of a dbt model are dbt tests (checked once, on every row): its suite, if any,
    holds only what dbt cannot say, shares of rows (``mostly``)."""
    graph = defs.resolve_asset_graph()
    models = _dbt_models(graph)
    assert dg.AssetKey(["sales", "fct_sales_lines"]) in models
    for path in PATHS:
        suite = load_suite(path)
        if suite.asset_key in models:
            assert all("mostly" in e["kwargs"] for e in suite.expectations), path.name


def test_mart_rules_are_dbt_tests_on_every_row():
    graph = defs.resolve_asset_graph()
    checks = {(k.asset_key.to_user_string(), k.name) for k in graph.asset_check_keys}
    for check in (
        ("sales/fct_sales_lines", "unique_fct_sales_lines_sales_line_id"),
        # currencies and units: the configured ones (referential.business_units), not a list in the yml
        (
            "sales/fct_sales_lines",
            "relationships_fct_sales_lines_currency_code__currency_code__source_retailer_business_units_",
        ),
        ("sales/fct_sales_lines", "in_plausible_dates_fct_sales_lines_sold_date"),
        ("sales/fct_orders", "accepted_range_fct_orders_n_lines__1000__1"),
        (
            "referential/dim_store",
            "relationships_dim_store_currency_code__currency_code__source_retailer_business_units_",
        ),
    ):
        assert check in checks, check
    assert ("sales/fct_sales_lines", CRITICAL) not in checks  # no GX suite repeating them


def test_every_suite_targets_an_asset_with_its_checks():
    graph = defs.resolve_asset_graph()
    checks = {(k.asset_key, k.name) for k in graph.asset_check_keys}
    for path in PATHS:
        suite = load_suite(path)
        assert graph.has(suite.asset_key), f"{path.name}: no asset {suite.asset_key.to_user_string()}"
        if suite.of_severity("critical"):
            assert (suite.asset_key, CRITICAL) in checks, path.name
        if suite.of_severity("warning"):
            assert (suite.asset_key, WARNING) in checks, path.name


def test_critical_checks_block_and_warnings_do_not():
    specs = {spec.name: spec for spec in check_specs(ORDERS.asset_key, ORDERS)}
    assert specs[CRITICAL].blocking and not specs[WARNING].blocking and not specs[PROFILE].blocking
    warnings_only = Suite("sales.t", ORDERS.path, ORDERS.of_severity("warning"))
    assert [s.name for s in check_specs(warnings_only.asset_key, warnings_only)] == [PROFILE, WARNING]
    assert [s.name for s in check_specs(warnings_only.asset_key, None)] == [PROFILE]  # no suite: profile only


def _gated_tables(graph) -> set[dg.AssetKey]:
    """Tables built in Python that carry their domain's blocking SQL gate (``lib.gates``)."""
    quality = {CRITICAL, WARNING, PROFILE}
    return {
        key.asset_key
        for key in graph.asset_check_keys
        if key.name not in quality
        and graph.get_check_spec(key).blocking
        and key.asset_key.path[0] != "raw"  # the landing step's own checks
        and "dbt" not in graph.get(key.asset_key).kinds
    } - NOT_GATED


def test_python_tables_keep_their_blocking_rules_in_their_gate_only():
    """One blocking mechanism per layer: a gated table's suite holds warnings only (distributions,
    shares of rows), and exactly the expected expectations, every one of them loaded by GX."""
    graph = defs.resolve_asset_graph()
    gated = _gated_tables(graph)
    assert dg.AssetKey(["features", "customer_rfm"]) in gated
    assert dg.AssetKey(["activation", "audience_exports"]) in gated
    demo = retailer_values(load_retailer(DEMO_RETAILER))
    suites = {load_suite(p).asset_key: load_suite(p).resolved(demo) for p in PATHS}
    counted = {}
    for key in sorted(gated & suites.keys(), key=lambda k: k.path):
        suite = suites[key]
        counted[suite.name] = (len(suite.of_severity("critical")), len(suite.of_severity("warning")))
        assert len(built_suite(suite).expectations) == len(suite.expectations), suite.name
    assert counted == PYTHON_TABLE_SUITES
    checks = {(k.asset_key, k.name) for k in graph.asset_check_keys}
    assert not {(key, CRITICAL) for key in gated} & checks


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


def _expectation(kind: str, severity: str = "critical", **kwargs) -> dict:
    return {"type": kind, "kwargs": kwargs, "meta": {"severity": severity}}


ORDERS = Suite(
    "sales.orders",
    EXPECTATIONS_DIR / "sales.orders.json",
    (
        _expectation("expect_column_values_to_not_be_null", column="order_id"),
        _expectation("expect_column_values_to_be_unique", column="order_id"),
        _expectation("expect_column_values_to_be_in_set", column="channel", value_set=["store", "web"]),
        _expectation(
            "expect_column_values_to_be_between",
            column="ordered_date",
            min_value="$earliest_date",
            max_value="$latest_date",
        ),
        _expectation("expect_column_values_to_not_be_null", "warning", column="channel", mostly=0.5),
    ),
)


def test_failures_carry_counts_and_examples():
    frame = pd.DataFrame(
        {
            "order_id": ["O1", "O2", "O2", None],
            "channel": ["store", "web", "fax", "web"],
            "ordered_date": pd.to_datetime(["2026-01-01", "2026-01-02", "2031-01-01", "2026-01-03"]),
        }
    )
    window = {"$earliest_date": "2000-01-01", "$latest_date": "2030-12-31"}  # the retailer's dates
    count, failures = validate(ORDERS.resolved(window), "critical", frame)
    assert count == 2  # GX runs the in-set and the range; not-null and unique are counted in SQL
    failed = {(f.expectation, f.column): f for f in failures}
    assert failed[("expect_column_values_to_be_in_set", "channel")].examples == ["fax"]
    late = failed[("expect_column_values_to_be_between", "ordered_date")]
    assert (late.unexpected_count, late.examples) == (1, ["2031-01-01T00:00:00"])
    with duckdb.connect() as conn:
        conn.register("orders", frame)
        counted = {
            (f.expectation, f.column): f
            for f in whole_table.failures(conn, "orders", ORDERS.whole_table("critical"))
        }
        assert counted[("expect_column_values_to_be_unique", "order_id")].unexpected_count == 2
        assert counted[("expect_column_values_to_be_unique", "order_id")].examples == ["O2", "O2"]
        assert counted[("expect_column_values_to_not_be_null", "order_id")].unexpected_count == 1
        assert whole_table.failures(conn, "orders", ORDERS.whole_table("warning")) == []  # 100% filled
    assert validate(ORDERS.resolved(window), "warning", frame) == (0, [])
    # a retailer whose window reaches 2031 accepts the same row
    later = validate(ORDERS.resolved({**window, "$latest_date": "2031-12-31"}), "critical", frame)[1]
    assert ("expect_column_values_to_be_between", "ordered_date") not in {
        (f.expectation, f.column) for f in later
    }
    with pytest.raises(SuiteError, match="need the retailer configuration"):
        ORDERS.resolved(None)


def test_an_unknown_placeholder_is_refused(tmp_path):
    bad = {
        "name": "raw.y",
        "expectations": [
            _expectation("expect_column_values_to_be_in_set", column="country_code", value_set="$countries")
        ],
    }
    with pytest.raises(
        SuiteError, match=r"raw\.y\.json: expectation 1, value_set: unknown placeholder '\$countries'"
    ):
        load_suite(write(tmp_path / "raw.y.json", json.dumps(bad)))
