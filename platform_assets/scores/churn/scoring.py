"""One churn run as of a reference date, per business unit: horizon, backtest, training, scores.

Cutoffs, for the longest horizon H of the business units and reference date R (each unit keeps its
own horizon h for its labels and scores: its windows are [cutoff, cutoff + h)):
- backtest: train on the profile at R - 2H labelled by purchases in [R - 2H, R - H), then predict the
  profile at R - H and compare with purchases in [R - H, R) (fully observed before R);
- production: train on the profile at R - H labelled by [R - H, R), score the profile at R.
The profile at R - H is therefore computed once and used twice. Both models are the group's: every
unit's customers as of the unit's own cutoff, labelled over the unit's own horizon, calibrated for the
group (the backtest applies exactly the calibration production applies).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta

import duckdb
import numpy as np
import polars as pl

from platform_assets.lib.metadata import polars_schema
from platform_assets.scores.churn import columns, data, model

SCORE_COLUMNS = polars_schema(columns.TYPES)


@dataclass
class ChurnRun:
    scores: pl.DataFrame
    models: dict[str, model.ChurnModel]
    horizons: dict[str, int]
    backtest: dict[str, dict[str, float]]  # business unit -> metric -> value
    backtest_predictions: pl.DataFrame  # business_unit, probability, churned: for the calibration chart
    cutoffs: dict[str, dict[str, date]] = field(default_factory=dict)


def run(conn: duckdb.DuckDBPyConnection, reference_date: date, current: pl.DataFrame) -> ChurnRun:
    """``current`` is the profile as of the reference date (features.customer_profile)."""
    gaps = data.inter_purchase_gaps(conn, reference_date)
    units = sorted(current["business_unit"].drop_nulls().unique().to_list())
    horizons = {bu: model.horizon_days(gaps.filter(pl.col("business_unit") == bu)["gap"]) for bu in units}
    profiles: dict[date, pl.DataFrame] = {reference_date: current.filter(pl.col("frequency_lifetime") > 0)}
    behaviours: dict[date, pl.DataFrame] = {}

    def design_at(cutoff: date, bu: str, horizon: int) -> pl.DataFrame:
        """Eligible customers of ``bu`` as of ``cutoff``."""
        if cutoff not in profiles:
            profiles[cutoff] = data.profile_as_of(conn, cutoff)
        if cutoff not in behaviours:
            behaviours[cutoff] = data.behaviour_as_of(conn, cutoff)
        rows = profiles[cutoff].filter(pl.col("business_unit") == bu)
        # by customer: queries return rows in any order, and the backtest's float means (and the
        # training) would differ in their last digits between two runs on the same data
        return model.design(model.eligible(rows, horizon), behaviours[cutoff], horizon).sort("customer_id")

    def labels(frame: pl.DataFrame, start: date, days: int) -> np.ndarray:
        return model.label(frame, data.buyers_between(conn, start, start + timedelta(days=days)))

    # The group's cutoffs are the longest horizon's: every unit's label window then ends by R, and
    # the profile is recomputed at two dates only (the costly part at 1M customers).
    longest = max(horizons.values(), default=0)
    cutoffs = {
        bu: {
            "backtest_training": reference_date - timedelta(days=2 * longest),
            "training": reference_date - timedelta(days=longest),
        }
        for bu in units
    }

    def train(which: str) -> model.ChurnModel:
        """One model for the group: every unit's eligible customers as of the unit's own cutoff,
        labelled over the unit's own horizon (the units share the generator's and the business's
        habits; a unit alone has a few hundred customers to learn from)."""
        frames, outcomes = [], []
        for bu in units:
            rows = design_at(cutoffs[bu][which], bu, horizons[bu])
            frames.append(rows)
            outcomes.append(labels(rows, cutoffs[bu][which], horizons[bu]))
        when = ", ".join(f"{bu} {cutoffs[bu][which]}" for bu in units)
        return model.fit(pl.concat(frames), np.concatenate(outcomes), "ALL", max(horizons.values()), when)

    probe = train("backtest_training") if units else None
    fitted = train("training") if units else None
    models, backtest, parts, checks = {}, {}, [], []
    for bu in units:
        h = horizons[bu]
        recent = cutoffs[bu]["training"]
        x_recent = design_at(recent, bu, h)
        y_recent = labels(x_recent, recent, h)
        p_recent = model.predict(probe, x_recent)
        backtest[bu] = {
            **model.evaluate(p_recent, y_recent),
            "pooled_training": 1.0,
            "training_customers": float(probe.training_size),
            "training_churn_rate": probe.training_churn_rate,
        }
        checks.append(pl.DataFrame({"business_unit": bu, "probability": p_recent, "churned": y_recent}))
        models[bu] = replace(fitted, business_unit=bu, horizon_days=h, pooled=True)
        parts.append(_scores(models[bu], design_at(reference_date, bu, h), reference_date))
    scores = pl.concat(parts) if parts else pl.DataFrame(schema=SCORE_COLUMNS)
    return ChurnRun(scores, models, horizons, backtest, pl.concat(checks) if checks else None, cutoffs)


def _scores(fitted: model.ChurnModel, frame: pl.DataFrame, reference_date: date) -> pl.DataFrame:
    probability = model.predict(fitted, frame)
    scores = model.score(probability)
    bands = model.band_of(scores)
    drivers = model.top_drivers(fitted, frame)
    return pl.DataFrame(
        {
            "customer_id": frame["customer_id"],
            "reference_date": [reference_date] * frame.height,
            "business_unit": frame["business_unit"],
            "churn_probability": probability.round(4),
            "churn_score": scores,
            "churn_band": [model.BANDS[b][0] for b in bands],
            "churn_action": [model.BANDS[b][2] for b in bands],
            "driver_1": [d[0] for d in drivers],
            "driver_2": [d[1] for d in drivers],
            "driver_3": [d[2] for d in drivers],
            "horizon_days": [fitted.horizon_days] * frame.height,
            "model_version": [fitted.version] * frame.height,
        },
        schema=SCORE_COLUMNS,
    )
