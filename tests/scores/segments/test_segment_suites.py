"""The segment tables' rules: row rules in the blocking SQL gates (checks.py), the suites keep only
warnings (distributions), valid GX 1.x suites in the agreed format."""

import duckdb
import pytest

from platform_assets.lib.gates import violations
from platform_assets.lib.settings import EXPECTATIONS_DIR
from platform_assets.quality.suites import built_suite, load_suite
from platform_assets.scores.segments import checks

# suite -> expectations it holds, all warnings
SUITES = {"scores.customer_segment": 2, "scores.segment_profile": 1, "scores.segment_rfm_crosstab": 1}


@pytest.mark.parametrize("name", SUITES)
def test_suite_loads_in_great_expectations_with_every_expectation_as_a_warning(name):
    suite = load_suite(EXPECTATIONS_DIR / f"{name}.json")
    # GX drops an invalid expectation with a log line: the built count must match the file's.
    assert len(built_suite(suite).expectations) == len(suite.expectations) == SUITES[name]
    assert suite.of_severity("critical") == []  # blocking rules are the gate's


SEGMENT = (
    "customer_id, reference_date, segment_id, segment_key, segment_name, segment_probability, "
    "segmentation_version, name_source"
)


def _segment_violations(rows: str) -> set[str]:
    with duckdb.connect() as conn:
        conn.execute("create schema features")
        conn.execute(
            "create table features.customer_profile as select 'C1' as customer_id union all select 'C2'"
        )
        conn.execute(f"create table segment as select * from (values {rows}) as t({SEGMENT})")
        return {rule for rule, n in violations(conn, "segment", checks.SEGMENT_RULES).items() if n}


GOOD = "('C1', date '2026-11-01', 1, 'seg-20261101-0a1b2c3d-s01', 'Gardeners', 0.9, 'seg-20261101-0a1b2c3d', 'proposed')"


def test_the_segment_gate_passes_a_good_row_and_counts_a_malformed_key_or_a_missing_date():
    assert _segment_violations(GOOD) == set()
    bad = "('C2', null, 1, 'seg-20261101-0a1b2c3d-s1', 'Gardeners', 0.9, 'seg-20261101-0a1b2c3d', 'proposed')"
    assert _segment_violations(f"{GOOD}, {bad}") == {"null_reference_date", "key_malformed"}


def test_the_segment_gate_wants_exactly_one_version():
    unversioned = (
        "('C1', date '2026-11-01', 1, 'seg-20261101-0a1b2c3d-s01', 'Gardeners', 0.9, null, 'proposed')"
    )
    assert "not_one_version" in _segment_violations(unversioned)
    other = "('C2', date '2026-11-01', 1, 'seg-20261102-0a1b2c3d-s01', 'Gardeners', 0.9, 'seg-20261102-0a1b2c3d', 'proposed')"
    assert "not_one_version" in _segment_violations(f"{GOOD}, {other}")
