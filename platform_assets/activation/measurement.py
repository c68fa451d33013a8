"""Campaign measurement: treatment against control, in money, with a 95 % confidence interval.

Per campaign the unit is the customer: y = their net revenue (sales lines not cancelled, returns
deducted) booked in the measurement window [sent_on, sent_on + measurement_days). Then

  incremental revenue per customer   d = mean_T - mean_C
  its 95 % interval                  d +/- t(0.975, Welch df) * sqrt(s_T^2/n_T + s_C^2/n_C)   (Welch)
  incremental revenue                d * n_T (the treated are the ones it was earned on), same interval x n_T
  relative uplift                    d / mean_C; interval by the delta method on log(mean_T/mean_C):
                                     exp(log R +/- z * sqrt(s_T^2/(n_T mean_T^2) + s_C^2/(n_C mean_C^2))) - 1
  conversion                         share of customers with a purchase (a sold, not cancelled line) in the window
  cost                               n_T * cost per contact (holdouts cost nothing)
  ROI                                (incremental revenue - cost) / cost

Welch rather than a bootstrap: revenue per customer is skewed (many zeros, a long tail), but with
hundreds of customers per group the mean is close to normal, Welch is exact to compute at a million
customers and its coverage is checked on simulated data with a known effect (tests/activation).
The log scale keeps the relative interval asymmetric like the ratio itself. Pure numpy/scipy
(scipy imported when a campaign is measured, not when the code location loads).

Beside it, the regression-adjusted difference (CUPED, Deng et al. 2013) on pre-period behaviour x
(each member's net revenue in the ``PRE_PERIOD_DAYS`` before the send, both groups alike):

  theta = cov(y, x) / var(x)            pooled over both groups (the groups are randomised: x is
                                        independent of the assignment, so the estimate stays unbiased)
  y'    = y - theta * (x - mean(x))     the part of the revenue the past does not predict
  d'    = mean_T(y') - mean_C(y')       with its Welch interval on y', as above

Var(d') = Var(d) * (1 - rho^2), rho = corr(y, x): the interval shrinks as much as the past predicts the
window's revenue, and not at all when it does not (then theta ~ 0 and d' ~ d).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

LEVEL = 0.95
MIN_GROUP = 2  # below this in either group there is no variance: figures without an interval
PRE_PERIOD_DAYS = 365  # CUPED's covariate: net revenue in the year before the send (set a priori)


@dataclass(frozen=True)
class Uplift:
    treated: int
    control: int
    revenue_per_customer_treatment: float | None
    revenue_per_customer_control: float | None
    incremental_revenue_per_customer: float | None
    incremental_revenue_per_customer_ci_low: float | None
    incremental_revenue_per_customer_ci_high: float | None
    relative_uplift: float | None
    relative_uplift_ci_low: float | None
    relative_uplift_ci_high: float | None
    conversion_rate_treatment: float | None
    conversion_rate_control: float | None
    p_value: float | None


def _mean(values: np.ndarray) -> float | None:
    return float(values.mean()) if values.size else None


def uplift(
    treatment: np.ndarray,
    control: np.ndarray,
    converted_treatment: np.ndarray | None = None,
    converted_control: np.ndarray | None = None,
    level: float = LEVEL,
) -> Uplift:
    """Treatment-minus-control revenue per customer with its Welch interval, and the relative uplift.

    treatment, control: revenue per customer of each group over the window (zeros included);
    converted_*: whether each customer bought in the window (default: revenue above zero)."""
    from scipy import stats  # ~2.7 s to import: only when a campaign is measured

    t = np.asarray(treatment, dtype=np.float64)
    c = np.asarray(control, dtype=np.float64)
    mt, mc = _mean(t), _mean(c)
    bought_t = t > 0 if converted_treatment is None else np.asarray(converted_treatment, dtype=bool)
    bought_c = c > 0 if converted_control is None else np.asarray(converted_control, dtype=bool)
    conv_t = float(bought_t.mean()) if t.size else None
    conv_c = float(bought_c.mean()) if c.size else None
    diff = mt - mc if mt is not None and mc is not None else None
    low = high = rel = rel_low = rel_high = p = None
    if t.size >= MIN_GROUP and c.size >= MIN_GROUP:
        vt, vc = t.var(ddof=1) / t.size, c.var(ddof=1) / c.size
        se = math.sqrt(vt + vc)
        if se > 0:
            df = (vt + vc) ** 2 / ((vt**2 / (t.size - 1) if vt else 0) + (vc**2 / (c.size - 1) if vc else 0))
            q = float(stats.t.ppf(0.5 + level / 2, df))
            low, high = diff - q * se, diff + q * se
            p = float(2 * stats.t.sf(abs(diff) / se, df))
        else:
            low = high = diff
        if mc and mc > 0 and mt and mt > 0:
            rel = mt / mc - 1
            z = float(stats.norm.ppf(0.5 + level / 2))
            se_log = math.sqrt(vt / mt**2 + vc / mc**2)
            rel_low = math.exp(math.log(mt / mc) - z * se_log) - 1
            rel_high = math.exp(math.log(mt / mc) + z * se_log) - 1
    elif mc:
        rel = (mt / mc - 1) if mt is not None else None
    return Uplift(
        int(t.size),
        int(c.size),
        mt,
        mc,
        diff,
        low,
        high,
        rel,
        rel_low,
        rel_high,
        conv_t,
        conv_c,
        p,
    )


@dataclass(frozen=True)
class Adjusted:
    """The CUPED estimate of incremental revenue per customer (treatment - control) and its interval."""

    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    theta: float | None  # regression slope of y on x
    correlation: float | None  # corr(y, x) over both groups


def _welch(t: np.ndarray, c: np.ndarray, level: float) -> tuple[float, float, float]:
    """(difference of means, lower, upper) with the Welch interval; needs two values per group."""
    from scipy import stats

    diff = float(t.mean() - c.mean())
    vt, vc = t.var(ddof=1) / t.size, c.var(ddof=1) / c.size
    se = math.sqrt(vt + vc)
    if se == 0:
        return diff, diff, diff
    df = (vt + vc) ** 2 / ((vt**2 / (t.size - 1) if vt else 0) + (vc**2 / (c.size - 1) if vc else 0))
    q = float(stats.t.ppf(0.5 + level / 2, df))
    return diff, diff - q * se, diff + q * se


def cuped(
    treatment: np.ndarray,
    control: np.ndarray,
    treatment_pre: np.ndarray,
    control_pre: np.ndarray,
    level: float = LEVEL,
) -> Adjusted:
    """Incremental revenue per customer adjusted on the pre-period covariate (CUPED), with its Welch
    interval. treatment/control: revenue per customer in the window; *_pre: the same customers'
    pre-period covariate, in the same order. Without variance in x the adjustment is none (theta 0)."""
    t, c = np.asarray(treatment, dtype=np.float64), np.asarray(control, dtype=np.float64)
    xt, xc = np.asarray(treatment_pre, dtype=np.float64), np.asarray(control_pre, dtype=np.float64)
    if xt.shape != t.shape or xc.shape != c.shape:
        raise ValueError(
            f"cuped: {t.size}/{c.size} window values but {xt.size}/{xc.size} pre-period values (treatment/control)"
        )
    if t.size < MIN_GROUP or c.size < MIN_GROUP:
        estimate = float(t.mean() - c.mean()) if t.size and c.size else None
        return Adjusted(estimate, None, None, None, None)
    y, x = np.concatenate([t, c]), np.concatenate([xt, xc])
    var_x = float(x.var(ddof=1))
    cov = float(np.cov(y, x, ddof=1)[0, 1])
    theta = cov / var_x if var_x > 0 else 0.0
    var_y = float(y.var(ddof=1))
    rho = cov / math.sqrt(var_x * var_y) if var_x > 0 and var_y > 0 else None
    mean_x = float(x.mean())
    estimate, low, high = _welch(t - theta * (xt - mean_x), c - theta * (xc - mean_x), level)
    return Adjusted(estimate, low, high, theta, rho)


def roi(incremental_revenue: float | None, cost: float) -> float | None:
    if incremental_revenue is None or cost <= 0:
        return None
    return (incremental_revenue - cost) / cost
