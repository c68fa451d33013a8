"""The segment tables' expectation suites: valid GX 1.x suites in the agreed format, and every
critical expectation holds on the session's end-to-end warehouse."""

import json

import duckdb
import great_expectations as gx
import pytest

from platform_assets.lib.settings import EXPECTATIONS_DIR

SUITES = ["scores.customer_segment", "scores.segment_profile", "scores.segment_rfm_crosstab"]


def _suite(name: str) -> dict:
    return json.loads((EXPECTATIONS_DIR / f"{name}.json").read_text())


@pytest.mark.parametrize("name", SUITES)
def test_suite_loads_in_great_expectations_with_every_expectation(name):
    data = _suite(name)
    assert data["name"] == name
    # GX drops an invalid expectation with a log line: the loaded count must match the file's.
    assert len(gx.ExpectationSuite(**data).expectations) == len(data["expectations"]) >= 10
    assert {e["meta"]["severity"] for e in data["expectations"]} <= {"critical", "warning"}
    critical = {e["type"] for e in data["expectations"] if e["meta"]["severity"] == "critical"}
    assert critical & {"expect_column_values_to_be_unique", "expect_compound_columns_to_be_unique"}


def test_the_critical_expectations_hold_on_the_end_to_end_tables(refreshed):
    _, db = refreshed
    context = gx.get_context(mode="ephemeral")
    source = context.data_sources.add_pandas("segments")
    failed = {}
    for name in SUITES:
        with duckdb.connect(str(db), read_only=True) as conn:
            frame = conn.sql(f"select * from {name}").df()
        batch = (
            source.add_dataframe_asset(name)
            .add_batch_definition_whole_dataframe("whole")
            .get_batch(batch_parameters={"dataframe": frame})
        )
        data = _suite(name)
        data["expectations"] = [e for e in data["expectations"] if e["meta"]["severity"] == "critical"]
        result = batch.validate(gx.ExpectationSuite(**data))
        assert len(result.results) == len(data["expectations"])
        failed[name] = [r.expectation_config.type for r in result.results if not r.success]
    assert failed == {name: [] for name in SUITES}
