"""scores.customer_churn on the session's end-to-end warehouse (tests/conftest.py ``refreshed``):
gated, the right customers, bands and drivers coherent, backtest recorded, the registered model
reproduces the stored scores."""

from datetime import date

import duckdb
import numpy as np
import polars as pl

from platform_assets.lib import web_events
from platform_assets.scores.churn import data, model
from platform_assets.scores.churn.checks import CHECKS
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
    bands = {name: (low, action) for name, low, action in model.BANDS}
    for score, band, action in churn.select("churn_score", "churn_band", "churn_action").iter_rows():
        low = bands[band][0]
        assert low <= score and action == bands[band][1]
        assert all(other_low <= low or other_low > score for other_low, _ in bands.values())
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


def test_the_registered_model_reproduces_the_stored_scores(refreshed, demo_dir, monkeypatch):
    _, db = refreshed
    monkeypatch.setenv("CDP_DATA_DIR", str(demo_dir))
    churn = read(db, "select * from scores.customer_churn")
    profile = read(db, "select * from features.customer_profile")
    with duckdb.connect(str(db), read_only=True) as conn:
        for bu in churn["business_unit"].unique().to_list():
            entry = active_version(conn, "churn", bu)
            stored = churn.filter(pl.col("business_unit") == bu).sort("customer_id")
            assert entry["version"] == stored["model_version"][0]
            fitted = load_artifact(entry["artifact_path"])
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
            np.testing.assert_allclose(model.predict(fitted, rows), stored["churn_probability"], atol=1e-4)
