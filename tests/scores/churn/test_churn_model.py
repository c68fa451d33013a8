"""The churn model's pure parts on generated data: horizon, bands, fit, drivers, backtest figures."""

from datetime import date

import numpy as np
import polars as pl
import pytest
from scipy.stats import binomtest

from platform_assets.lib.retailer import ChurnUnitSettings
from platform_assets.scores.churn import model

PLAYBOOK = ChurnUnitSettings()  # the defaults: 95th percentile within 60-365 days; bands 26, 51, 76


def test_the_horizon_is_the_95th_percentile_gap_rounded_up_to_a_month_and_bounded():
    gaps = pl.Series(list(range(1, 101)))  # 95th percentile = 95 days -> 120
    assert model.horizon_days(gaps, PLAYBOOK) == 120
    assert model.horizon_days(pl.Series([5, 6, 7]), PLAYBOOK) == 60  # floor
    assert model.horizon_days(pl.Series([900, 1000]), PLAYBOOK) == 365  # ceiling
    assert model.horizon_days(pl.Series([], dtype=pl.Int64), PLAYBOOK) == 365


def test_a_business_units_horizon_settings_replace_the_playbooks():
    gaps = pl.Series(list(range(1, 101)))
    assert model.horizon_days(gaps, ChurnUnitSettings(horizon_quantile=0.5)) == 60  # 50 days -> 60
    assert model.horizon_days(gaps, ChurnUnitSettings(horizon_bounds_days=(30, 90))) == 90
    assert model.horizon_days(gaps, ChurnUnitSettings(horizon_days=45)) == 45  # fixed: gaps not read
    assert model.horizon_days(pl.Series([], dtype=pl.Int64), ChurnUnitSettings(horizon_days=45)) == 45


def test_scores_fall_in_the_playbook_bands_at_their_bounds():
    scores = np.array([0, 25, 26, 50, 51, 75, 76, 100])
    names = [model.BANDS[b][0] for b in model.band_of(scores, PLAYBOOK.band_cutoffs)]
    assert names == [
        "healthy",
        "healthy",
        "attention",
        "attention",
        "moderate risk",
        "moderate risk",
        "high risk",
        "high risk",
    ]
    other = [model.BANDS[b][0] for b in model.band_of(scores, (10, 60, 90))]
    assert other == [
        "healthy",
        "attention",
        "attention",
        "attention",
        "attention",
        "moderate risk",
        "moderate risk",
        "high risk",
    ]
    assert model.score(np.array([0.0, 0.254, 0.255, 1.0])).tolist() == [0, 25, 26, 100]


def _profiles(n: int, seed: int) -> tuple[pl.DataFrame, np.ndarray]:
    frame, behaviour, churned = _raw(n, seed)
    return model.design(frame, behaviour, 210), churned


def _raw(n: int, seed: int) -> tuple[pl.DataFrame, pl.DataFrame, np.ndarray]:
    """Profile-like rows where churn follows recency, e-mail opens and promotions in the last visits
    (the generator's signals)."""
    rng = np.random.default_rng(seed)
    recency = rng.gamma(2.0, 60.0, n)
    opens = rng.uniform(0, 1, n)
    promo_last = rng.integers(0, 6, n)
    logit = 0.025 * (recency - 120) - 3.0 * (opens - 0.5) + 0.4 * (promo_last - 2.5)
    churned = (rng.uniform(0, 1, n) < 1 / (1 + np.exp(-logit))).astype(np.int8)
    frame = pl.DataFrame(
        {
            "customer_id": [f"C{i:06d}" for i in range(n)],
            "business_unit": "FR",
            "recency_days": recency.astype(int) + 1,
            "frequency_lifetime": rng.integers(1, 20, n),
            "purchase_days_lifetime": rng.integers(3, 20, n),
            "days_since_first_purchase": recency.astype(int) + 1 + rng.integers(60, 700, n),
            "frequency_12m": rng.integers(0, 8, n),
            "orders_last_90d": rng.integers(0, 3, n),
            "orders_prior_90d": rng.integers(0, 3, n),
            "spend_last_90d": rng.uniform(0, 300, n),
            "spend_prior_90d": rng.uniform(0, 300, n),
            "expected_gap_ratio": pl.Series(rng.uniform(0, 3, n)).scatter(
                np.flatnonzero(rng.uniform(0, 1, n) < 0.2), None
            ),
            "mean_days_between_purchases": rng.uniform(10, 200, n),
            "trend_days_between_purchases": rng.normal(0, 5, n),
            "email_open_rate_12m": opens,
            "days_since_last_email_open": rng.integers(1, 400, n),
            "has_unsubscribed": rng.uniform(0, 1, n) < 0.05,
            "return_rate": rng.uniform(0, 0.2, n),
            "discount_rate": rng.uniform(0, 0.3, n),
            "entry_spend_share": rng.uniform(0, 1, n),
            "premium_spend_share": rng.uniform(0, 1, n),
            "web_spend_share": rng.uniform(0, 1, n),
            "distinct_departments": rng.integers(1, 10, n),
            "tenure_days": rng.integers(30, 1000, n),
            "has_loyalty_card": rng.uniform(0, 1, n) < 0.5,
            "avg_basket_value_12m": rng.uniform(10, 200, n),
            "avg_basket_value": rng.uniform(10, 200, n),
        }
    )
    ids = frame["customer_id"]
    behaviour = pl.DataFrame(
        {
            "customer_id": ids,
            "reference_date": date(2026, 8, 3),
            "first_day": date(2025, 1, 1),
            "days_last": 3,
            "days_early": rng.integers(0, 12, n),
            "lines_last": 6,
            "lines_early": rng.integers(0, 30, n),
            "discounted_last": promo_last,
            "discounted_early": rng.integers(0, 5, n),
            "entry_last": rng.integers(0, 4, n),
            "entry_early": rng.integers(0, 8, n),
            "premium_last": rng.integers(0, 3, n),
            "premium_early": rng.integers(0, 6, n),
            "returned_last": rng.integers(0, 2, n),
            "returned_early": rng.integers(0, 2, n),
            "gap_last": rng.uniform(10, 90, n),
            "gap_early": pl.Series(rng.uniform(10, 90, n)).scatter([0, 1], None),
            "days_recent": rng.integers(0, 4, n),
            "days_before_recent": rng.integers(0, 10, n),
            "sent_recent": rng.integers(0, 5, n),
            "opened_recent": rng.integers(0, 2, n),
            "sent_before": rng.integers(0, 8, n),
            "opened_before": rng.integers(0, 3, n),
        }
    ).slice(0, n - 5)  # a few customers without purchases in the two years: zeros, no nulls
    return frame, behaviour, churned


def test_silence_surprise_grows_with_the_silence_and_with_the_pace_it_breaks():
    frame, behaviour, _ = _raw(4, seed=4)
    # same 90-day silence: 12 purchase days in 200 days (a 2.5-week pace) vs 3 (a 14-week pace);
    # then the frequent buyer 10 days after their latest purchase, and after 200 days
    frame = frame.with_columns(
        recency_days=pl.Series([90, 90, 10, 200]),
        purchase_days_lifetime=pl.Series([12, 3, 12, 12]),
        days_since_first_purchase=pl.Series([290, 290, 210, 400]),
    )
    s = model.design(frame, behaviour, 210).sort("customer_id")["silence_surprise"].to_list()
    # (x + r) log(1 + recency / (t_x + alpha)), x = purchase days - 1, t_x = days first to latest
    assert s[0] == pytest.approx((11 + model.SURPRISE_R) * np.log1p(90 / (200 + model.SURPRISE_ALPHA_DAYS)))
    assert s[0] > s[1] and s[3] > s[0] > s[2] > 0


def test_the_latest_visits_enter_as_counts():
    frame, behaviour, _ = _raw(50, seed=5)
    x = model.design(frame, behaviour, 210).sort("customer_id")
    known = behaviour["customer_id"]
    for part in model.LAST_VISIT_COUNTS:
        column = x.filter(pl.col("customer_id").is_in(known.implode()))[f"{part}_last"]
        assert column.to_list() == behaviour.sort("customer_id")[f"{part}_last"].cast(pl.Float64).to_list()
    # customers without purchases in the two years count zero, not null
    assert x.filter(~pl.col("customer_id").is_in(known.implode()))["discounted_last"].to_list() == [0.0] * 5


def test_the_calibrated_model_ranks_and_calibrates_out_of_sample_and_names_its_drivers():
    train, y_train = _profiles(4000, seed=1)
    test, y_test = _profiles(4000, seed=2)
    assert train.null_count().sum_horizontal().item() == 0
    fitted = model.fit(train, y_train, "FR", 90, date(2026, 8, 3))
    assert set(fitted.calibration) == {"ALL"}  # one calibration for the group, backtest and production
    p = model.predict(fitted, test)
    figures = model.evaluate(p, y_test, PLAYBOOK.band_cutoffs)
    assert figures["auc"] > 0.8
    assert figures["top_decile_lift"] > 1.5
    assert figures["max_band_calibration_gap_pct"] < 6
    drivers = model.top_drivers(fitted, test)
    assert len(drivers) == test.height and all(len(d) == 3 for d in drivers)
    # The riskiest customer's first driver is their long silence; the wording is a marketer's.
    riskiest = int(np.argmax(test["log_recency"].to_numpy()))
    assert drivers[riskiest][0] == "no purchase for a long time (raises risk)"
    # Same data, same version; other data, another version.
    assert model.fit(train, y_train, "FR", 90, date(2026, 8, 3)).version == fitted.version
    assert model.fit(test, y_test, "FR", 90, date(2026, 8, 3)).version != fitted.version


def test_a_training_set_above_training_rows_is_a_seeded_sample_whatever_the_row_order():
    train, y_train = _profiles(4000, seed=1)
    test, y_test = _profiles(4000, seed=2)
    sampled = model.fit(train, y_train, "FR", 90, date(2026, 8, 3), max_rows=1500)
    assert sampled.training_size == 1500
    assert 0 < sampled.training_churn_rate < 1
    # the same customers read in another order: the same sample, so the same model
    shuffled = np.random.default_rng(7).permutation(train.height)
    again = model.fit(train[shuffled], y_train[shuffled], "FR", 90, date(2026, 8, 3), max_rows=1500)
    assert again.version == sampled.version
    # a cap above the rows changes nothing; a sample is another training set, still a working model
    whole = model.fit(train, y_train, "FR", 90, date(2026, 8, 3))
    assert model.fit(train, y_train, "FR", 90, date(2026, 8, 3), max_rows=4000).version == whole.version
    assert whole.training_size == 4000 and sampled.version != whole.version
    assert model.evaluate(model.predict(sampled, test), y_test, PLAYBOOK.band_cutoffs)["auc"] > 0.8


def test_the_training_rows_setting_is_validated():
    from platform_assets.lib.retailer import ChurnSettings

    assert ChurnSettings().training_rows == 200_000
    with pytest.raises(ValueError, match="training_rows"):
        ChurnSettings(training_rows=10)


def test_training_without_enough_churners_is_refused_with_the_counts():
    train, _ = _profiles(200, seed=3)
    y = np.zeros(train.height, dtype=np.int8)
    y[:3] = 1
    with pytest.raises(ValueError, match="churn model PL: 3 churners and 197 returners"):
        model.fit(train, y, "PL", 120, date(2026, 7, 1))


def test_backtest_figures_are_computed_from_the_outcomes():
    p = np.array([0.9, 0.8, 0.6, 0.3, 0.2, 0.1, 0.1, 0.05, 0.05, 0.05])
    y = np.array([1, 1, 0, 1, 0, 0, 0, 0, 0, 0])
    figures = model.evaluate(p, y, PLAYBOOK.band_cutoffs)
    assert figures["churn_rate"] == pytest.approx(0.3)
    assert figures["auc"] == pytest.approx(20 / 21)
    assert figures["top_decile_precision"] == 1.0  # the top decile is the first customer
    assert figures["top_decile_lift"] == pytest.approx(1 / 0.3)
    assert figures["band_high_risk_customers"] == 2 and figures["band_high_risk_observed_pct"] == 100
    assert figures["band_healthy_predicted_pct"] == pytest.approx(
        100 * np.mean([0.2, 0.1, 0.1, 0.05, 0.05, 0.05])
    )


def test_the_observed_rate_interval_is_wilsons_and_the_measurable_size_the_survey_formula():
    for churned, customers in ((35, 38), (5, 10), (0, 10), (120, 1300)):
        reference = binomtest(churned, customers).proportion_ci(method="wilson")
        assert model.wilson_interval(churned, customers) == pytest.approx(
            (reference.low, reference.high), abs=1e-7
        )
    # z^2 p (1 - p) / 0.05^2: 385 customers at p = 0.5, 139 at 0.1, 246 at 0.8; never below 30
    assert [model.measurable_band_size(p) for p in (0.5, 0.1, 0.8, 0.01)] == [385, 139, 246, 30]


def _calibration_sample(n: int, shift: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Predicted probabilities over every band, outcomes drawn at the predicted rate + ``shift``."""
    rng = np.random.default_rng(seed)
    p = rng.beta(0.8, 3.0, n)
    return p, (rng.uniform(0, 1, n) < np.clip(p + shift, 0, 1)).astype(np.int8)


def test_the_band_gap_is_judged_on_measurable_bands_and_still_catches_a_miscalibrated_model():
    # Calibrated: every band's interval holds its prediction, the judged gap is within 5 points.
    p, y = _calibration_sample(20_000, 0.0, seed=5)
    figures = model.evaluate(p, y, PLAYBOOK.band_cutoffs)
    assert figures["bands_measured"] >= 3 and figures["max_band_calibration_gap_pct"] < 5
    assert figures["bands_outside_ci"] == 0
    # Churn 8 points above every prediction: the judged gap and the interval test both see it.
    p, y = _calibration_sample(20_000, 0.08, seed=5)
    figures = model.evaluate(p, y, PLAYBOOK.band_cutoffs)
    assert figures["max_band_calibration_gap_pct"] > 5
    assert figures["bands_outside_ci"] >= 3


def test_a_small_band_is_reported_with_its_interval_not_judged_but_flagged_when_it_is_off():
    # 400 healthy customers predicted and observed at 10 %; 40 moderate-risk customers predicted at
    # 60 % of whom 8 (20 %) churned: too few to judge a 5-point gap (needs 369), far outside its interval.
    p = np.r_[np.full(400, 0.10), np.full(40, 0.60)]
    y = np.r_[np.repeat([1, 0], [40, 360]), np.repeat([1, 0], [8, 32])].astype(np.int8)
    figures = model.evaluate(p, y, PLAYBOOK.band_cutoffs)
    assert figures["band_moderate_risk_customers"] == 40
    assert figures["band_moderate_risk_measurable_customers"] == 369
    low, high = model.wilson_interval(8, 40)
    assert figures["band_moderate_risk_observed_ci_low_pct"] == pytest.approx(100 * low)
    assert figures["band_moderate_risk_observed_ci_high_pct"] == pytest.approx(100 * high)
    assert figures["max_band_calibration_gap_pct"] == pytest.approx(0.0)  # healthy only
    assert figures["bands_measured"] == 1
    assert figures["max_band_calibration_gap_all_bands_pct"] == pytest.approx(40.0)
    assert figures["bands_outside_ci"] == 1
