"""Churn model, pure: horizon, population, design matrix, calibrated logistic regression, bands,
drivers, backtest.

A customer has churned over a horizon when they make no purchase in the ``horizon`` days after a
cutoff. The model is one logistic regression for the group on standardised indicators (so each
customer's contribution of a feature is coefficient x standardised value: the drivers), calibrated
for the group by a Platt sigmoid on its out-of-fold scores (the same calibration in the backtest and in
production; per-unit sigmoids followed each unit's noise and did worse out of time, as measured in
issue 8: see the git history of churn/README.md).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from platform_assets.scores.churn.data import RECENT_DAYS
from platform_assets.scores.churn.playbook import BANDS, band_lows

if TYPE_CHECKING:  # scikit-learn is imported when a model is fitted, not when the code location loads
    from sklearn.pipeline import Pipeline

    from platform_assets.lib.estimators import ModelSpec
    from platform_assets.lib.retailer import ChurnUnitSettings

# Churn needs a habit to break: customers with at least this many purchase days, the latest within
# the horizon. One-time buyers (RFM "New") and customers silent beyond the horizon (already churned:
# RFM "Lost", "Hibernating") are left to the RFM playbook.
MIN_PURCHASE_DAYS = 3
# ... and a pace the horizon can judge: their own mean gap between purchase days is at most this
# share of the horizon (they would normally buy three times or more in it). For slower buyers a
# silence over the horizon is mostly their normal pace, not a broken habit (measured on the demo's
# ground truth).
MAX_GAP_SHARE_OF_HORIZON = 1 / 3
# The calibration target: predicted and observed churn per band within this many points. A band's
# observed rate is a binomial proportion: the gap is judged where that proportion is measured to
# within the target at 95 % confidence, i.e. the band holds at least z^2 p (1 - p) / margin^2
# customers for its predicted rate p (the survey sample-size formula: 350 at p = 0.35, 138 at 0.1).
# Below that a perfectly calibrated model misses the target by chance more than 1 time in 20; such a
# band is still reported (predicted, observed, 95 % interval) and counted when its interval excludes
# the prediction (``bands_outside_ci``).
CALIBRATION_TARGET_POINTS = 5.0
Z_95 = 1.959964
MIN_BAND_CUSTOMERS = 30  # the bands of the descriptive all-bands gap
# churners and returners a model needs (five folds)
MIN_OUTCOMES = 5
# The champion's model is the retailer's churn.model (lib/retailer.py): the demo's logistic regression
# with C = 0.01 on standardised features. Strong for a few thousand training rows: out of time (the
# model is always applied a horizon later than its training window) shrunken coefficients ranked
# better on every backtest pair measured (issue 8); the penalty weighs less as the training set grows.
# Silence surprise, the data term of the BG/NBD odds of having stopped (Fader, Hardie & Lee 2005):
# (r + x) log((alpha + T) / (alpha + t_x)), x repeat purchase days, t_x the latest and T the cutoff in
# days from the first purchase: how unlikely the current silence is for someone who bought x + 1 times
# in t_x days if they were still active. r and alpha are a weak gamma prior on the customer's pace
# (one purchase per month), not fitted: the logistic regression weighs the term.
SURPRISE_R = 1.0
SURPRISE_ALPHA_DAYS = 30.0

# feature -> (wording when the customer is above the average, wording when below)
WORDING = {
    "log_recency": ("no purchase for a long time", "bought recently"),
    "log_frequency": ("many purchases over the years", "few purchases in total"),
    "log_frequency_12m": ("buys often this year", "few purchases this year"),
    "log_orders_last_90d": ("several visits in the last 3 months", "few visits in the last 3 months"),
    "visit_trend": ("visits rising versus the 3 months before", "visits falling versus the 3 months before"),
    "spend_trend": ("spend rising versus the 3 months before", "spend falling versus the 3 months before"),
    "log_gap_ratio": ("late on their usual purchase rhythm", "on their usual purchase rhythm"),
    "log_mean_gap": ("long gaps between purchases", "short gaps between purchases"),
    "log_expected_purchases": (
        "usually buys many times within the horizon",
        "usually buys few times within the horizon",
    ),
    "gap_trend": ("gaps between purchases getting longer", "gaps between purchases getting shorter"),
    "single_purchase_day": ("bought on one day only", "came back after the first purchase"),
    "email_open_rate": ("opens our e-mails", "rarely opens our e-mails"),
    "no_email_received": ("not reached by e-mail", "reached by e-mail"),
    "log_days_since_open": ("has not opened an e-mail for long", "opened an e-mail recently"),
    "has_unsubscribed": ("unsubscribed from e-mails", "subscribed to e-mails"),
    "return_rate": ("returns many items", "rarely returns items"),
    "discount_rate": ("buys mostly on discount", "buys at full price"),
    "entry_spend_share": ("trades down to entry-level products", "few entry-level products"),
    "premium_spend_share": ("buys premium products", "few premium products"),
    "web_spend_share": ("buys mostly online", "buys mostly in store"),
    "distinct_departments": ("buys across many departments", "buys from few departments"),
    "log_tenure": ("long-standing customer", "recent customer"),
    "has_loyalty_card": ("holds a loyalty card", "no loyalty card"),
    "basket_trend": ("bigger baskets this year", "smaller baskets this year"),
    # the last three purchase days against the earlier ones (data.behaviour_as_of)
    "promo_shift": ("uses more promotions lately", "uses fewer promotions lately"),
    "entry_shift": ("trades down to entry-level lately", "buys fewer entry-level products lately"),
    "premium_shift": ("buys more premium lately", "buys less premium lately"),
    "basket_shift": ("bigger baskets lately", "smaller baskets lately"),
    "return_shift": ("returns more lately", "returns less lately"),
    "gap_shift": ("latest gaps longer than usual", "latest gaps shorter than usual"),
    "pace_vs_usual": ("buys more often than usual lately", "buys less often than usual lately"),
    "recent_open_rate": ("opens our recent e-mails", "stopped opening our e-mails"),
    "open_shift": ("opens more e-mails than before", "opens fewer e-mails than before"),
    "silence_surprise": ("silent for longer than their pace explains", "silence in line with their pace"),
    # counts on the last three purchase days: the evidence of the drift grows with every line, which
    # a difference of shares (above) does not say
    "discounted_last": ("many promotions on the latest visits", "few promotions on the latest visits"),
    "entry_last": ("many entry-level products on the latest visits", "few entry-level products lately"),
    "premium_last": ("premium products on the latest visits", "few premium products lately"),
    "returned_last": ("returned items from the latest visits", "kept what they bought lately"),
    "lines_last": ("many items on the latest visits", "few items on the latest visits"),
    # browsing, with a web source (data.browsing_as_of): the drift shows as fewer web visits too
    "seen_on_web": ("browses our web shop", "not seen on our web shop"),
    "log_web_sessions_30d": ("web visits in the last month", "no web visit in the last month"),
    "log_web_sessions_90d": (
        "several web visits in the last 3 months",
        "few web visits in the last 3 months",
    ),
    "web_session_pace": ("browses more than usual lately", "browses less than usual lately"),
    "log_days_since_session": ("no web visit for a long time", "visited the web shop recently"),
    "log_email_click_sessions_90d": ("clicks through our e-mails", "no click in our e-mails lately"),
    "email_click_shift": ("clicks our e-mails more than before", "clicks our e-mails less than before"),
}
BROWSING_FEATURES = [
    "seen_on_web",
    "log_web_sessions_30d",
    "log_web_sessions_90d",
    "web_session_pace",
    "log_days_since_session",
    "log_email_click_sessions_90d",
    "email_click_shift",
]
FEATURES = [f for f in WORDING if f not in BROWSING_FEATURES]  # purchases, e-mails, profile
# The pace of web sessions is compared with the customer's own when this many days of web history
# come before the last 90 days (else 0: unknown).
MIN_PACE_DAYS = 30
LAST_VISIT_COUNTS = ("discounted", "entry", "premium", "returned", "lines")


class TooFewOutcomes(ValueError):
    """Not enough churners or returners to train."""


@dataclass
class ChurnModel:
    business_unit: str
    horizon_days: int
    version: str
    pipeline: Pipeline  # the configured estimator (scaled first when linear), fitted on every training row
    # "ALL" -> (slope, intercept) of the Platt sigmoid on the group's out-of-fold scores
    calibration: dict[str, tuple[float, float]]
    features: list[str]
    pooled: bool = True  # trained on every business unit's customers
    training_size: int = 0
    training_churn_rate: float = float("nan")
    # AUC of the 5-fold out-of-fold scores on the training rows (data each fold's model did not see)
    out_of_fold_auc: float = float("nan")
    # lowest score of attention, moderate risk and high risk in the unit it scores (its churn settings)
    band_cutoffs: tuple[int, ...] = ()
    estimator: str = "logistic_regression"  # ModelSpec.label() of the pipeline's estimator
    # for an estimator without coefficients: a logistic regression fitted on the same rows, whose
    # contributions word the drivers (the reasons stay readable whichever model ranks)
    surrogate: Pipeline | None = None

    @property
    def explainer(self) -> Pipeline:
        """The logistic regression whose contributions are the drivers, scaler first."""
        return self.surrogate if self.surrogate is not None else self.pipeline


def horizon_days(gaps: pl.Series, settings: ChurnUnitSettings) -> int:
    """The churn horizon of one business unit: its configured one, else learned from its
    inter-purchase gaps (days): their ``horizon_quantile``, rounded up to 30 days, within the bounds."""
    if settings.horizon_days is not None:
        return settings.horizon_days
    shortest, longest = settings.horizon_bounds_days
    if gaps.len() == 0:
        return longest
    q = float(gaps.quantile(settings.horizon_quantile, "higher"))
    return int(min(max(math.ceil(q / 30) * 30, shortest), longest))


def eligible(profile: pl.DataFrame, horizon: int) -> pl.DataFrame:
    """The customers the churn score is for: an established habit, still active within the horizon."""
    return profile.filter(
        (pl.col("purchase_days_lifetime") >= MIN_PURCHASE_DAYS)
        & (pl.col("recency_days") <= horizon)
        & (pl.col("mean_days_between_purchases") <= horizon * MAX_GAP_SHARE_OF_HORIZON)
    )


def design(
    profile: pl.DataFrame, behaviour: pl.DataFrame, horizon: int, web: pl.DataFrame | None = None
) -> pl.DataFrame:
    """customer_id, business_unit and the model's features (no nulls) from profile indicators and
    the latest purchases vs the earlier ones (``data.behaviour_as_of``, same date); with ``web``
    (``data.browsing_as_of``, same date) the BROWSING_FEATURES too."""

    def log1p(c: str) -> pl.Expr:
        return pl.col(c).cast(pl.Float64).clip(0).log1p()

    gap_ratio = pl.col("expected_gap_ratio").cast(pl.Float64)
    recency = pl.col("recency_days").cast(pl.Float64)
    active_days = pl.col("days_since_first_purchase").cast(pl.Float64) - recency  # t_x
    repeats = (pl.col("purchase_days_lifetime").cast(pl.Float64) - 1).clip(0)  # x
    indicators = profile.select(
        "customer_id",
        "business_unit",
        log1p("recency_days").alias("log_recency"),
        log1p("frequency_lifetime").alias("log_frequency"),
        log1p("frequency_12m").alias("log_frequency_12m"),
        log1p("orders_last_90d").alias("log_orders_last_90d"),
        (log1p("orders_last_90d") - log1p("orders_prior_90d")).alias("visit_trend"),
        (log1p("spend_last_90d") - log1p("spend_prior_90d")).alias("spend_trend"),
        # One purchase day: no rhythm yet; recency over a year stands in for the ratio.
        gap_ratio.fill_null(pl.col("recency_days") / 365).clip(0).log1p().alias("log_gap_ratio"),
        log1p("mean_days_between_purchases").fill_null(math.log1p(365)).alias("log_mean_gap"),
        # purchases the customer's own pace would bring within the unit's horizon
        (horizon / pl.col("mean_days_between_purchases").cast(pl.Float64).clip(1))
        .fill_null(1)
        .log()
        .alias("log_expected_purchases"),
        ((repeats + SURPRISE_R) * (recency / (active_days.clip(0) + SURPRISE_ALPHA_DAYS)).log1p())
        .fill_null(0)
        .alias("silence_surprise"),
        pl.col("trend_days_between_purchases").cast(pl.Float64).fill_null(0).clip(-60, 60).alias("gap_trend"),
        pl.col("mean_days_between_purchases").is_null().cast(pl.Float64).alias("single_purchase_day"),
        pl.col("email_open_rate_12m").cast(pl.Float64).fill_null(0).alias("email_open_rate"),
        pl.col("email_open_rate_12m").is_null().cast(pl.Float64).alias("no_email_received"),
        log1p("days_since_last_email_open").fill_null(math.log1p(730)).alias("log_days_since_open"),
        pl.col("has_unsubscribed").fill_null(False).cast(pl.Float64),
        pl.col("return_rate").cast(pl.Float64).fill_null(0).clip(0, 1),
        pl.col("discount_rate").cast(pl.Float64).fill_null(0),
        pl.col("entry_spend_share").cast(pl.Float64).fill_null(0),
        pl.col("premium_spend_share").cast(pl.Float64).fill_null(0),
        pl.col("web_spend_share").cast(pl.Float64).fill_null(0),
        pl.col("distinct_departments").cast(pl.Float64).fill_null(0),
        log1p("tenure_days").fill_null(0).alias("log_tenure"),
        pl.col("has_loyalty_card").fill_null(False).cast(pl.Float64),
        (log1p("avg_basket_value_12m").fill_null(0) - log1p("avg_basket_value").fill_null(0)).alias(
            "basket_trend"
        ),
    )
    features = FEATURES if web is None else [*FEATURES, *BROWSING_FEATURES]
    frame = indicators.join(_shifts(behaviour), on="customer_id", how="left")
    if web is not None:
        frame = frame.join(_browsing(web), on="customer_id", how="left", maintain_order="left").with_columns(
            # not seen on the web before the date: as long ago as the year looked at
            pl.col("log_days_since_session").fill_null(math.log1p(365))
        )
    return frame.select(
        "customer_id", "business_unit", *[pl.col(f).cast(pl.Float64).fill_null(0) for f in features]
    ).fill_nan(0)


def _browsing(web: pl.DataFrame) -> pl.DataFrame:
    """Web sessions lately, against the customer's own pace over the web history before them, days
    since the last session, sessions opened from an e-mail (lately and against before)."""

    def log1p(c: str) -> pl.Expr:
        return pl.col(c).cast(pl.Float64).clip(0).log1p()

    known = pl.col("web_known_days_before").cast(pl.Float64)

    def pace(recent: str, before: str) -> pl.Expr:
        shift = ((pl.col(recent) + 0.5) / 90).log() - ((pl.col(before) + 0.5) / known.clip(1)).log()
        return pl.when(known >= MIN_PACE_DAYS).then(shift).otherwise(0.0)

    return web.select(
        "customer_id",
        pl.lit(1.0).alias("seen_on_web"),
        log1p("web_sessions_30d").alias("log_web_sessions_30d"),
        log1p("web_sessions_90d").alias("log_web_sessions_90d"),
        pace("web_sessions_90d", "web_sessions_before").alias("web_session_pace"),
        log1p("days_since_last_session").alias("log_days_since_session"),
        log1p("email_click_sessions_90d").alias("log_email_click_sessions_90d"),
        pace("email_click_sessions_90d", "email_click_sessions_before").alias("email_click_shift"),
    )


def _shifts(behaviour: pl.DataFrame) -> pl.DataFrame:
    """Latest purchase days vs the earlier ones, as differences of smoothed shares (a customer with
    few lines on either side stays near 0), and the recent pace and e-mail opens vs before."""

    def share(part: str, side: str, prior: float) -> pl.Expr:
        return (pl.col(f"{part}_{side}").fill_null(0) + prior) / (pl.col(f"lines_{side}").fill_null(0) + 2)

    def shift(part: str, prior: float) -> pl.Expr:
        return share(part, "last", prior) - share(part, "early", prior)

    def per_day(side: str) -> pl.Expr:
        return ((pl.col(f"lines_{side}").fill_null(0) + 2) / (pl.col(f"days_{side}").fill_null(0) + 1)).log()

    def open_rate(side: str) -> pl.Expr:
        return (pl.col(f"opened_{side}") + 0.3) / (pl.col(f"sent_{side}") + 1)

    known = (pl.col("reference_date") - pl.col("first_day")).dt.total_days().cast(pl.Float64)
    usual = (pl.col("days_before_recent") + 0.5) / (known - RECENT_DAYS).clip(60, 610)
    recent = (pl.col("days_recent") + 0.5) / RECENT_DAYS
    gap_last, gap_early = pl.col("gap_last").cast(pl.Float64), pl.col("gap_early").cast(pl.Float64)
    return behaviour.select(
        "customer_id",
        shift("discounted", 0.3).alias("promo_shift"),
        shift("entry", 0.8).alias("entry_shift"),
        shift("premium", 0.4).alias("premium_shift"),
        (per_day("last") - per_day("early")).alias("basket_shift"),
        shift("returned", 0.1).alias("return_shift"),
        (gap_last.fill_null(gap_early).log1p() - gap_early.fill_null(gap_last).log1p()).alias("gap_shift"),
        (recent / usual).log().alias("pace_vs_usual"),
        *[pl.col(f"{part}_last").fill_null(0).cast(pl.Float64) for part in LAST_VISIT_COUNTS],
        open_rate("recent").alias("recent_open_rate"),
        (open_rate("recent") - open_rate("before")).alias("open_shift"),
    )


def label(design_frame: pl.DataFrame, buyers_after: pl.DataFrame) -> np.ndarray:
    """1 when the customer made no purchase in the horizon after the cutoff, else 0."""
    came_back = design_frame["customer_id"].is_in(buyers_after["customer_id"].implode())
    return (~came_back).cast(pl.Int8).to_numpy()


def model_version(
    business_unit: str, cutoff, horizon: int, x: np.ndarray, y: np.ndarray, features: list[str] = FEATURES
) -> str:
    """Content-derived: the same training data and settings give the same version."""
    digest = hashlib.sha1(f"{business_unit}|{cutoff}|{horizon}|{features}".encode())
    digest.update(np.ascontiguousarray(x).tobytes())
    digest.update(np.ascontiguousarray(y).tobytes())
    return digest.hexdigest()[:12]


def fit(
    design_frame: pl.DataFrame,
    y: np.ndarray,
    business_unit: str,
    horizon: int,
    cutoff,
    spec: ModelSpec | None = None,
    max_rows: int | None = None,
) -> ChurnModel:
    """The ``spec`` estimator (default: the champion's logistic regression) on every row (on a seeded
    random sample of ``max_rows`` of them when there are more: ``training_sample``), calibrated by
    a Platt sigmoid fitted on the group's out-of-fold scores (5 folds). One calibration for every unit:
    the units' churn levels differ between windows by more than between units (measured in issue 8), so
    a unit's own sigmoid learns its noise. The features are FEATURES, and BROWSING_FEATURES when
    ``design`` made them. An estimator without coefficients gets a logistic surrogate for the drivers."""
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    from platform_assets.lib import estimators
    from platform_assets.lib.retailer import DEFAULT_CHURN_MODEL

    champion = DEFAULT_CHURN_MODEL  # the surrogate that words a model without coefficients
    spec = spec or champion
    positives = int(y.sum())
    if min(positives, y.size - positives) < MIN_OUTCOMES:
        raise TooFewOutcomes(
            f"churn model {business_unit}: {positives} churners and {y.size - positives} returners as of "
            f"{cutoff} (horizon {horizon} d); at least {MIN_OUTCOMES} of each are needed to train"
        )
    # rows in customer order: the folds (and so the model) must not depend on the order a query
    # happened to return them in
    order = np.lexsort((y, design_frame["customer_id"].to_numpy()))
    design_frame, y = design_frame[order], y[order]
    if max_rows is not None and y.size > max_rows:
        kept = training_sample(y.size, max_rows)
        design_frame, y = design_frame[kept], y[kept]
    features = [*FEATURES, *(f for f in BROWSING_FEATURES if f in design_frame.columns)]
    x = design_frame.select(features).to_numpy()
    base = estimators.pipeline(spec, impute=False)
    linear = hasattr(base, "decision_function")
    with estimators.threads():
        out_of_fold = cross_val_predict(
            base,
            x,
            y,
            cv=StratifiedKFold(n_splits=5),
            method="decision_function" if linear else "predict_proba",
        )
        out_of_fold = out_of_fold if linear else _logit(out_of_fold[:, 1])
        fitted = base.fit(x, y)
        surrogate = None
        if spec.estimator != "logistic_regression":
            surrogate = estimators.pipeline(champion, impute=False).fit(x, y)
    return ChurnModel(
        business_unit,
        horizon,
        model_version(business_unit, cutoff, horizon, x, y, [*features, spec.label()]),
        fitted,
        {"ALL": _platt(out_of_fold, y)},
        features,
        training_size=int(y.size),
        training_churn_rate=float(y.mean()),
        out_of_fold_auc=float(roc_auc_score(y, out_of_fold)),
        estimator=spec.label(),
        surrogate=surrogate,
    )


def training_sample(rows: int, size: int, seed: int = 0) -> np.ndarray:
    """``size`` of ``rows`` row positions, drawn with a fixed seed and kept in order: on rows in
    customer order, the same customers give the same sample whatever order they were read in."""
    return np.sort(np.random.default_rng(seed).choice(rows, size=size, replace=False))


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def raw_scores(pipeline: Pipeline, x: np.ndarray) -> np.ndarray:
    """The uncalibrated score: the decision function, or the log-odds of a classifier without one."""
    from platform_assets.lib.estimators import threads

    with threads():  # a gradient-boosting challenger predicts with OpenMP: one thread (lib/estimators.py)
        if hasattr(pipeline, "decision_function"):
            return pipeline.decision_function(x)
        return _logit(pipeline.predict_proba(x)[:, 1])


def _platt(scores: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    from sklearn.linear_model import LogisticRegression

    sigmoid = LogisticRegression(C=1e6).fit(scores.reshape(-1, 1), y)
    return float(sigmoid.coef_[0, 0]), float(sigmoid.intercept_[0])


def predict(model: ChurnModel, design_frame: pl.DataFrame) -> np.ndarray:
    """Calibrated probability of churn (the group's calibration, whatever the business unit)."""
    scores = raw_scores(model.pipeline, design_frame.select(model.features).to_numpy())
    slope, intercept = model.calibration["ALL"]
    return 1.0 / (1.0 + np.exp(-(slope * scores + intercept)))


def score(probability: np.ndarray) -> np.ndarray:
    """The 0-100 score: the calibrated probability in percent, rounded."""
    return np.clip(np.rint(probability * 100), 0, 100).astype(np.int64)


def band_of(scores: np.ndarray, cutoffs: tuple[int, ...]) -> np.ndarray:
    """Index into BANDS of each 0-100 score, the bands starting at ``cutoffs`` (the business unit's
    ``churn.band_cutoffs``)."""
    lows = np.array(band_lows(cutoffs))
    return np.searchsorted(lows, scores, side="right") - 1


def top_drivers(model: ChurnModel, design_frame: pl.DataFrame, k: int = 3) -> list[list[str]]:
    """The k features that move each customer's risk most, in a marketer's words: what the customer
    does (above or below the average customer) and whether it raises or lowers the risk."""
    scaler, logistic = model.explainer[0], model.explainer[-1]
    z = scaler.transform(design_frame.select(model.features).to_numpy())
    contrib = z * logistic.coef_[0]
    order = np.argsort(-np.abs(contrib), axis=1)[:, :k]
    # every phrase, indexed feature * 4 + (below the average) * 2 + (lowers risk)
    phrases = np.array(
        [
            f"{WORDING[feature][side]} ({effect} risk)"
            for feature in model.features
            for side in (0, 1)
            for effect in ("raises", "lowers")
        ],
        dtype=object,
    )
    rows = np.arange(z.shape[0])[:, None]
    code = order * 4 + np.where(z[rows, order] > 0, 0, 2) + np.where(contrib[rows, order] > 0, 0, 1)
    return phrases[code].tolist()


def wilson_interval(churned: int, customers: int, z: float = Z_95) -> tuple[float, float]:
    """95 % Wilson score interval of a binomial proportion (0-1); (nan, nan) for no customers."""
    if customers == 0:
        return float("nan"), float("nan")
    rate = churned / customers
    centre = (rate + z * z / (2 * customers)) / (1 + z * z / customers)
    half = z * math.sqrt(rate * (1 - rate) / customers + z * z / (4 * customers**2)) / (1 + z * z / customers)
    return max(0.0, centre - half), min(1.0, centre + half)


def measurable_band_size(predicted: float, points: float = CALIBRATION_TARGET_POINTS) -> int:
    """Customers a band needs for its observed churn rate to be measured within ``points`` at 95 %
    confidence when the predicted rate ``predicted`` (0-1) is right: z^2 p (1 - p) / margin^2."""
    p = min(max(predicted, 0.0), 1.0)
    return max(MIN_BAND_CUSTOMERS, math.ceil(Z_95**2 * p * (1 - p) / (points / 100) ** 2))


def evaluate(probability: np.ndarray, y: np.ndarray, cutoffs: tuple[int, ...]) -> dict[str, float]:
    """AUC, precision and lift in the top decile, and per band: predicted vs observed churn (%), the
    observed rate's 95 % interval and whether the band is large enough to judge a 5-point gap."""
    from sklearn.metrics import roc_auc_score

    out = {"customers": float(y.size), "churn_rate": float(y.mean())}
    out["auc"] = float(roc_auc_score(y, probability)) if 0 < y.sum() < y.size else float("nan")
    top = np.argsort(-probability, kind="stable")[: max(1, math.ceil(y.size / 10))]
    out["top_decile_precision"] = float(y[top].mean())
    out["top_decile_lift"] = out["top_decile_precision"] / out["churn_rate"] if y.mean() else float("nan")
    bands = band_of(score(probability), cutoffs)
    measured, described, weighted, outside = [], [], 0.0, 0
    for i, (name, _) in enumerate(BANDS):
        key = name.replace(" ", "_")
        members = bands == i
        n = int(members.sum())
        out[f"band_{key}_customers"] = float(n)
        if not n:
            continue
        predicted, observed = 100 * probability[members].mean(), 100 * y[members].mean()
        low, high = wilson_interval(int(y[members].sum()), n)
        needed = measurable_band_size(predicted / 100)
        out[f"band_{key}_predicted_pct"] = float(predicted)
        out[f"band_{key}_observed_pct"] = float(observed)
        out[f"band_{key}_observed_ci_low_pct"] = 100 * low
        out[f"band_{key}_observed_ci_high_pct"] = 100 * high
        out[f"band_{key}_measurable_customers"] = float(needed)
        gap = abs(predicted - observed)
        weighted += gap * n / y.size
        outside += int(not 100 * low <= predicted <= 100 * high)
        if n >= needed:
            measured.append(gap)
        if n >= MIN_BAND_CUSTOMERS:
            described.append(gap)
    # The target is judged on the bands whose observed rate is measured within it (see
    # CALIBRATION_TARGET_POINTS); the all-bands figure and the interval test cover the others.
    out["max_band_calibration_gap_pct"] = float(max(measured)) if measured else float("nan")
    out["max_band_calibration_gap_all_bands_pct"] = float(max(described)) if described else float("nan")
    out["bands_measured"] = float(len(measured))
    out["bands_outside_ci"] = float(outside)
    out["mean_band_calibration_gap_pct"] = float(weighted)
    return out
