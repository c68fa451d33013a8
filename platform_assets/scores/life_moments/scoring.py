"""One life-moment run as of a reference date R: detect entries, backtest, train, score.

- Entries are detected in the sales before R; a burst needs BURST_DAYS ahead, so an outcome window
  [c, c + F) of a follow-up of F days (FOLLOW_DAYS, or shorter with browsing) is complete when
  c + F + BURST_DAYS <= R.
- Production: Cox fitted as of c1 = R - (F + BURST_DAYS) on the entries of [c1, c1 + F), applied to
  the covariates as of R.
- Backtest: the same fitted as of c2 = c1 - (F + BURST_DAYS), applied as of c1 and measured against what
  happened in [c1, c1 + 90): the generator's true moment dates when they exist (concordance,
  top-5 % precision), and the entries seen in the sales.
- Browsing (``plan``): with a web source, the covariates include the browsing as of each cutoff, and
  the backtest's training cutoff c2 needs WEB_HISTORY_DAYS of web history before it (else its model
  would learn browsing from nothing): the follow-up shrinks to fit, in steps of 30 days, down to
  MIN_FOLLOW_DAYS; a web history too short even for that leaves the models on purchases alone (noted).
  Without a web source, everything is as it always was (FOLLOW_DAYS).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np
import polars as pl

from platform_assets.lib import web_events
from platform_assets.lib.engine_queries import Scan, on_duckdb
from platform_assets.lib.metadata import polars_schema
from platform_assets.scores.life_moments import columns, season, signals, survival, truth

FOLLOW_DAYS = 180
# Cox is fitted on a fixed-seed random sample above this many customers (1M: the fit would dominate).
MAX_TRAINING_ROWS = 200_000
MIN_FOLLOW_DAYS = survival.WINDOW_DAYS  # a follow-up at least as long as the window scored
WEB_HISTORY_DAYS = 90  # of web events before the earliest cutoff browsing covariates are computed at
DETECTION_TOLERANCE_DAYS = 120  # a detected entry matches a true moment starting this close to it

SCORE_COLUMNS = polars_schema(columns.TYPES)


@dataclass
class MomentsRun:
    scores: pl.DataFrame
    models: dict[str, survival.MomentModel]
    metrics: list[dict]  # model, business_unit, metric, value
    entries: pl.DataFrame
    # per moment: follow_days, uses_browsing, backtest_training and training (cutoffs)
    plans: dict[str, dict]
    notes: list[str]  # models that fell back to their baselines, and why
    browsing: bool = False  # some moment's covariates include the browsing (a web source long enough)


@dataclass(frozen=True)
class Plan:
    follow_days: int
    web_start: date | None  # None: purchases only
    note: str = ""


def plan(reference_date: date, web_start: date | None) -> Plan:
    """The follow-up and whether to use browsing, from the first day of web history (None: no web
    source). The backtest's training cutoff R - 2 (follow + BURST_DAYS) must have WEB_HISTORY_DAYS of
    web history before it."""
    if web_start is None:
        return Plan(FOLLOW_DAYS, None)
    history = (reference_date - web_start).days
    fits = ((history - WEB_HISTORY_DAYS) // 2 - signals.BURST_DAYS) // 30 * 30
    if fits < MIN_FOLLOW_DAYS:
        return Plan(
            FOLLOW_DAYS,
            None,
            f"web history of {history} days before {reference_date}: too short for browsing covariates "
            f"(a backtest needs {2 * (MIN_FOLLOW_DAYS + signals.BURST_DAYS) + WEB_HISTORY_DAYS}); "
            "purchases only",
        )
    return Plan(min(FOLLOW_DAYS, fits), web_start)


def run(
    conn: duckdb.DuckDBPyConnection,
    reference_date: date,
    truth_dir: Path,
    units: tuple[str, ...],
    moments: Sequence[signals.Moment],
    scan: Scan = on_duckdb,
) -> MomentsRun:
    """``units``: the configured business-unit codes (one covariate dummy each but the first);
    ``moments``: the moments with the retailer's catalogue categories (``signals.moments``); ``scan``:
    where the scans of the sales lines and web events run (lib/engine_queries.py)."""
    chosen = plan(reference_date, web_events.history_start(conn, reference_date))
    entries = signals.entries(conn, reference_date, moments, scan)
    # Entries can be seen from this day on: the pace to beat needs MIN_HISTORY_DAYS of history.
    [(first_day,)] = conn.sql("select min(sold_date) from sales.fct_sales_lines").fetchall()
    start = (first_day or reference_date) + timedelta(days=signals.MIN_HISTORY_DAYS)
    covariates: dict[date, pl.DataFrame] = {}

    def covariates_at(cutoff: date) -> pl.DataFrame:
        if cutoff not in covariates:
            covariates[cutoff] = signals.covariates(conn, cutoff, moments, scan)
        return covariates[cutoff]

    short = _cutoffs(reference_date, chosen.follow_days)
    web = (
        signals.browsing(conn, (*short, reference_date), chosen.web_start, moments, scan)
        if chosen.web_start
        else dict.fromkeys((*short, reference_date))
    )
    true_dates = truth.moment_dates(conn, truth_dir)
    models, metrics, parts, notes = {}, [], [], [chosen.note] if chosen.note else []
    plans: dict[str, dict] = {}
    for m in moments:
        name = f"life_moment_{m.name}"
        # The shorter follow-up a web history allows, unless it leaves a training window with too few
        # entries to learn from (a small retailer, a rare moment): then the full one, purchases only.
        follow = chosen.follow_days
        thin = min(_entries_in(entries, m.name, c, follow) for c in short) < survival.MIN_ENTRIES
        if follow < FOLLOW_DAYS and thin:
            follow = FOLLOW_DAYS
            notes.append(
                f"{m.name}: fewer than {survival.MIN_ENTRIES} entries in a {chosen.follow_days}-day training "
                f"window: followed {FOLLOW_DAYS} days, on purchases only"
            )
        uses_browsing = m.browsing and chosen.web_start is not None and follow == chosen.follow_days
        c2, c1 = _cutoffs(reference_date, follow)
        plans[m.name] = {
            "follow_days": follow,
            "uses_browsing": uses_browsing,
            "backtest_training": c2,
            "training": c1,
        }

        def frame(cutoff: date, moment: str = m.name, browsed: bool = uses_browsing) -> pl.DataFrame:
            rows = survival.design(covariates_at(cutoff), moment, units, web[cutoff] if browsed else None)
            return survival.at_risk(rows, entries, moment, cutoff)

        probe = survival.fit(
            _sample(survival.outcomes(frame(c2), entries, m.name, c2, follow)),
            m.name,
            c2,
            follow,
            season.profile(entries, m.name, start, c1 - timedelta(days=signals.BURST_DAYS)),
        )
        check = frame(c1)
        p_check = survival.probability(probe, check, c1)
        seen = survival.outcomes(check, entries, m.name, c1, survival.WINDOW_DAYS)
        for key, value in survival.validate(
            p_check, seen["duration"].to_numpy(), seen["event"].to_numpy()
        ).items():
            metrics.append({"model": name, "metric": f"backtest_observed_{key}", "value": value})
        if true_dates is not None:
            real = _true_outcomes(check, true_dates, m.name, c1)
            # The risk set, as survival analysis defines it: a customer whose true moment began in
            # the EPISODE_GAP_DAYS before c1 is in it, not at risk of entering it (the rule the model
            # applies to the entries it sees). Every scored customer is measured too (``_all_``).
            at_risk = ~real["in_moment"].to_numpy()
            duration, event = real["duration"].to_numpy(), real["event"].to_numpy()
            measured = survival.validate(p_check[at_risk], duration[at_risk], event[at_risk])
            metrics += [
                {"model": name, "metric": f"backtest_truth_{k}", "value": v} for k, v in measured.items()
            ]
            measured = survival.validate(p_check, duration, event)
            metrics += [
                {"model": name, "metric": f"backtest_truth_all_{k}", "value": v}
                for k, v in measured.items()
                if k in ("customers", "concordance", "top5_precision_ratio")
            ]
            metrics += _detection_quality(name, entries, true_dates, m.name, reference_date)

        fitted = survival.fit(
            _sample(survival.outcomes(frame(c1), entries, m.name, c1, follow)),
            m.name,
            c1,
            follow,
            season.profile(entries, m.name, start, reference_date - timedelta(days=signals.BURST_DAYS)),
        )
        models[m.name] = fitted
        notes += [f"backtest: {probe.note}"] if probe.note else []
        notes += [fitted.note] if fitted.note else []
        for bu in fitted.baseline_follow:
            p = survival.baseline(fitted, bu, reference_date)
            metrics.append({"model": name, "business_unit": bu, "metric": "km_baseline_90d", "value": p})
        metrics += [
            {"model": name, "metric": "uses_browsing", "value": float(uses_browsing)},
            {"model": name, "metric": "follow_days", "value": float(follow)},
        ]
        for month, factor in enumerate(fitted.season, start=1):
            metrics.append({"model": name, "metric": f"season_month_{month:02d}", "value": factor})
        if fitted.cox is not None:
            for covariate, coef in fitted.cox.params_.items():
                metrics.append({"model": name, "metric": f"coef_{covariate}", "value": float(coef)})
            metrics.append(
                {"model": name, "metric": "concordance_train", "value": float(fitted.cox.concordance_index_)}
            )
        parts.append(_scores(fitted, frame(reference_date), reference_date))
    scores = pl.concat(parts) if parts else pl.DataFrame(schema=SCORE_COLUMNS)
    for row in metrics:
        row.setdefault("business_unit", "ALL")
    browsed = any(p["uses_browsing"] for p in plans.values())
    return MomentsRun(scores, models, metrics, entries, plans, notes, browsed)


def _cutoffs(reference_date: date, follow: int) -> tuple[date, date]:
    """(c2, c1): the backtest's training cutoff and the production model's, for a follow-up of ``follow``
    days (an entry is seen BURST_DAYS after it begins)."""
    lag = timedelta(days=follow + signals.BURST_DAYS)
    return reference_date - 2 * lag, reference_date - lag


def _entries_in(entries: pl.DataFrame, moment: str, cutoff: date, follow: int) -> int:
    """Entries into ``moment`` in [cutoff, cutoff + follow)."""
    end = cutoff + timedelta(days=follow)
    return entries.filter(
        (pl.col("moment") == moment) & (pl.col("entry_date") >= cutoff) & (pl.col("entry_date") < end)
    ).height


def _sample(train: pl.DataFrame) -> pl.DataFrame:
    """A seeded sample of the rows in customer order: the same rows whatever order a query returned."""
    if train.height <= MAX_TRAINING_ROWS:
        return train
    return train.sort("customer_id").sample(MAX_TRAINING_ROWS, seed=0)


def _scores(fitted: survival.MomentModel, rows: pl.DataFrame, reference_date: date) -> pl.DataFrame:
    p = survival.probability(fitted, rows, reference_date)
    baselines = {bu: round(survival.baseline(fitted, bu, reference_date), 4) for bu in fitted.baseline_follow}
    out = pl.DataFrame(
        {
            "customer_id": rows["customer_id"],
            "reference_date": [reference_date] * rows.height,
            "business_unit": rows["business_unit"],
            "moment": [fitted.moment] * rows.height,
            "probability_90d": p.round(4),
            "baseline_probability_90d": [baselines.get(bu, np.nan) for bu in rows["business_unit"]],
            "model_version": [fitted.version] * rows.height,
        }
    )
    # Share of the unit's customers with a propensity at least as high (0 = most likely).
    rank = (pl.col("probability_90d").rank("max", descending=True) / pl.len()).over("business_unit")
    return out.with_columns(rank.alias("propensity_rank_share")).select(
        [pl.col(c).cast(t) for c, t in SCORE_COLUMNS.items()]
    )


def _true_outcomes(rows: pl.DataFrame, true_dates: pl.DataFrame, moment: str, cutoff: date) -> pl.DataFrame:
    """duration/event of the true moment within the window after ``cutoff``; in_moment: the true
    moment began in the EPISODE_GAP_DAYS before it."""
    days = (pl.col("true_date") - pl.lit(cutoff)).dt.total_days()
    window = survival.WINDOW_DAYS
    inside = (days >= 0) & (days < window)
    return rows.join(
        true_dates.filter(pl.col("moment") == moment), on="customer_id", how="left"
    ).with_columns(
        event=inside.fill_null(False).cast(pl.Int8),
        duration=pl.when(inside).then(days.clip(1)).otherwise(window).cast(pl.Float64),
        in_moment=((days < 0) & (days >= -signals.EPISODE_GAP_DAYS)).fill_null(False),
    )


def _detection_quality(
    name: str, entries: pl.DataFrame, true_dates: pl.DataFrame, moment: str, until: date
) -> list[dict]:
    """How well the burst rule finds real moments: precision of detected entries, recall of the true
    moments of customers with purchases (both over the whole history, tolerance DETECTION_TOLERANCE_DAYS)."""
    detected = entries.filter(pl.col("moment") == moment)
    real = true_dates.filter((pl.col("moment") == moment) & pl.col("true_date").is_not_null())
    real = real.filter(pl.col("true_date") < until - timedelta(days=signals.BURST_DAYS))
    pairs = detected.join(real.drop("moment"), on="customer_id").filter(
        (pl.col("entry_date") - pl.col("true_date")).dt.total_days().abs() <= DETECTION_TOLERANCE_DAYS
    )
    precision = (
        pairs.select("customer_id", "entry_date").n_unique() / detected.height if detected.height else 0.0
    )
    recall = pairs["customer_id"].n_unique() / real.height if real.height else 0.0
    return [
        {"model": name, "metric": "detection_entries", "value": float(detected.height)},
        {"model": name, "metric": "detection_precision", "value": float(precision)},
        {"model": name, "metric": "detection_recall", "value": float(recall)},
    ]
