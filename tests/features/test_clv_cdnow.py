"""BG/NBD and Gamma-Gamma reproduce the published CDNOW results (Fader, Hardie & Lee 2005; Fader &
Hardie 2013) on the real CDNOW sample in ../shared/datasets/cdnow/."""

from datetime import date
from pathlib import Path

import numpy as np
import pytest

from platform_assets.features import clv

CDNOW = Path(__file__).resolve().parents[2].parent / "shared" / "datasets" / "cdnow" / "CDNOW_sample.txt"
CALIBRATION_END = date(1997, 9, 30)


def _purchase_days() -> dict[str, list[tuple[date, float]]]:
    """Customer -> sorted (day, value) with several orders of one day summed: one transaction = one day."""
    assert CDNOW.exists(), f"CDNOW sample missing: {CDNOW}"
    days: dict[tuple[str, date], float] = {}
    for line in CDNOW.read_text().splitlines():
        master, _, day, _, value = line.split()
        key = (master, date(int(day[:4]), int(day[4:6]), int(day[6:])))
        days[key] = days.get(key, 0.0) + float(value)
    customers: dict[str, list[tuple[date, float]]] = {}
    for (master, day), value in sorted(days.items()):
        customers.setdefault(master, []).append((day, value))
    return customers


@pytest.fixture(scope="module")
def calibration():
    x, t_x, T, m, holdout = [], [], [], [], 0
    for purchases in _purchase_days().values():
        calib = [p for p in purchases if p[0] <= CALIBRATION_END]
        holdout += len(purchases) - len(calib)
        first, last = calib[0][0], calib[-1][0]
        x.append(len(calib) - 1)
        t_x.append((last - first).days / 7)
        T.append((CALIBRATION_END - first).days / 7)
        m.append(np.mean([v for _, v in calib[1:]]) if len(calib) > 1 else 0.0)
    return (*(np.array(v) for v in (x, t_x, T, m)), holdout)


def test_bgnbd_reproduces_the_published_cdnow_parameters(calibration):
    x, t_x, T, _, _ = calibration
    assert len(x) == 2357
    model = clv.fit_bgnbd(x, t_x, T)
    assert (round(model.r, 3), round(model.alpha, 3), round(model.a, 3), round(model.b, 3)) == (
        0.243,
        4.414,
        0.793,
        2.426,
    )
    assert round(model.log_likelihood, 1) == -9582.4


def test_bgnbd_reproduces_the_worked_example_and_the_holdout_total(calibration):
    x, t_x, T, _, holdout = calibration
    model = clv.fit_bgnbd(x, t_x, T)
    [worked] = clv.expected_purchases(model, 39, [2], [30.43], [38.86])
    assert round(float(worked), 3) == 1.226
    # FHL 2005 (figure 2): the model tracks the 1,882 holdout repeat purchases within about 15 %.
    assert holdout == 1882
    predicted = clv.expected_purchases(model, 39, x, t_x, T).sum()
    assert abs(predicted - holdout) / holdout < 0.15
    alive = clv.p_alive(model, x, t_x, T)
    assert np.all((alive > 0) & (alive <= 1)) and np.all(alive[x == 0] == 1)


def test_gamma_gamma_reproduces_the_published_cdnow_parameters(calibration):
    x, _, _, m, _ = calibration
    repeat = x > 0
    assert repeat.sum() == 946
    model = clv.fit_gamma_gamma(x[repeat], m[repeat])
    assert (round(model.p, 2), round(model.q, 2), round(model.gamma, 2)) == (6.25, 3.74, 15.44)
    spend = clv.expected_spend(model, x[repeat], m[repeat])
    # shrinkage: every conditional expectation lies between the customer's mean and the population's
    population = model.p * model.gamma / (model.q - 1)
    assert np.all((spend - m[repeat]) * (spend - population) <= 1e-9)


def test_weights_give_the_same_fit_as_repeated_customers(calibration):
    x, t_x, T, _, _ = calibration
    rows = np.stack([x, np.round(t_x, 6), np.round(T, 6)], axis=1)
    unique, counts = np.unique(rows, axis=0, return_counts=True)
    weighted = clv.fit_bgnbd(unique[:, 0], unique[:, 1], unique[:, 2], weights=counts)
    assert len(unique) < len(x)
    assert round(weighted.r, 3) == 0.243 and round(weighted.b, 2) == 2.43


def test_bad_inputs_are_rejected_with_a_clear_error():
    with pytest.raises(ValueError, match="t_x <= T"):
        clv.fit_bgnbd([1, 2], [5.0, 3.0], [4.0, 10.0])
    with pytest.raises(ValueError, match="mean spend m > 0"):
        clv.fit_gamma_gamma([1, 2], [10.0, -1.0])
    with pytest.raises(ValueError, match="no customers"):
        clv.fit_bgnbd([], [], [])
