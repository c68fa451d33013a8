"""Time to a life moment, pure: Cox proportional hazards on behaviour, Kaplan-Meier baselines.

Training as of a cutoff: every customer not already in the moment, followed for ``follow_days``;
the duration is the days to their observed entry (event) or the follow-up (censored). The score is
P(entry within 90 days after a date) = 1 - S(follow | covariates) ** r, where r moves the fitted
cumulative hazard from the follow-up's season to the 90 days after the date (``season.py``).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from platform_assets.scores.life_moments import season as seasons
from platform_assets.scores.life_moments.concordance import concordance_index
from platform_assets.scores.life_moments.signals import EPISODE_GAP_DAYS, MIN_PACE_DAYS

if TYPE_CHECKING:  # lifelines is imported when a model is fitted, not when the code location loads
    from lifelines import CoxPHFitter

WINDOW_DAYS = 90  # the propensity: entering the moment within the next 90 days


def browsing_names(moment: str) -> list[str]:
    """The browsing covariates (``signals.browsing``): whether the customer is seen on the web, their
    sessions and their pace against their own usual one, the moment's views, share and cart adds."""
    return [
        "has_web",
        "log_web_sessions_30d",
        "log_web_sessions_90d",
        "web_session_pace",
        f"log_{moment}_web_views_30d",
        f"log_{moment}_web_views_90d",
        f"{moment}_web_share_90d",
        f"log_{moment}_web_cart_adds_90d",
    ]


def covariate_names(moment: str, units: tuple[str, ...], browsing: bool = False) -> list[str]:
    """The model's covariates; ``units``: the configured business units in code order, one dummy
    each against the first (a unit absent from the training sample is a constant, dropped by ``fit``;
    a unit the model never saw gets the first unit's hazard); ``browsing``: with the browsing ones."""
    return [
        "log_visits_90d",
        "visit_trend",
        "log_visits_12m",
        "log_recency",
        f"log_{moment}_signals_30d",
        f"log_{moment}_signals_90d",
        f"{moment}_department_share_12m",
        "age_centred",
        "age_centred_sq",
        "log_tenure",
        *(browsing_names(moment) if browsing else []),
        *[f"bu_{bu}" for bu in sorted(units)[1:]],
    ]


def design(
    cov: pl.DataFrame, moment: str, units: tuple[str, ...], web: pl.DataFrame | None = None
) -> pl.DataFrame:
    """customer_id, business_unit and the moment's covariates (no nulls); ``units``: the configured
    business units (``covariate_names``); ``web``: the browsing as of the same date
    (``signals.browsing``), None without a web source (no browsing covariates)."""

    def log1p(c: str) -> pl.Expr:
        return pl.col(c).cast(pl.Float64).clip(0).log1p()

    age = (pl.col("age_years").cast(pl.Float64).fill_null(45.0) - 45.0) / 10.0
    frame = cov.select(
        "customer_id",
        "business_unit",
        log1p("visits_90d").alias("log_visits_90d"),
        (log1p("visits_90d") - log1p("visits_prior_90d")).alias("visit_trend"),
        log1p("visits_12m").alias("log_visits_12m"),
        log1p("recency_days").alias("log_recency"),
        log1p(f"{moment}_signal_lines_30d").alias(f"log_{moment}_signals_30d"),
        log1p(f"{moment}_signal_lines_90d").alias(f"log_{moment}_signals_90d"),
        pl.col(f"{moment}_department_share_12m").cast(pl.Float64).fill_null(0),
        age.alias("age_centred"),
        (age * age).alias("age_centred_sq"),
        log1p("tenure_days").fill_null(0).alias("log_tenure"),
        *[(pl.col("business_unit") == bu).cast(pl.Float64).alias(f"bu_{bu}") for bu in sorted(units)[1:]],
    )
    if web is None:
        return frame
    # The pace: sessions a day over the last 90 days against the days before them (smoothed), 0 when
    # the web history before them is too short to know the customer's usual pace.
    known = pl.col("web_known_days_before").cast(pl.Float64)
    pace = ((pl.col("web_sessions_90d") + 0.5) / 90).log() - (
        (pl.col("web_sessions_before") + 0.5) / known
    ).log()
    browsed = web.select(
        "customer_id",
        pl.lit(1.0).alias("has_web"),
        log1p("web_sessions_30d").alias("log_web_sessions_30d"),
        log1p("web_sessions_90d").alias("log_web_sessions_90d"),
        pl.when(known >= MIN_PACE_DAYS).then(pace).otherwise(0.0).alias("web_session_pace"),
        log1p(f"{moment}_web_views_30d").alias(f"log_{moment}_web_views_30d"),
        log1p(f"{moment}_web_views_90d").alias(f"log_{moment}_web_views_90d"),
        (pl.col(f"{moment}_web_views_90d") / pl.col("web_views_90d").clip(1)).alias(
            f"{moment}_web_share_90d"
        ),
        log1p(f"{moment}_web_cart_adds_90d").alias(f"log_{moment}_web_cart_adds_90d"),
    )
    return frame.join(browsed, on="customer_id", how="left", maintain_order="left").with_columns(
        pl.col(c).cast(pl.Float64).fill_null(0.0) for c in browsing_names(moment)
    )


def at_risk(frame: pl.DataFrame, entries: pl.DataFrame, moment: str, cutoff: date) -> pl.DataFrame:
    """Drops customers who entered the moment in the EPISODE_GAP_DAYS before the cutoff (in it now)."""
    recent = entries.filter(
        (pl.col("moment") == moment)
        & (pl.col("entry_date") < cutoff)
        & ((pl.lit(cutoff) - pl.col("entry_date")).dt.total_days() <= EPISODE_GAP_DAYS)
    )
    return frame.join(recent.select("customer_id").unique(), on="customer_id", how="anti")


def outcomes(
    frame: pl.DataFrame, entries: pl.DataFrame, moment: str, cutoff: date, follow_days: int
) -> pl.DataFrame:
    """``frame`` with duration (days to the first entry on or after the cutoff, capped) and event."""
    first = (
        entries.filter((pl.col("moment") == moment) & (pl.col("entry_date") >= cutoff))
        .group_by("customer_id")
        .agg(pl.col("entry_date").min())
    )
    days = (pl.col("entry_date") - pl.lit(cutoff)).dt.total_days()
    return (
        frame.join(first, on="customer_id", how="left")
        .with_columns(
            event=(days < follow_days).fill_null(False).cast(pl.Int8),
            duration=pl.when(days < follow_days).then(days.clip(1)).otherwise(follow_days).cast(pl.Float64),
        )
        .drop("entry_date")
    )


MIN_ENTRIES = 5  # below, a Cox fit is noise: the model falls back to the Kaplan-Meier baselines


@dataclass
class MomentModel:
    moment: str
    version: str
    cox: CoxPHFitter | None  # None: too few entries, the baselines are the prediction
    covariates: list[str]
    baseline_follow: dict[str, float]  # Kaplan-Meier P(entry within follow_days) per business unit
    cutoff: date  # the training window [cutoff, cutoff + follow_days): its season is the fitted one
    follow_days: int
    season: tuple[float, ...] = seasons.FLAT  # relative entry rate per calendar month
    note: str = ""


def fit(
    train: pl.DataFrame, moment: str, cutoff: date, follow_days: int, season: tuple[float, ...] = seasons.FLAT
) -> MomentModel:
    """Cox PH (ridge-penalised: rare events, correlated signals) and per-unit Kaplan-Meier on
    ``follow_days`` of follow-up; with fewer than MIN_ENTRIES entries, the Kaplan-Meier baselines alone
    (and a note saying so). ``season``: the moment's month profile, to apply the model at any date."""
    from lifelines import CoxPHFitter, KaplanMeierFitter

    # the business-unit dummies are the ones ``design`` made (from the configured units), and the
    # browsing covariates when it made them (a web source)
    browsing = "has_web" in train.columns
    names = [*covariate_names(moment, (), browsing), *(c for c in train.columns if c.startswith("bu_"))]
    train = train.sort("customer_id")  # the version hashes the rows: not the order a query returned
    events = int(train["event"].sum())
    frame = train.select([*names, "duration", "event"]).to_pandas()
    # A covariate constant in the sample (e.g. one business unit only) carries no information.
    names = [n for n in names if frame[n].std() > 0]
    cox, note = None, ""
    if events >= MIN_ENTRIES:
        cox = CoxPHFitter(penalizer=0.05).fit(frame[[*names, "duration", "event"]], "duration", "event")
    else:
        note = (
            f"life moment {moment}: only {events} observed entries after {cutoff} among {train.height} "
            f"customers (a Cox model needs {MIN_ENTRIES}): Kaplan-Meier baselines only"
        )
    baseline = {}
    for bu in sorted(train["business_unit"].drop_nulls().unique().to_list()):
        part = train.filter(pl.col("business_unit") == bu)
        km = KaplanMeierFitter().fit(part["duration"].to_numpy(), part["event"].to_numpy())
        baseline[bu] = float(1 - km.survival_function_at_times(follow_days).iloc[0])
    digest = hashlib.sha1(f"{moment}|{cutoff}|{follow_days}|{names}|{season}".encode())
    digest.update(frame.to_numpy().tobytes())
    return MomentModel(
        moment, digest.hexdigest()[:12], cox, names, baseline, cutoff, follow_days, season, note
    )


def _in_season(entered: np.ndarray, model: MomentModel, at: date) -> np.ndarray:
    """P(entry within WINDOW_DAYS after ``at``) from P(entry within the follow-up after the cutoff).

    The whole follow-up estimates the baseline (twice the entries of its first 90 days); the time since
    the cutoff has no hazard of its own, the season has: the cumulative hazard scales by the profile's
    mass over [at, at + WINDOW_DAYS) over its mass over [cutoff, cutoff + follow_days)."""
    mass_at = WINDOW_DAYS * seasons.window_weight(model.season, at, WINDOW_DAYS)
    mass_fit = model.follow_days * seasons.window_weight(model.season, model.cutoff, model.follow_days)
    return np.clip(1.0 - (1.0 - entered) ** (mass_at / mass_fit), 0.0, 1.0)


def baseline(model: MomentModel, business_unit: str, at: date) -> float:
    """The unit's Kaplan-Meier P(entry within WINDOW_DAYS after ``at``)."""
    return float(_in_season(np.array([model.baseline_follow.get(business_unit, np.nan)]), model, at)[0])


def probability(model: MomentModel, frame: pl.DataFrame, at: date) -> np.ndarray:
    """P(entering the moment within WINDOW_DAYS after ``at``) for each row of a design frame."""
    if model.cox is None:
        units = frame["business_unit"].to_list()
        entered = np.array([model.baseline_follow.get(bu, np.nan) for bu in units], dtype=float)
    else:
        x = frame.select(model.covariates).to_pandas()
        entered = 1.0 - model.cox.predict_survival_function(x, times=[model.follow_days]).to_numpy()[0]
    return _in_season(entered, model, at)


def validate(prob: np.ndarray, duration: np.ndarray, event: np.ndarray, top_share: float = 0.05) -> dict:
    """Concordance (higher probability, sooner entry) and precision of the top share vs the base rate,
    on true outcomes: duration/event within WINDOW_DAYS."""
    out = {"customers": float(prob.size), "entries": float(event.sum())}
    rate = float(event.mean()) if event.size else float("nan")
    out["base_rate"] = rate
    out["mean_probability"] = float(prob.mean()) if prob.size else float("nan")  # calibration in the large
    out["concordance"] = (
        float(concordance_index(duration, -prob, event)) if 0 < event.sum() < event.size else float("nan")
    )
    top = np.argsort(-prob, kind="stable")[: max(1, math.ceil(prob.size * top_share))]
    out["top5_precision"] = float(event[top].mean())
    out["top5_precision_ratio"] = out["top5_precision"] / rate if rate else float("nan")
    return out


__all__ = [
    "MomentModel",
    "at_risk",
    "baseline",
    "design",
    "fit",
    "outcomes",
    "probability",
    "validate",
]
