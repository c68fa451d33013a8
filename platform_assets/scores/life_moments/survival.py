"""Time to a life moment, pure: Cox proportional hazards on behaviour, Kaplan-Meier baselines.

Training as of a cutoff: every customer not already in the moment, followed for ``follow_days``;
the duration is the days to their observed entry (event) or the follow-up (censored). The score is
P(entry within 90 days) = 1 - S(90 | covariates).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl
from lifelines import CoxPHFitter, KaplanMeierFitter

from platform_assets.scores.life_moments.concordance import concordance_index
from platform_assets.scores.life_moments.signals import EPISODE_GAP_DAYS, MOMENTS

WINDOW_DAYS = 90  # the propensity: entering the moment within the next 90 days
BUSINESS_UNITS = ("FR", "GB", "PL")  # dummies against the first; an unknown unit gets the baseline


def covariate_names(moment: str) -> list[str]:
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
        *[f"bu_{bu}" for bu in BUSINESS_UNITS[1:]],
    ]


def design(cov: pl.DataFrame, moment: str) -> pl.DataFrame:
    """customer_id, business_unit and the moment's covariates (no nulls)."""

    def log1p(c: str) -> pl.Expr:
        return pl.col(c).cast(pl.Float64).clip(0).log1p()

    age = (pl.col("age_years").cast(pl.Float64).fill_null(45.0) - 45.0) / 10.0
    return cov.select(
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
        *[(pl.col("business_unit") == bu).cast(pl.Float64).alias(f"bu_{bu}") for bu in BUSINESS_UNITS[1:]],
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
    baseline_90d: dict[str, float]  # Kaplan-Meier P(entry within 90 days) per business unit
    note: str = ""


def fit(train: pl.DataFrame, moment: str, cutoff: date) -> MomentModel:
    """Cox PH (ridge-penalised: rare events, correlated signals) and per-unit Kaplan-Meier; with fewer
    than MIN_ENTRIES entries, the Kaplan-Meier baselines alone (and a note saying so)."""
    names = covariate_names(moment)
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
        baseline[bu] = float(1 - km.survival_function_at_times(WINDOW_DAYS).iloc[0])
    digest = hashlib.sha1(f"{moment}|{cutoff}|{names}".encode())
    digest.update(frame.to_numpy().tobytes())
    return MomentModel(moment, digest.hexdigest()[:12], cox, names, baseline, note)


def probability(model: MomentModel, frame: pl.DataFrame) -> np.ndarray:
    """P(entering the moment within WINDOW_DAYS) for each row of a design frame."""
    if model.cox is None:
        units = frame["business_unit"].to_list()
        return np.array([model.baseline_90d.get(bu, np.nan) for bu in units], dtype=float)
    x = frame.select(model.covariates).to_pandas()
    survival = model.cox.predict_survival_function(x, times=[WINDOW_DAYS])
    return np.clip(1.0 - survival.to_numpy()[0], 0.0, 1.0)


def validate(prob: np.ndarray, duration: np.ndarray, event: np.ndarray, top_share: float = 0.05) -> dict:
    """Concordance (higher probability, sooner entry) and precision of the top share vs the base rate,
    on true outcomes: duration/event within WINDOW_DAYS."""
    out = {"customers": float(prob.size), "entries": float(event.sum())}
    rate = float(event.mean()) if event.size else float("nan")
    out["base_rate"] = rate
    out["concordance"] = (
        float(concordance_index(duration, -prob, event)) if 0 < event.sum() < event.size else float("nan")
    )
    top = np.argsort(-prob, kind="stable")[: max(1, math.ceil(prob.size * top_share))]
    out["top5_precision"] = float(event[top].mean())
    out["top5_precision_ratio"] = out["top5_precision"] / rate if rate else float("nan")
    return out


__all__ = ["MOMENTS", "MomentModel", "at_risk", "design", "fit", "outcomes", "probability", "validate"]
