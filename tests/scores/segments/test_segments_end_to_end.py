"""Behavioural segments on the session's end-to-end warehouse (tests/conftest.py ``refreshed``):
first run discovers and freezes, the next day only assigns (stable), re-discovery is explicit."""

import json
import shutil
from datetime import date, timedelta

import dagster as dg
import duckdb
import polars as pl
import pytest
from sklearn.metrics import adjusted_rand_score

from platform_assets.definitions import build_defs
from platform_assets.features.assets import customer_profile, customer_rfm
from platform_assets.features.checks import customer_profile_keys_and_ranges
from platform_assets.lib.resources import resources_from_env
from platform_assets.lib.settings import REFERENCE_DATE_TAG
from platform_assets.scores.segments import checks
from platform_assets.scores.segments.assets import customer_segment, segment_profile, segment_rfm_crosstab
from tests.conftest import E2E_REFERENCE_DATE

REF = date.fromisoformat(E2E_REFERENCE_DATE)
NEXT_DAY = REF + timedelta(days=1)
TABLES = ["scores.customer_segment", "scores.segment_profile", "scores.segment_rfm_crosstab"]
SEGMENT_KEY = dg.AssetKey(["scores", "customer_segment"])


def query(db, sql: str, params=None) -> pl.DataFrame:
    with duckdb.connect(str(db), read_only=True) as conn:
        return conn.sql(sql, params=params).pl()


def _segment_metadata(result) -> dict:
    [event] = [e for e in result.get_asset_materialization_events() if e.asset_key == SEGMENT_KEY]
    return {k: getattr(v, "value", v) for k, v in event.materialization.metadata.items()}


def test_segment_tables_are_built_and_their_blocking_checks_pass(refreshed):
    result, db = refreshed
    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    for check in checks.CHECKS:
        [key] = check.check_keys
        assert evaluations[key.name].passed, (key.name, evaluations[key.name].metadata)
    for table in TABLES:
        assert query(db, f"select count(*) as n from {table}")["n"][0] > 0, table


def test_the_first_run_discovers_once_and_registers_both_models(refreshed):
    result, db = refreshed
    meta = _segment_metadata(result)
    assert meta["discovered_in_this_run"] is True
    assert meta["discovery_trigger"] == "no frozen segmentation (first run)"
    assert "kmeans" in meta["discovery_comparison"] and "hdbscan" in meta["discovery_comparison"]
    registry = query(
        db, "select * from ops.model_registry where model in ('segmentation', 'segment_classifier')"
    )
    assert sorted(registry["model"]) == ["segment_classifier", "segmentation"]
    assert set(registry["status"]) == {"active"}
    assert set(registry["version"]) == {meta["segmentation_version"]}
    classifier = registry.filter(pl.col("model") == "segment_classifier").row(0, named=True)
    assert "store_spend_share" in classifier["features"] and classifier["training_reference_date"] == REF
    accuracy = json.loads(classifier["metrics"])["holdout_accuracy"]
    assert accuracy == pytest.approx(meta["holdout_accuracy"], abs=1e-4)
    # 600 customers leave ~100 held out: the 95% target is measured at scale (benchmarks/).
    assert accuracy >= 0.85
    recorded = query(
        db,
        "select metric, value from ops.model_metrics where model = 'segment_classifier' and metric = 'holdout_accuracy'",
    )
    assert recorded["value"].to_list() == [pytest.approx(accuracy)]


def test_every_profiled_customer_has_one_named_segment(refreshed):
    _, db = refreshed
    segments = query(db, "select * from scores.customer_segment")
    profile = query(db, "select customer_id, frequency_lifetime from features.customer_profile")
    assert sorted(segments["customer_id"]) == sorted(profile["customer_id"])
    joined = segments.join(profile, on="customer_id")
    assert (joined.filter(pl.col("frequency_lifetime") == 0)["segment_id"] == 0).all()
    buyers = joined.filter(pl.col("frequency_lifetime") > 0)
    assert (buyers["segment_id"] > 0).all()
    assert buyers["segment_id"].n_unique() >= 4
    names = segments.group_by("segment_key").agg(pl.col("segment_name").n_unique().alias("names"))
    assert (names["names"] == 1).all()
    assert segments.select(pl.col("segment_name").n_unique()).item() == segments["segment_key"].n_unique()


def test_the_profile_and_crosstab_add_up_to_the_assignment(refreshed):
    _, db = refreshed
    segments = query(db, "select * from scores.customer_segment")
    group = query(db, "select * from scores.segment_profile where business_unit = 'ALL'")
    sizes = segments.group_by("segment_key").len()
    assert dict(zip(group["segment_key"], group["customers"], strict=True)) == dict(
        zip(sizes["segment_key"], sizes["len"], strict=True)
    )
    assert group["value_share_12m"].null_count() == group.height  # no sum across currencies
    units = query(db, "select * from scores.segment_profile where business_unit <> 'ALL'")
    for _, part in units.group_by("business_unit"):
        assert part["value_share_12m"].sum() == pytest.approx(1.0)
        assert part["currency_code"].n_unique() == 1
    # independently: value share of one business unit from the profile
    fr = segments.filter(pl.col("business_unit") == "FR").join(
        query(db, "select customer_id, monetary_12m from features.customer_profile"), on="customer_id"
    )
    fr_value = fr.group_by("segment_key").agg(pl.col("monetary_12m").clip(lower_bound=0).sum())
    expected = dict(
        zip(fr_value["segment_key"], fr_value["monetary_12m"] / fr_value["monetary_12m"].sum(), strict=True)
    )
    got = units.filter(pl.col("business_unit") == "FR")
    for key, share in zip(got["segment_key"], got["value_share_12m"], strict=True):
        assert share == pytest.approx(expected[key])

    crosstab = query(db, "select * from scores.segment_rfm_crosstab where business_unit = 'ALL'")
    rfm = query(db, "select customer_id, segment from features.customer_rfm")
    independent = (
        segments.join(rfm, on="customer_id", how="left")
        .with_columns(pl.col("segment").fill_null("No purchase"))
        .group_by("segment_key", "segment")
        .len()
    )
    assert crosstab["customers"].sum() == segments.height
    merged = independent.join(
        crosstab, left_on=["segment_key", "segment"], right_on=["segment_key", "rfm_segment"], how="full"
    )
    assert (merged["len"] == merged["customers"]).all()


@pytest.fixture(scope="module")
def next_days(refreshed, tmp_path_factory):
    """A copy of the refreshed warehouse: the next day's profile and segments (daily job's assets),
    then an explicit re-discovery (the rediscover_segments job) on it."""
    _, db = refreshed
    work = tmp_path_factory.mktemp("segments_next_day")
    copy = work / "cdp.duckdb"
    shutil.copy(db, copy)
    before = query(copy, "select customer_id, segment_id, segment_key from scores.customer_segment")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CDP_DUCKDB_PATH", str(copy))
        mp.setenv("CDP_DATA_DIR", str(work))  # new artifacts land beside the copy
        instance = dg.DagsterInstance.ephemeral()
        next_day = dg.materialize(
            [
                customer_profile,
                customer_rfm,
                customer_segment,
                segment_profile,
                segment_rfm_crosstab,
                customer_profile_keys_and_ranges,
                *checks.CHECKS,
            ],
            resources=resources_from_env(),
            instance=instance,
            tags={REFERENCE_DATE_TAG: NEXT_DAY.isoformat()},
        )
        after = query(copy, "select customer_id, segment_id, segment_key from scores.customer_segment")
        rediscovered = (
            build_defs(resources_from_env())
            .resolve_job_def("rediscover_segments")
            .execute_in_process(instance=instance, tags={REFERENCE_DATE_TAG: NEXT_DAY.isoformat()})
        )
    return before, next_day, after, rediscovered, copy


def test_the_next_day_assigns_with_the_frozen_model_and_segments_hold(next_days, refreshed):
    before, next_day, after, _, _ = next_days
    assert next_day.success
    assert all(e.passed for e in next_day.get_asset_check_evaluations())
    first = _segment_metadata(refreshed[0])
    meta = _segment_metadata(next_day)
    assert meta["discovered_in_this_run"] is False
    assert meta["segmentation_version"] == first["segmentation_version"]
    both = before.join(after, on="customer_id", suffix="_next")
    kept = float((both["segment_id"] == both["segment_id_next"]).mean())
    assert kept >= 0.90
    assert adjusted_rand_score(both["segment_id"], both["segment_id_next"]) >= 0.8
    reported = meta["stability_vs_previous_run"]
    assert reported["kept_share"] == pytest.approx(kept)
    assert reported["customers_compared"] == both.height
    assert reported["previous_reference_date"] == E2E_REFERENCE_DATE
    assert after.height >= before.height  # customers created since REF get a segment too


def test_rediscovery_is_explicit_and_versions_the_new_model(next_days, refreshed):
    _, _, _, rediscovered, copy = next_days
    assert rediscovered.success
    meta = _segment_metadata(rediscovered)
    first = _segment_metadata(refreshed[0])
    assert meta["discovered_in_this_run"] is True
    assert meta["discovery_trigger"] == "rediscover requested"
    assert meta["segmentation_version"] != first["segmentation_version"]
    registry = query(
        copy, "select model, version, status from ops.model_registry where model = 'segmentation'"
    )
    status = dict(zip(registry["version"], registry["status"], strict=True))
    assert status == {first["segmentation_version"]: "superseded", meta["segmentation_version"]: "active"}
    assert (
        query(copy, "select distinct segmentation_version from scores.customer_segment").item()
        == meta["segmentation_version"]
    )
    materialized = {e.asset_key for e in rediscovered.get_asset_materialization_events()}
    assert materialized == {
        SEGMENT_KEY,
        dg.AssetKey(["scores", "segment_profile"]),
        dg.AssetKey(["scores", "segment_rfm_crosstab"]),
    }
