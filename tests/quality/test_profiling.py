"""Profiles and the volume rule."""

import duckdb
import pytest

from platform_assets.quality.profiling import profile_table, volume_verdict
from platform_assets.quality.table_checks import profile_check


def test_volume_within_tolerance_passes():
    verdict = volume_verdict(1_100, [1_000, 1_000, 1_000], tolerance=0.5)
    assert verdict.passed and verdict.change == pytest.approx(0.1)


def test_volume_drop_beyond_tolerance_warns():
    verdict = volume_verdict(400, [1_000, 900, 1_100], tolerance=0.5)
    assert not verdict.passed
    assert verdict.change == pytest.approx(-0.6)
    assert "-60.0%" in verdict.message and "outside ±50%" in verdict.message


def test_no_history_is_not_a_failure():
    assert volume_verdict(10, [], 0.5).passed


@pytest.fixture
def conn():
    with duckdb.connect() as c:
        c.execute("create schema raw")
        c.execute(
            "create table raw.t as select range as id, case when range % 4 = 0 then null else range % 3 end as v from range(100)"
        )
        yield c


def test_profile_counts_nulls_and_distincts(conn):
    profile = {p.column: p for p in profile_table(conn, "raw.t")}
    assert (
        profile["id"].rows == 100
        and profile["id"].nulls == 0
        and profile["id"].distinct == pytest.approx(100, rel=0.05)
    )
    assert profile["v"].nulls == 25 and profile["v"].null_rate == 0.25 and profile["v"].distinct == 3


def test_profile_check_compares_with_the_previous_run(conn):
    first = profile_check(conn, ["raw", "t"], "raw.t", "run-1", volume_tolerance=0.3)
    assert first.passed and first.metadata["row_count_change"].value == "first profile"
    conn.execute("delete from raw.t where id >= 50")
    second = profile_check(conn, ["raw", "t"], "raw.t", "run-2", volume_tolerance=0.3)
    assert not second.passed  # half the rows gone: beyond 30%
    assert second.metadata["row_count_change"].value == -50
    assert "| v | 26.00% | +1.0% |" in second.metadata["profile"].value
    rows = conn.execute("select count(distinct run_id), count(*) from ops.table_profiles").fetchall()
    assert rows == [(2, 4)]
