"""The CLV fit's fast likelihoods: the prepared BG/NBD and Gamma-Gamma log-likelihoods equal the
plain ones to the bit, and their analytic gradients match finite differences."""

import numpy as np
from scipy.optimize import approx_fprime

from platform_assets.features import clv


def _customers(seed: int, n: int):
    """Random (x, t_x, T, weights, m) of n customers: repeat purchases, their span and age in weeks,
    row weights and mean repeat spend."""
    rng = np.random.default_rng(seed)
    x = rng.poisson(1.5, n).astype(float)
    T = rng.uniform(1, 150, n)
    t_x = np.where(x > 0, rng.uniform(0, 1, n) * T, 0.0)
    return x, t_x, T, rng.integers(1, 5, n).astype(float), rng.gamma(2, 30, n)


def test_the_prepared_likelihoods_are_the_same_to_the_bit():
    x, t_x, T, weights, m = _customers(seed=7, n=5000)
    for params in ([0.5, 10, 1, 2], [0.243, 4.414, 0.793, 2.426], [3.1, 0.2, 7.0, 0.01]):
        for w in (None, weights):
            p = np.array(params)
            assert clv._bgnbd_prepared(x, t_x, T, w)(p) == clv.bgnbd_log_likelihood(p, x, t_x, T, w)
    repeat = x > 0
    for params in ([1, 1, 30], [6.25, 3.74, 15.44], [0.1, 9, 0.5]):
        p = np.array(params)
        assert clv._gamma_gamma_prepared(x[repeat], m[repeat], None)(p) == clv.gamma_gamma_log_likelihood(
            p, x[repeat], m[repeat]
        )


def test_the_analytic_gradients_match_finite_differences():
    x, t_x, T, weights, m = _customers(seed=11, n=3000)
    repeat = x > 0
    cases = [
        (clv._bgnbd_prepared(x, t_x, T, w), p)
        for w in (None, weights)
        for p in ([0.5, 10, 1, 2], [0.243, 4.414, 0.793, 2.426])
    ] + [
        (clv._gamma_gamma_prepared(x[repeat], m[repeat], w), p)
        for w in (None, weights[repeat])
        for p in ([1, 1, 30], [6.25, 3.74, 15.44])
    ]
    for log_likelihood, params in cases:
        p = np.array(params, dtype=float)
        value, gradient = log_likelihood.value_and_gradient(p)
        assert value == log_likelihood(p)
        numeric = approx_fprime(p, log_likelihood, 1e-6 * p)
        np.testing.assert_allclose(gradient, numeric, rtol=1e-4)
