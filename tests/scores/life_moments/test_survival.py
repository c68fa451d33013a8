"""Life-moment models, pure parts: outcomes, at-risk set, Cox fit on generated data, validation figures."""

from datetime import date

import numpy as np
import polars as pl
import pytest

from platform_assets.scores.life_moments import survival

CUTOFF = date(2026, 1, 1)


def test_outcomes_count_the_first_entry_in_the_follow_up_and_censor_the_rest():
    rows = pl.DataFrame({"customer_id": ["a", "b", "c", "d"], "business_unit": ["FR"] * 4})
    entries = pl.DataFrame(
        {
            "customer_id": ["a", "a", "b", "c", "d"],
            "moment": ["moving", "moving", "moving", "moving", "renovation"],
            "entry_date": [
                date(2026, 1, 11),
                date(2026, 3, 1),
                date(2026, 8, 1),
                date(2025, 12, 1),
                date(2026, 1, 5),
            ],
        }
    )
    out = survival.outcomes(rows, entries, "moving", CUTOFF, 180).sort("customer_id")
    assert out["event"].to_list() == [1, 0, 0, 0]
    assert out["duration"].to_list() == [10.0, 180.0, 180.0, 180.0]
    # c entered a month before the cutoff: in the moment now, not at risk of entering it.
    assert survival.at_risk(rows, entries, "moving", CUTOFF)["customer_id"].to_list() == ["a", "b", "d"]


def _cohort(n: int, seed: int) -> pl.DataFrame:
    """Covariate rows where the hazard of moving grows with the moving signals of the last 30 days."""
    rng = np.random.default_rng(seed)
    signals = rng.poisson(0.3, n)
    cov = pl.DataFrame(
        {
            "customer_id": [f"C{i}" for i in range(n)],
            "business_unit": rng.choice(["FR", "GB", "PL"], n),
            "visits_90d": rng.poisson(2, n),
            "visits_prior_90d": rng.poisson(2, n),
            "visits_12m": rng.poisson(8, n),
            "recency_days": rng.integers(1, 300, n),
            "moving_signal_lines_30d": signals,
            "moving_signal_lines_90d": signals + rng.poisson(0.3, n),
            "moving_department_share_12m": rng.uniform(0, 1, n),
            "age_years": rng.integers(20, 80, n),
            "tenure_days": rng.integers(10, 900, n),
        }
    )
    hazard = 0.0008 * np.exp(1.5 * np.log1p(signals))
    time_to = rng.exponential(1 / hazard)
    days = np.minimum(time_to, 180)
    return survival.design(cov, "moving", ("FR", "GB", "PL")).with_columns(
        duration=pl.Series(np.maximum(np.ceil(days), 1)), event=pl.Series((time_to < 180).astype(np.int8))
    )


def test_cox_learns_the_signal_and_its_probabilities_rank_true_entries():
    train, test = _cohort(4000, seed=1), _cohort(4000, seed=2)
    fitted = survival.fit(train, "moving", CUTOFF, 180)
    assert fitted.cox.params_["log_moving_signals_30d"] > 0.5
    assert set(fitted.baseline_follow) == {"FR", "GB", "PL"}
    p = survival.probability(fitted, test, CUTOFF)
    assert ((p >= 0) & (p <= 1)).all()
    within = test["event"].to_numpy() * (test["duration"].to_numpy() < 90)
    figures = survival.validate(p, np.minimum(test["duration"].to_numpy(), 90), within)
    assert figures["concordance"] > 0.6
    assert figures["top5_precision_ratio"] > 2


def test_a_moment_with_too_few_entries_falls_back_to_its_baselines_and_says_so():
    train = _cohort(300, seed=3)
    first_two = pl.int_range(pl.len()) < 2
    train = train.with_columns(
        event=first_two.cast(pl.Int8), duration=pl.when(first_two).then(30.0).otherwise(180.0)
    )
    fitted = survival.fit(train, "moving", CUTOFF, 180)
    assert fitted.cox is None
    assert fitted.note.startswith("life moment moving: only 2 observed entries after 2026-01-01 among 300")
    p = survival.probability(fitted, train, CUTOFF)
    expected = [survival.baseline(fitted, bu, CUTOFF) for bu in train["business_unit"]]
    np.testing.assert_allclose(p, expected)
    assert 0 < max(expected) < 0.1
    # No season: 90 of the 180 days' hazard, 1 - (1 - P(within 180 days)) ** (1 / 2).
    fr = fitted.baseline_follow["FR"]
    assert survival.baseline(fitted, "FR", CUTOFF) == pytest.approx(1 - (1 - fr) ** 0.5)


def test_a_seasonal_moment_is_likelier_in_its_season_and_ranks_customers_the_same():
    spring = tuple(3.0 if month in (3, 4, 5) else 0.4 for month in range(1, 13))
    fitted = survival.fit(_cohort(4000, seed=1), "moving", date(2026, 1, 1), 180, spring)
    test = _cohort(2000, seed=2)
    april, november = (survival.probability(fitted, test, date(2026, m, 1)) for m in (4, 11))
    assert (april > november).all() and (november > 0).all()
    np.testing.assert_array_equal(np.argsort(april, kind="stable"), np.argsort(november, kind="stable"))
    # The fitted follow-up (January to June) holds the spring: November's window has far less of it.
    assert november.mean() < 0.5 * april.mean()


def test_validation_figures_follow_their_definitions():
    prob = np.linspace(1, 0, 40)
    event = np.zeros(40, dtype=np.int8)
    event[[0, 1, 20, 39]] = 1
    figures = survival.validate(prob, np.full(40, 90.0) - 80 * event, event)
    assert figures["base_rate"] == pytest.approx(0.1)
    assert figures["top5_precision"] == 1.0  # top 5 % = the first two
    assert figures["top5_precision_ratio"] == pytest.approx(10.0)
