"""A local score's run: backtest on a time split, the production model, the scores.

With H the horizon and R the reference date:
- backtest: trained on features as of R - 2H and the event in [R - 2H, R - H); judged on features
  as of R - H and the event in [R - H, R) (AUC, lift at the top decile). It never sees that window's
  outcomes: moving them changes the judgement, not the model (tests/scores/local).
- production: trained on features as of R - H and the event in [R - H, R), applied to features as of R.
The features as of R - H are computed once and serve both (the profile is the costly read at 1M
customers); those as of R are ``features.customer_profile``'s when the asset hands it in.
A window where nobody had the event cannot train or judge the model: ``LocalScoreRefused`` names the
file and ``target``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import duckdb

from platform_assets.lib.engine_queries import Scan, on_duckdb
from platform_assets.scores.local import data, model
from platform_assets.scores.local.declaration import LocalScore, LocalScoreRefused


@dataclass(frozen=True)
class Backtest:
    probe: model.Fitted  # trained before the evaluation window
    measures: dict[str, float]
    cutoffs: dict[str, date]
    judged: object  # the features as of R - H (polars) and their outcomes: the production training set
    outcomes: object


@dataclass(frozen=True)
class LocalRun:
    backtest: Backtest
    model: model.Fitted
    scores: object  # polars frame of the score table
    cutoffs: dict[str, date]


def labelled(
    conn, score: LocalScore, cutoff: date, absent: tuple[str, ...], stage: str, scan: Scan = on_duckdb
):
    """Features as of ``cutoff`` and whether each customer had the event in the horizon after it."""
    import numpy as np

    horizon = timedelta(days=score.declaration.target.horizon_days)
    frame = data.features_as_of(conn, score, cutoff, absent, scan=scan)
    events = data.had_event(conn, score, cutoff, cutoff + horizon, scan)
    labels = np.array([c in events for c in frame["customer_id"].to_list()], dtype="int8")
    if frame.height == 0:
        raise LocalScoreRefused(
            f"{score.path}: (file): no customer of {score.business_unit} with a purchase in the two years "
            f"before {cutoff} ({stage})"
        )
    if labels.sum() == 0 or labels.sum() == len(labels):
        which = "none" if labels.sum() == 0 else "every one"
        raise LocalScoreRefused(
            f"{score.path}: target: {which} of the {len(labels)} customers had the event between {cutoff} "
            f"and {cutoff + horizon} ({stage}): a target without events (or without non-events) cannot "
            "be learnt or judged"
        )
    return frame, labels


def features_of(frame) -> list[str]:
    return [c for c in frame.columns if c != "customer_id"]


def backtest(
    conn, score: LocalScore, ref: date, absent: tuple[str, ...] = (), scan: Scan = on_duckdb
) -> Backtest:
    horizon = timedelta(days=score.declaration.target.horizon_days)
    training, evaluation = ref - 2 * horizon, ref - horizon
    frame, labels = labelled(conn, score, training, absent, "backtest training", scan)
    probe = model.fit(score.declaration.model, frame, labels, features_of(frame))
    judged, outcomes = labelled(conn, score, evaluation, absent, "backtest evaluation", scan)
    measures = model.measures(outcomes, model.predict(probe, judged))
    cutoffs = {"backtest_training": training, "backtest_evaluation": evaluation}
    return Backtest(probe, measures, cutoffs, judged, outcomes)


def run(
    conn: duckdb.DuckDBPyConnection,
    score: LocalScore,
    ref: date,
    absent: tuple[str, ...] = (),
    current_profile: str | None = None,
    scan: Scan = on_duckdb,
) -> LocalRun:
    """``current_profile``: a table holding the profile as of ``ref`` (the asset checks its date);
    without it, the profile as of ``ref`` is computed. ``scan``: where the profiles as of the
    backtest's cutoffs scan the facts (lib/engine_queries.py)."""
    import polars as pl

    data.check_catalogue_names(conn, score)
    tested = backtest(conn, score, ref, absent, scan)
    cutoff = tested.cutoffs["backtest_evaluation"]
    # the evaluation window of the backtest is the production training window: same rows, same labels
    frame, labels = tested.judged, tested.outcomes
    fitted = model.fit(score.declaration.model, frame, labels, features_of(frame))
    current = data.features_as_of(conn, score, ref, absent, current_profile, scan)
    probability = model.predict(fitted, current) if current.height else []
    scores = (
        current.select("customer_id")
        .with_columns(
            business_unit=pl.lit(score.business_unit),
            reference_date=pl.lit(ref),
            probability=pl.Series(probability, dtype=pl.Float64),
        )
        .with_columns(
            score=(pl.col("probability") * 100).round().cast(pl.Int32),
            decile=((pl.col("probability").rank("ordinal", descending=True) - 1) * 10 // pl.len() + 1).cast(
                pl.Int32
            ),
            horizon_days=pl.lit(score.declaration.target.horizon_days, dtype=pl.Int32),
            model_version=pl.lit(fitted.version),
        )
    )
    return LocalRun(tested, fitted, scores, {**tested.cutoffs, "training": cutoff, "scoring": ref})
