"""One churn run as of a reference date, per business unit: horizon, backtest, training, scores.

Cutoffs, for the longest horizon H of the business units and reference date R (each unit keeps its
own horizon h for its labels and scores: its windows are [cutoff, cutoff + h)):
- backtest: train on the profile at R - 2H labelled by purchases in [R - 2H, R - H), then predict the
  profile at R - H and compare with purchases in [R - H, R) (fully observed before R);
- production: train on the profile at R - H labelled by [R - H, R), score the profile at R.
The profile at R - H is therefore computed once and used twice. Both models are the group's: every
unit's customers as of the unit's own cutoff, labelled over the unit's own horizon, calibrated for the
group (the backtest applies exactly the calibration production applies).

Browsing (a web source, ``lib.web_events``): a model takes the browsing drivers when the web history
covers its training cutoff by WEB_HISTORY_DAYS, and is applied with them (as of the later date). A web
export shorter than 2H + WEB_HISTORY_DAYS (the demo's 13 months against H = 210 days) leaves the
backtest's model on purchases alone while production browses: then the browsing drivers' worth is
measured on the training cutoff instead, as the out-of-fold AUC with and without them
(``group_measures``). Without a web source, everything is as it always was.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta

import duckdb
import numpy as np
import polars as pl

from platform_assets.lib import web_events
from platform_assets.lib.engine_queries import Scan, on_duckdb
from platform_assets.lib.estimators import ModelSpec
from platform_assets.lib.metadata import polars_schema
from platform_assets.lib.retailer import ChurnSettings
from platform_assets.scores.champion_challenger import split
from platform_assets.scores.champion_challenger.split import CHALLENGER, CHAMPION
from platform_assets.scores.churn import columns, data, model

SCORE_COLUMNS = polars_schema(columns.TYPES)
VERSION_COLUMNS = polars_schema(columns.VERSION_TYPES)
MODEL = "churn"
WEB_HISTORY_DAYS = 90  # of web events before a training cutoff for its model to take browsing drivers


@dataclass
class ChurnRun:
    scores: pl.DataFrame
    models: dict[str, model.ChurnModel]
    horizons: dict[str, int]
    backtest: dict[str, dict[str, float]]  # business unit -> metric -> value
    backtest_predictions: pl.DataFrame  # business_unit, probability, churned: for the calibration chart
    cutoffs: dict[str, dict[str, date]] = field(default_factory=dict)
    # measures of the group (business unit ALL): pooled backtest AUC, which models browse, and the
    # out-of-fold AUC at the training cutoff with and without the browsing drivers
    group_measures: dict[str, float] = field(default_factory=dict)
    challenger: ChurnRun | None = None  # the challenger version's own run (its backtest and models)
    versions: pl.DataFrame | None = None  # every version's score per customer (VERSION_COLUMNS)


def run(
    conn: duckdb.DuckDBPyConnection,
    reference_date: date,
    current: pl.DataFrame,
    settings: ChurnSettings,
    champion_spec: ModelSpec | None = None,
    scan: Scan = on_duckdb,
) -> ChurnRun:
    """``current`` is the profile as of the reference date (features.customer_profile); ``settings``
    the retailer's churn settings (each business unit's horizon and band cut-offs, the champion's model
    and a challenger); ``champion_spec`` the promoted champion's model, when one was promoted
    (``ops.model_promotions``) over ``settings.model``. With a challenger, both versions are
    backtested and score every customer; each customer's arm (a hash of the id) says whose score,
    band and drivers are theirs in ``scores``; ``versions`` holds both. ``scan``: where the scans of the
    sales, e-mail and web events run (lib/engine_queries.py: on Spark with ``CDP_ENGINE=spark``)."""
    gaps = data.inter_purchase_gaps(conn, reference_date, scan)
    units = sorted(current["business_unit"].drop_nulls().unique().to_list())
    horizons = {
        bu: model.horizon_days(gaps.filter(pl.col("business_unit") == bu)["gap"], settings.of(bu))
        for bu in units
    }
    profiles: dict[date, pl.DataFrame] = {reference_date: current.filter(pl.col("frequency_lifetime") > 0)}
    behaviours: dict[date, pl.DataFrame] = {}
    browsed: dict[date, pl.DataFrame] = {}  # filled below, once the cutoffs are known

    def design_at(cutoff: date, bu: str, horizon: int, browsing: bool = False) -> pl.DataFrame:
        """Eligible customers of ``bu`` as of ``cutoff`` (with the browsing drivers when ``browsing``)."""
        if cutoff not in profiles:
            profiles[cutoff] = data.profile_as_of(conn, cutoff, scan)
        if cutoff not in behaviours:
            behaviours[cutoff] = data.behaviour_as_of(conn, cutoff, scan)
        rows = profiles[cutoff].filter(pl.col("business_unit") == bu)
        web = browsed[cutoff] if browsing else None
        # by customer: queries return rows in any order, and the backtest's float means (and the
        # training) would differ in their last digits between two runs on the same data
        return model.design(model.eligible(rows, horizon), behaviours[cutoff], horizon, web).sort(
            "customer_id"
        )

    def labels(frame: pl.DataFrame, start: date, days: int) -> np.ndarray:
        return model.label(frame, data.buyers_between(conn, start, start + timedelta(days=days), scan))

    # The group's cutoffs are the longest horizon's: every unit's label window then ends by R, and
    # the profile is recomputed at two dates only (the costly part at 1M customers).
    longest = max(horizons.values(), default=0)
    group_cutoffs = {
        "backtest_training": reference_date - timedelta(days=2 * longest),
        "training": reference_date - timedelta(days=longest),
    }
    cutoffs = {bu: dict(group_cutoffs) for bu in units}

    # Browsing where the web history covers a model's training cutoff by WEB_HISTORY_DAYS, read in one
    # pass for every date a browsing model is trained or applied at.
    web_start = web_events.history_start(conn, reference_date)
    browses = {
        which: web_start is not None and (cutoff - web_start).days >= WEB_HISTORY_DAYS
        for which, cutoff in group_cutoffs.items()
    }
    dates = (
        {group_cutoffs["backtest_training"], group_cutoffs["training"]}
        if browses["backtest_training"]
        else set()
    )
    dates |= {group_cutoffs["training"], reference_date} if browses["training"] else set()
    if dates and units:
        browsed.update(data.browsing_as_of(conn, sorted(dates), web_start, scan))

    def train(which: str, browsing: bool, spec: ModelSpec) -> model.ChurnModel:
        """One model for the group: every unit's eligible customers as of the unit's own cutoff,
        labelled over the unit's own horizon (the units share the generator's and the business's
        habits; a unit alone has a few hundred customers to learn from)."""
        frames, outcomes = [], []
        for bu in units:
            rows = design_at(cutoffs[bu][which], bu, horizons[bu], browsing)
            frames.append(rows)
            outcomes.append(labels(rows, cutoffs[bu][which], horizons[bu]))
        when = ", ".join(f"{bu} {cutoffs[bu][which]}" for bu in units)
        return model.fit(
            pl.concat(frames),
            np.concatenate(outcomes),
            "ALL",
            max(horizons.values()),
            when,
            spec,
            settings.training_rows,
        )

    def version(spec: ModelSpec, measure_browsing: bool) -> ChurnRun:
        """One version of the model (its estimator ``spec``): backtest, training, scores."""
        probe = train("backtest_training", browses["backtest_training"], spec) if units else None
        fitted = train("training", browses["training"], spec) if units else None
        group = {}
        if fitted is not None:
            group = {
                "uses_browsing": float(_browses(fitted)),
                "backtest_uses_browsing": float(_browses(probe)),
                "training_oof_auc": fitted.out_of_fold_auc,
            }
            if measure_browsing and _browses(fitted):  # what browsing adds, on data each fold did not see
                group["training_oof_auc_purchases_only"] = train("training", False, spec).out_of_fold_auc
        models, backtest, parts, checks = {}, {}, [], []
        for bu in units:
            h = horizons[bu]
            recent = cutoffs[bu]["training"]
            x_recent = design_at(recent, bu, h, _browses(probe))
            y_recent = labels(x_recent, recent, h)
            p_recent = model.predict(probe, x_recent)
            backtest[bu] = {
                **model.evaluate(p_recent, y_recent, settings.of(bu).band_cutoffs),
                "pooled_training": 1.0,
                "training_customers": float(probe.training_size),
                "training_churn_rate": probe.training_churn_rate,
            }
            checks.append(pl.DataFrame({"business_unit": bu, "probability": p_recent, "churned": y_recent}))
            models[bu] = replace(
                fitted,
                business_unit=bu,
                horizon_days=h,
                pooled=True,
                band_cutoffs=settings.of(bu).band_cutoffs,
            )
            parts.append(
                _scores(models[bu], design_at(reference_date, bu, h, _browses(fitted)), reference_date)
            )
        scores = pl.concat(parts) if parts else pl.DataFrame(schema=SCORE_COLUMNS)
        predictions = pl.concat(checks) if checks else None
        if predictions is not None and 0 < predictions["churned"].sum() < predictions.height:
            from sklearn.metrics import roc_auc_score

            group["backtest_auc"] = float(roc_auc_score(predictions["churned"], predictions["probability"]))
        return ChurnRun(scores, models, horizons, backtest, predictions, cutoffs, group)

    champion = version(settings.model if champion_spec is None else champion_spec, True)
    if settings.challenger is None or settings.challenger.model == (champion_spec or settings.model):
        return replace(champion, versions=_versions(champion.scores, None, None))
    challenger = version(settings.challenger.model, False)
    arm = split.arms(champion.scores["customer_id"].to_list(), MODEL, settings.challenger.share)
    versions = _versions(champion.scores, challenger.scores, arm)
    driving = versions.filter(pl.col("is_driving")).select("customer_id", "model_arm")
    scores = (
        pl.concat(
            [
                champion.scores.drop("model_arm").join(
                    driving.filter(pl.col("model_arm") == CHAMPION), on="customer_id"
                ),
                challenger.scores.drop("model_arm").join(
                    driving.filter(pl.col("model_arm") == CHALLENGER), on="customer_id"
                ),
            ]
        )
        .select(list(SCORE_COLUMNS))
        .sort("customer_id")
    )
    return replace(champion, scores=scores, challenger=challenger, versions=versions)


def _versions(champion: pl.DataFrame, challenger: pl.DataFrame | None, arm: list[str] | None) -> pl.DataFrame:
    """Every version's score of every customer (scores.customer_churn_versions), which one drives."""
    own = [c for c in list(VERSION_COLUMNS) if c not in ("model_arm", "is_driving")]
    frames = [champion.select(own).with_columns(model_arm=pl.lit(CHAMPION))]
    if challenger is not None:
        frames.append(challenger.select(own).with_columns(model_arm=pl.lit(CHALLENGER)))
    drives = pl.DataFrame(
        {"customer_id": champion["customer_id"], "driving_arm": arm or [CHAMPION] * champion.height},
        schema={"customer_id": pl.String, "driving_arm": pl.String},
    )
    return (
        pl.concat(frames)
        .join(drives, on="customer_id", how="left")
        .with_columns(is_driving=pl.col("model_arm") == pl.col("driving_arm"))
        .select(list(VERSION_COLUMNS))
        .cast(dict(VERSION_COLUMNS))
        .sort("customer_id", "model_arm")
    )


def _browses(fitted: model.ChurnModel | None) -> bool:
    return fitted is not None and any(f in model.BROWSING_FEATURES for f in fitted.features)


def _scores(fitted: model.ChurnModel, frame: pl.DataFrame, reference_date: date) -> pl.DataFrame:
    probability = model.predict(fitted, frame)
    scores = model.score(probability)
    bands = model.band_of(scores, fitted.band_cutoffs)
    drivers = model.top_drivers(fitted, frame)
    return pl.DataFrame(
        {
            "customer_id": frame["customer_id"],
            "reference_date": [reference_date] * frame.height,
            "business_unit": frame["business_unit"],
            "churn_probability": probability.round(4),
            "churn_score": scores,
            "churn_band": [model.BANDS[b][0] for b in bands],
            "churn_action": [model.BANDS[b][1] for b in bands],
            "driver_1": [d[0] for d in drivers],
            "driver_2": [d[1] for d in drivers],
            "driver_3": [d[2] for d in drivers],
            "horizon_days": [fitted.horizon_days] * frame.height,
            "band_cutoffs": [list(fitted.band_cutoffs)] * frame.height,
            "model_version": [fitted.version] * frame.height,
            "estimator": [fitted.estimator] * frame.height,
            "model_arm": [CHAMPION] * frame.height,  # the champion's unless the split gives the challenger
        },
        schema=SCORE_COLUMNS,
    )
