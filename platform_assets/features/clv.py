"""Customer lifetime value: BG/NBD (Fader, Hardie & Lee 2005) and Gamma-Gamma (Fader & Hardie 2013).

Pure numpy/scipy, no Dagster: the inputs are per-customer arrays, the outputs arrays or parameters.
Notation as in the papers: ``x`` repeat purchases (purchase days after the first), ``t_x`` time of
the last purchase and ``T`` the age of the customer, both measured from the first purchase, in any
time unit (the platform uses weeks); ``m`` the mean value of the repeat purchases.
Fits maximise the log-likelihood over log-parameters (all parameters are positive), optionally
weighted (identical customers collapsed, or a sample scaled up).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class BgNbd:
    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float
    n_customers: int


@dataclass(frozen=True)
class GammaGamma:
    p: float
    q: float
    gamma: float
    log_likelihood: float
    n_customers: int


def bgnbd_log_likelihood(
    params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray, weights: np.ndarray | None = None
) -> float:
    """Total BG/NBD log-likelihood (equation 6 of FHL 2005, in logs)."""
    from scipy.special import gammaln

    r, alpha, a, b = params
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
    a3 = -(r + x) * np.log(alpha + T)
    repeat = x > 0
    a4 = np.full_like(a3, -np.inf)
    a4[repeat] = np.log(a) - np.log(b + x[repeat] - 1) - (r + x[repeat]) * np.log(alpha + t_x[repeat])
    ll = a1 + a2 + np.logaddexp(a3, a4)
    return float(np.sum(ll if weights is None else ll * weights))


def _bgnbd_prepared(x: np.ndarray, t_x: np.ndarray, T: np.ndarray, weights: np.ndarray | None):
    """``bgnbd_log_likelihood`` with its data fixed, for the optimiser's calls: the same operations
    element by element (so the same value, to the bit), but the terms that depend on the data only
    through ``x`` (few distinct counts) are computed once per distinct count. Returns the function
    and its gradient function (analytic, in r, alpha, a, b)."""
    from scipy.special import digamma, gammaln

    ux, inverse = np.unique(x, return_inverse=True)
    repeat = x > 0
    x_rep, t_x_rep = x[repeat], t_x[repeat]
    ux_rep, inverse_rep = np.unique(x_rep, return_inverse=True)
    w = np.ones_like(x) if weights is None else weights

    def terms(params: np.ndarray):
        r, alpha, a, b = params
        a1 = gammaln(r + ux)[inverse] - gammaln(r) + r * np.log(alpha)
        a2 = gammaln(a + b) + gammaln(b + ux)[inverse] - gammaln(b) - gammaln(a + b + ux)[inverse]
        a3 = -(r + x) * np.log(alpha + T)
        a4 = np.full_like(a3, -np.inf)
        a4[repeat] = np.log(a) - np.log(b + ux_rep - 1)[inverse_rep] - (r + x_rep) * np.log(alpha + t_x_rep)
        return a1, a2, a3, a4

    def log_likelihood(params: np.ndarray) -> float:
        a1, a2, a3, a4 = terms(params)
        ll = a1 + a2 + np.logaddexp(a3, a4)
        return float(np.sum(ll if weights is None else ll * weights))

    def value_and_gradient(params: np.ndarray) -> tuple[float, np.ndarray]:
        """The log-likelihood (as ``log_likelihood``, to the bit) and its gradient: FHL 2005 (6)
        differentiated term by term; d logaddexp(A3, A4) = s3 dA3 + s4 dA4 with s3 + s4 = 1."""
        r, alpha, a, b = params
        a1, a2, a3, a4 = terms(params)
        mix = np.logaddexp(a3, a4)
        ll = a1 + a2 + mix
        value = float(np.sum(ll if weights is None else ll * weights))
        s3 = np.exp(a3 - mix)
        s4 = (1.0 - s3)[repeat]
        w_rep = w[repeat]
        log_alpha_T = np.log(alpha + T)
        log_alpha_t = np.log(alpha + t_x_rep)
        psi_ab = digamma(a + b)
        psi_abx = digamma(a + b + ux)[inverse]
        ws3 = w * s3
        ws4 = w_rep * s4
        d_r = (
            np.sum(w * (digamma(r + ux)[inverse] - digamma(r)))
            + np.log(alpha) * np.sum(w)
            - np.sum(ws3 * log_alpha_T)
            - np.sum(ws4 * log_alpha_t)
        )
        d_alpha = (
            r / alpha * np.sum(w)
            - np.sum(ws3 * (r + x) / (alpha + T))
            - np.sum(ws4 * (r + x_rep) / (alpha + t_x_rep))
        )
        d_a = np.sum(w * (psi_ab - psi_abx)) + np.sum(ws4) / a
        d_b = np.sum(w * (psi_ab + digamma(b + ux)[inverse] - digamma(b) - psi_abx)) - np.sum(
            ws4 / (b + ux_rep - 1)[inverse_rep]
        )
        return value, np.array([d_r, d_alpha, d_a, d_b])

    log_likelihood.value_and_gradient = value_and_gradient
    return log_likelihood


def _fit(value_and_gradient, start: np.ndarray) -> tuple[np.ndarray, float]:
    """Maximise a log-likelihood given as ``params -> (value, gradient)`` over log-parameters."""
    from scipy.optimize import minimize

    def neg_ll(log_params: np.ndarray) -> tuple[float, np.ndarray]:
        params = np.exp(log_params)
        value, gradient = value_and_gradient(params)
        if not (np.isfinite(value) and np.all(np.isfinite(gradient))):
            return 1e300, np.zeros_like(log_params)
        return -value, -gradient * params  # chain rule: d/d log(theta) = theta d/d theta

    # Log-parameters, bounded to e^-12..e^12: a likelihood that runs off to infinity (e.g. no
    # dropout at all: a, b -> inf) stops at the bound instead of iterating for minutes.
    bounds = [(-12.0, 12.0)] * len(start)
    result = minimize(
        neg_ll,
        np.log(start),
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"maxiter": 500, "ftol": 1e-13, "gtol": 1e-7},
    )
    if not np.isfinite(result.fun):
        raise ValueError("the likelihood is not finite at the optimum: check the inputs (x, t_x, T)")
    return np.exp(result.x), -float(result.fun)


def _validate(x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> None:
    if len(x) == 0:
        raise ValueError("no customers to fit")
    # T = 0 (first purchase on the period's last day) is valid: such a customer adds 0 to the likelihood
    if np.any(x < 0) or np.any(t_x < 0) or np.any(t_x > T + 1e-9) or np.any(T < 0):
        raise ValueError("invalid BG/NBD inputs: need x >= 0 and 0 <= t_x <= T")
    if np.any((x == 0) & (t_x > 0)):
        raise ValueError("invalid BG/NBD inputs: t_x must be 0 when x = 0")


def fit_bgnbd(x, t_x, T, weights=None) -> BgNbd:
    """Maximum-likelihood BG/NBD parameters."""
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    _validate(x, t_x, T)
    w = None if weights is None else np.asarray(weights, dtype=float)
    scale = float(np.mean(T)) or 1.0

    log_likelihood = _bgnbd_prepared(x, t_x, T, w)
    params, ll = _fit(log_likelihood.value_and_gradient, np.array([0.5, scale, 1.0, 2.0]))
    return BgNbd(*map(float, params), log_likelihood=ll, n_customers=int(len(x) if w is None else w.sum()))


def p_alive(model: BgNbd, x, t_x, T) -> np.ndarray:
    """P(customer still active at T | x, t_x, T)  (FHL 2005, equation 11 of the technical note)."""
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    r, alpha, a, b = model.r, model.alpha, model.a, model.b
    log_ratio = (
        np.log(a)
        - np.log(np.maximum(b + x - 1, 1e-300))
        + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
    )
    return np.where(x > 0, 1.0 / (1.0 + np.exp(np.minimum(log_ratio, 700))), 1.0)


def expected_purchases(model: BgNbd, t: float, x, t_x, T) -> np.ndarray:
    """E[Y(t) | x, t_x, T]: expected purchases in the next ``t`` time units (FHL 2005, equation 10)."""
    from scipy.special import hyp2f1

    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    r, alpha, a, b = model.r, model.alpha, model.a, model.b
    z = t / (alpha + T + t)
    hyp = hyp2f1(r + x, b + x, a + b + x - 1, z)
    first = (a + b + x - 1) / (a - 1) * (1 - np.exp((r + x) * np.log((alpha + T) / (alpha + T + t))) * hyp)
    log_ratio = (
        np.log(a)
        - np.log(np.maximum(b + x - 1, 1e-300))
        + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
    )
    denominator = 1.0 + np.where(x > 0, np.exp(np.minimum(log_ratio, 700)), 0.0)
    return first / denominator


def gamma_gamma_log_likelihood(params: np.ndarray, x: np.ndarray, m: np.ndarray, weights=None) -> float:
    """Gamma-Gamma log-likelihood of mean repeat spend ``m`` over ``x`` > 0 purchases (constants kept)."""
    from scipy.special import gammaln

    p, q, gamma = params
    ll = (
        gammaln(p * x + q)
        - gammaln(p * x)
        - gammaln(q)
        + q * np.log(gamma)
        + (p * x - 1) * np.log(m)
        + p * x * np.log(x)
        - (p * x + q) * np.log(gamma + m * x)
    )
    return float(np.sum(ll if weights is None else ll * weights))


def _gamma_gamma_prepared(x: np.ndarray, m: np.ndarray, weights: np.ndarray | None):
    """``gamma_gamma_log_likelihood`` with its data fixed: the same operations element by element,
    the terms in ``x`` alone computed once per distinct count and log(m) once. Carries its
    gradient function (analytic, in p, q, gamma)."""
    from scipy.special import digamma, gammaln

    ux, inverse = np.unique(x, return_inverse=True)
    log_m, log_ux = np.log(m), np.log(ux)
    w = np.ones_like(x) if weights is None else weights
    mx = m * x

    def log_likelihood(params: np.ndarray) -> float:
        p, q, gamma = params
        px = p * x
        pux = p * ux
        ll = (
            gammaln(pux + q)[inverse]
            - gammaln(pux)[inverse]
            - gammaln(q)
            + q * np.log(gamma)
            + (px - 1) * log_m
            + (pux * log_ux)[inverse]
            - (px + q) * np.log(gamma + m * x)
        )
        return float(np.sum(ll if weights is None else ll * weights))

    def value_and_gradient(params: np.ndarray) -> tuple[float, np.ndarray]:
        p, q, gamma = params
        pux = p * ux
        psi_pxq = digamma(pux + q)[inverse]
        log_gmx = np.log(gamma + mx)
        d_p = np.sum(w * x * (psi_pxq - digamma(pux)[inverse] + log_m + log_ux[inverse] - log_gmx))
        d_q = np.sum(w * (psi_pxq - log_gmx)) + (np.log(gamma) - digamma(q)) * np.sum(w)
        d_gamma = q / gamma * np.sum(w) - np.sum(w * (p * x + q) / (gamma + mx))
        return log_likelihood(params), np.array([d_p, d_q, d_gamma])

    log_likelihood.value_and_gradient = value_and_gradient
    return log_likelihood


def fit_gamma_gamma(x, m, weights=None) -> GammaGamma:
    """Maximum-likelihood Gamma-Gamma parameters on repeat customers (x > 0, m > 0)."""
    x, m = np.asarray(x, dtype=float), np.asarray(m, dtype=float)
    if len(x) == 0:
        raise ValueError("no repeat customers to fit the Gamma-Gamma spend model")
    if np.any(x <= 0) or np.any(m <= 0):
        raise ValueError("invalid Gamma-Gamma inputs: need x > 0 repeat purchases and mean spend m > 0")
    w = None if weights is None else np.asarray(weights, dtype=float)

    log_likelihood = _gamma_gamma_prepared(x, m, w)
    params, ll = _fit(log_likelihood.value_and_gradient, np.array([1.0, 1.0, float(np.mean(m))]))
    return GammaGamma(
        *map(float, params), log_likelihood=ll, n_customers=int(len(x) if w is None else w.sum())
    )


def expected_spend(model: GammaGamma, x, m, population_mean_for_new: bool = True) -> np.ndarray:
    """E[M | x, m]: expected value of a future purchase. With no repeat purchase (x = 0) it is the
    population mean p * gamma / (q - 1) (defined for q > 1)."""
    x, m = np.asarray(x, dtype=float), np.asarray(m, dtype=float)
    p, q, gamma = model.p, model.q, model.gamma
    population = p * gamma / (q - 1) if q > 1 else np.nan
    safe_m = np.where(x > 0, m, 0.0)
    conditional = (gamma + safe_m * x) * p / (p * x + q - 1)
    return np.where(x > 0, conditional, population if population_mean_for_new else np.nan)
