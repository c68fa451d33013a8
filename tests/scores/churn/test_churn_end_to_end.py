"""scores.customer_churn on the session's end-to-end warehouse (tests/conftest.py ``refreshed``):
gated, the right customers, bands and drivers coherent, backtest recorded, the registered model
reproduces the stored scores."""

from datetime import date

import duckdb
import numpy as np
import polars as pl
import pytest

from platform_assets.lib import web_events
from platform_assets.lib.retailer import DEMO_RETAILER, ChurnSettings, load_retailer
from platform_assets.scores.champion_challenger import split
from platform_assets.scores.churn import data, model, scoring
from platform_assets.scores.churn.checks import CHECKS, rules
from platform_assets.scores.registry import active_version, load_artifact
from tests.conftest import E2E_REFERENCE_DATE

REF = date.fromisoformat(E2E_REFERENCE_DATE)


def read(db, sql: str) -> pl.DataFrame:
    with duckdb.connect(str(db), read_only=True) as conn:
        return conn.sql(sql).pl()


def test_the_churn_table_is_gated_and_scores_the_active_repeat_customers(refreshed):
    result, db = refreshed
    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    for check in CHECKS:
        [key] = check.check_keys
        assert evaluations[key.name].passed, evaluations[key.name].metadata
    churn = read(db, "select * from scores.customer_churn")
    assert churn.height > 0 and churn["customer_id"].is_unique().all()
    assert (churn["reference_date"] == REF).all()
    profile = read(db, "select * from features.customer_profile")
    expected = set()
    for bu, horizon in churn.group_by("business_unit").agg(pl.col("horizon_days").first()).iter_rows():
        assert 60 <= horizon <= 365
        unit = model.eligible(profile.filter(pl.col("business_unit") == bu), horizon)
        expected |= set(unit["customer_id"])
    assert set(churn["customer_id"]) == expected


def test_bands_actions_and_drivers_read_as_the_playbook(refreshed):
    _, db = refreshed
    churn = read(db, "select * from scores.customer_churn")
    assert {tuple(c) for c in churn["band_cutoffs"].to_list()} == {(26, 51, 76)}  # the demo's: the playbook's
    actions = dict(model.BANDS)
    lows = dict(zip(actions, (0, 26, 51, 76), strict=True))
    for score, band, action in churn.select("churn_score", "churn_band", "churn_action").iter_rows():
        low = lows[band]
        assert low <= score and action == actions[band]
        assert all(other_low <= low or other_low > score for other_low in lows.values())
    vocabulary = {
        f"{words[side]} ({effect} risk)"
        for words in model.WORDING.values()
        for side in (0, 1)
        for effect in ("raises", "lowers")
    }
    for column in ("driver_1", "driver_2", "driver_3"):
        assert set(churn[column]) <= vocabulary
    distinct = churn.select(pl.concat_list("driver_1", "driver_2", "driver_3").list.n_unique())
    assert (distinct.to_series() == 3).all()


def test_the_backtest_is_recorded_per_business_unit_with_its_calibration(refreshed):
    result, db = refreshed
    metrics = read(
        db, f"select * from ops.model_metrics where model = 'churn' and run_id = '{result.run_id}'"
    )
    units = set(read(db, "select distinct business_unit from scores.customer_churn")["business_unit"])
    auc = metrics.filter(pl.col("metric") == "backtest_auc")
    assert set(auc["business_unit"]) == units | {"ALL"}  # ALL: the group's pooled backtest
    group = dict(metrics.filter(pl.col("business_unit") == "ALL").select("metric", "value").iter_rows())
    # a model browses when the demo's 13 months of web history cover its training cutoff by 90 days:
    # R - H (H the longest horizon) for production, R - 2H for the backtest's
    longest = int(metrics.filter(pl.col("metric") == "horizon_days")["value"].max())
    with duckdb.connect(str(db), read_only=True) as conn:
        web_days = (REF - web_events.history_start(conn, REF)).days
    assert group["uses_browsing"] == float(web_days - longest >= 90) == 1.0, group
    assert group["backtest_uses_browsing"] == float(web_days - 2 * longest >= 90), group
    assert 0 < group["training_oof_auc"] < 1 and 0 < group["training_oof_auc_purchases_only"] < 1
    # 600 customers: a unit has a few dozen to evaluate on, the figure is recorded, not judged here.
    assert auc["value"].is_between(0, 1).all(), auc
    for metric in ("backtest_top_decile_lift", "backtest_pooled_training", "horizon_days"):
        assert metrics.filter(pl.col("metric") == metric).height == len(units), metric
    [event] = [
        m
        for m in result.get_asset_materialization_events()
        if m.asset_key.path == ["scores", "customer_churn"]
    ]
    chart = event.materialization.metadata["calibration_chart"].value
    assert chart.startswith("![churn calibration](data:image/png;base64,")


def test_the_registered_models_reproduce_the_stored_scores_of_both_versions(refreshed, demo_dir, monkeypatch):
    """The champion (registry model churn) and the demo's challenger (churn_challenger) each reproduce
    their rows of scores.customer_churn_versions from the stored profile."""
    _, db = refreshed
    monkeypatch.setenv("CDP_DATA_DIR", str(demo_dir))
    versions = read(db, "select * from scores.customer_churn_versions")
    profile = read(db, "select * from features.customer_profile")
    assert set(versions["model_arm"]) == {"champion", "challenger"}
    with duckdb.connect(str(db), read_only=True) as conn:
        for name, arm in (("churn", "champion"), ("churn_challenger", "challenger")):
            for bu in versions["business_unit"].unique().to_list():
                entry = active_version(conn, name, bu)
                stored = versions.filter((pl.col("business_unit") == bu) & (pl.col("model_arm") == arm))
                stored = stored.sort("customer_id")
                assert entry["version"] == stored["model_version"][0]
                fitted = load_artifact(entry["artifact_path"])
                assert fitted.estimator == stored["estimator"][0]
                browses = any(f in model.BROWSING_FEATURES for f in fitted.features)
                rows = model.design(
                    model.eligible(profile.filter(pl.col("business_unit") == bu), fitted.horizon_days),
                    data.behaviour_as_of(conn, REF),
                    fitted.horizon_days,
                    data.browsing_as_of(conn, [REF], web_events.history_start(conn, REF))[REF]
                    if browses
                    else None,
                )
                rows = rows.sort("customer_id")
                assert rows["customer_id"].to_list() == stored["customer_id"].to_list()
                np.testing.assert_allclose(
                    model.predict(fitted, rows), stored["churn_probability"], atol=1e-4
                )


def test_each_customer_is_scored_by_both_versions_and_driven_by_the_arm_of_their_hash(refreshed):
    _, db = refreshed
    churn = read(db, "select * from scores.customer_churn").sort("customer_id")
    versions = read(db, "select * from scores.customer_churn_versions")
    share = load_retailer(DEMO_RETAILER).churn.challenger.share
    assert churn["model_arm"].to_list() == split.arms(churn["customer_id"].to_list(), "churn", share)
    assert versions.group_by("customer_id").len()["len"].unique().to_list() == [2]  # both versions score all
    assert versions.filter(pl.col("is_driving")).height == churn.height
    driving = versions.filter(pl.col("is_driving")).sort("customer_id")
    for column in ("model_arm", "model_version", "estimator", "churn_probability", "churn_band"):
        assert driving[column].to_list() == churn[column].to_list(), column
    arms = churn["model_arm"].value_counts()
    assert arms.height == 2 and arms["count"].min() > 0.3 * churn.height  # about half each
    # the challenger drives a customer with its own model (gradient boosting), the champion with its own
    estimators = dict(churn.select("model_arm", "estimator").unique().iter_rows())
    assert estimators["champion"].startswith("logistic_regression")
    assert estimators["challenger"].startswith("gradient_boosting")


def test_a_units_own_horizon_and_cutoffs_are_used_and_recorded_the_others_keep_the_groups(refreshed):
    """A retailer whose PL judges churn over a fixed 90 days with its own bands: PL's rows carry
    them and pass the blocking rules built from the same settings; FR and GB keep the playbook's."""
    _, db = refreshed
    settings = ChurnSettings(by_business_unit={"PL": {"horizon_days": 90, "band_cutoffs": [10, 30, 60]}})
    with duckdb.connect(str(db), read_only=True) as conn:
        profile = conn.sql("select * from features.customer_profile").pl()
        result = scoring.run(conn, REF, profile, settings)
    scores = result.scores
    assert result.horizons["PL"] == 90 and result.models["PL"].band_cutoffs == (10, 30, 60)
    pl_rows = scores.filter(pl.col("business_unit") == "PL")
    assert pl_rows.height and set(pl_rows["horizon_days"]) == {90}
    assert {tuple(c) for c in pl_rows["band_cutoffs"].to_list()} == {(10, 30, 60)}
    lows = dict(zip(dict(model.BANDS), (0, 10, 30, 60), strict=True))
    for score, band in pl_rows.select("churn_score", "churn_band").iter_rows():
        assert lows[band] <= score and all(low <= lows[band] or low > score for low in lows.values())
    others = scores.filter(pl.col("business_unit") != "PL")
    assert {tuple(c) for c in others["band_cutoffs"].to_list()} == {(26, 51, 76)}
    assert all(60 <= h <= 365 for bu, h in result.horizons.items() if bu != "PL")
    # the blocking rules of these settings pass; the demo's (PL on the playbook's bands) catch PL's rows
    with duckdb.connect() as conn:
        conn.register("scored", scores.to_arrow())
        units = sorted(set(scores["business_unit"]))

        def violations(rules: dict[str, str], name: str) -> int:
            return conn.execute(
                f"select count(*) from (select *, {rules[name]} as bad from scored) where bad"
            ).fetchone()[0]

        own, demo = rules(units, settings), rules(units, ChurnSettings())
        for name in (
            "cutoffs_not_the_units_settings",
            "band_does_not_match_score",
            "horizon_not_the_units_settings",
        ):
            assert violations(own, name) == 0
        assert violations(demo, "cutoffs_not_the_units_settings") == pl_rows.height


def test_the_run_compares_the_challenger_with_the_champion_and_keeps_the_champion_without_measured_revenue(
    refreshed,
):
    """One run: both backtests are measured on the same cutoffs, but no platform campaign of either
    arm has ended its window yet, so the rule cannot promote."""
    _, db = refreshed
    [row] = read(db, "select * from ops.model_comparisons").to_dicts()
    metrics = read(
        db,
        "select model, value from ops.model_metrics where metric = 'backtest_auc' and business_unit = 'ALL'",
    )
    auc = dict(metrics.iter_rows())
    assert row["champion_backtest_auc"] == pytest.approx(auc["churn"])
    assert row["challenger_backtest_auc"] == pytest.approx(auc["churn_challenger"])
    assert row["challenger_estimator"].startswith("gradient_boosting")
    assert row["revenue_condition_met"] is None and row["champion_contacted"] == 0
    assert row["decision"] == "keep champion" and "not judged yet" in row["reason"]


def test_after_a_promotion_the_promoted_model_is_the_champion_and_is_no_longer_challenged(refreshed):
    _, db = refreshed
    settings = load_retailer(DEMO_RETAILER).churn
    with duckdb.connect(str(db), read_only=True) as conn:
        profile = conn.sql("select * from features.customer_profile").pl()
        result = scoring.run(conn, REF, profile, settings, champion_spec=settings.challenger.model)
    assert result.challenger is None
    assert set(result.scores["model_arm"]) == {"champion"}
    assert set(result.versions["estimator"]) == {settings.challenger.model.label()}
    assert result.versions["is_driving"].all()
