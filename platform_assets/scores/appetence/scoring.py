"""One appetence run as of a reference date R: backtest, training, scores.

Cutoffs (H = HORIZON_DAYS = 30; each model learns from TRAINING_CUTOFFS = 3 cut-offs, its own and the
two before, each labelled by the H days after it):
- backtest: train on the rows at R - 2H, R - 3H, R - 4H (labels up to R - H), then rank the rows at
  R - H and compare with the purchases in [R - H, R) - a window the backtest model never saw;
- production: train on the rows at R - H, R - 2H, R - 3H (labels up to R), score the rows at R.
The rows at R - H, R - 2H and R - 3H are built once and used twice. The purchase days and the web
events of the whole span are read once into temporary tables (``data.History``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import duckdb
import numpy as np
import polars as pl

from platform_assets.lib.engine_queries import Scan, on_duckdb
from platform_assets.lib.metadata import polars_schema
from platform_assets.scores.appetence import columns, data, model

# Training (and backtest evaluation) rows are capped at this many customers (x departments), drawn by
# a hash of the customer id: the same customers every run on the same data, and the fit and the
# backtest stay bounded at 1M customers (every customer is still scored).
TRAINING_MAX_CUSTOMERS = 20_000
# A model learns from this many cut-offs, HORIZON_DAYS apart, the last one its own (stacked: three times
# the buyers, and the seasons of three months).
TRAINING_CUTOFFS = 3
# The rankings the backtest measures: the model, the department's popularity in the business unit
# (the baseline to beat), and the customer's own history (days bought in the department in the
# last year, popularity breaking ties) - a second reference, not a target.
RANKINGS = {"model": "probability", "popularity": "popularity_30d", "history": "history_score"}


@dataclass
class AppetenceRun:
    scores: pl.DataFrame  # scores.customer_appetence
    departments: pl.DataFrame  # scores.customer_department_appetence
    model: model.AppetenceModel
    backtest: dict[str, dict[str, float]]  # business unit (and ALL) -> measure -> value
    cutoffs: dict[str, date]
    uses_browsing: bool


def cutoffs(reference_date: date) -> dict[str, date]:
    h = timedelta(days=model.HORIZON_DAYS)
    return {
        "backtest_training": reference_date - 2 * h,
        "backtest_evaluation": reference_date - h,
        "training": reference_date - h,
        "scoring": reference_date,
    }


def training_cutoffs(latest: date) -> list[date]:
    """The cut-offs a model trained at ``latest`` learns from, the latest first."""
    return [latest - k * timedelta(days=model.HORIZON_DAYS) for k in range(TRAINING_CUTOFFS)]


def training_sample(rows: pl.DataFrame, max_customers: int = TRAINING_MAX_CUSTOMERS) -> pl.DataFrame:
    """At most ``max_customers`` customers' rows, chosen by a hash of their id (not by row order)."""
    ids = rows["customer_id"].unique().sort()
    if ids.len() <= max_customers:
        return rows
    keep = ids.to_frame().with_columns(pl.col("customer_id").hash(seed=7).alias("h")).sort("h", "customer_id")
    chosen = keep.head(max_customers)["customer_id"].implode()
    return rows.filter(pl.col("customer_id").is_in(chosen))


@dataclass
class Backtest:
    probe: model.AppetenceModel  # trained at the backtest's training cutoff
    evaluation: pl.DataFrame  # the rows at the evaluation cutoff, labelled, with every ranking's score
    measures: dict[str, dict[str, float]]  # business unit (and ALL) -> measure -> value


class _Rows:
    """The model's rows per cutoff, built once each, labelled by the HORIZON_DAYS after the cutoff.
    ``sampled``: of the training sample's customers only (the training and backtest cutoffs: at 1M
    customers, a thirtieth of the rows to build); else every customer's (the scoring cutoff)."""

    def __init__(
        self,
        conn: duckdb.DuckDBPyConnection,
        browsing: bool,
        history: data.History | None = None,
        scan: Scan = on_duckdb,
    ):
        self.conn, self.browsing, self.history, self.scan, self.frames = conn, browsing, history, scan, {}
        self.numeric = model.numeric_features(data.BROWSING_COLUMNS if browsing else ())

    def at(self, cutoff: date, sampled: bool = False) -> pl.DataFrame:
        if (cutoff, sampled) not in self.frames:
            h = self.history
            customers = training_sample(data.population(self.conn, cutoff, h)) if sampled else None
            self.frames[cutoff, sampled] = data.rows_as_of(
                self.conn, cutoff, self.browsing, customers, h, self.scan
            )
        return self.frames[cutoff, sampled]

    def labelled(self, cutoff: date) -> pl.DataFrame:
        """The training sample's rows at ``cutoff`` with their label."""
        rows = self.at(cutoff, sampled=True)
        end = cutoff + timedelta(days=model.HORIZON_DAYS)
        return rows.with_columns(data.label(rows, data.bought_between(self.conn, cutoff, end, self.scan)))

    def release(self, cutoff: date) -> None:
        """Forget the rows at ``cutoff`` (millions of rows at 1M customers)."""
        self.frames.pop((cutoff, True), None)
        self.frames.pop((cutoff, False), None)

    def train(self, cutoff: date) -> model.AppetenceModel:
        """The model on the training sample's rows at ``cutoff`` and the TRAINING_CUTOFFS - 1 cut-offs
        before it, HORIZON_DAYS apart: every label ends by ``cutoff`` + HORIZON_DAYS."""
        stacked = pl.concat(
            [
                self.labelled(at).with_columns(pl.lit(at).alias("training_cutoff"))
                for at in training_cutoffs(cutoff)
            ],
            how="vertical_relaxed",
        )
        return model.fit(stacked, self.numeric, cutoff)


def backtest(rows: _Rows, reference_date: date) -> Backtest:
    """Train at R - 2H on labels from [R - 2H, R - H), rank the rows at R - H, measure on [R - H, R)."""
    cuts = cutoffs(reference_date)
    # The backtest model's labels end where its evaluation starts: nothing it learns comes from
    # the window it is judged on.
    if cuts["backtest_training"] + timedelta(days=model.HORIZON_DAYS) > cuts["backtest_evaluation"]:
        raise ValueError(f"appetence backtest: training labels overlap the evaluation window ({cuts})")
    probe = rows.train(cuts["backtest_training"])
    # the production model's cut-offs start at the evaluation's: the older ones are done with
    for at in set(training_cutoffs(cuts["backtest_training"])) - set(training_cutoffs(cuts["training"])):
        rows.release(at)
    # measured on the same hashed sample of customers the training takes (all of them up to TRAINING_MAX_CUSTOMERS)
    evaluation = rows.labelled(cuts["backtest_evaluation"])
    evaluation = evaluation.with_columns(
        pl.Series("probability", model.predict(probe, evaluation)), _history_score()
    )
    measures = model.evaluate(evaluation, RANKINGS)
    for unit in measures.values():
        unit["training_rows"] = float(probe.training_rows)
        unit["training_buy_rate"] = probe.training_buy_rate
        unit["uses_browsing"] = float(rows.browsing)
    return Backtest(probe, evaluation, measures)


def run(conn: duckdb.DuckDBPyConnection, reference_date: date, scan: Scan = on_duckdb) -> AppetenceRun:
    """``scan``: where the scans of the sales lines and web events run (lib/engine_queries.py: on Spark
    with ``CDP_ENGINE=spark``); the model's rows are read back here."""
    browsing = data.has_browsing(conn)
    cuts = cutoffs(reference_date)
    earliest = training_cutoffs(cuts["backtest_training"])[-1]
    with data.History(conn, earliest, reference_date, browsing, scan) as history:
        rows = _Rows(conn, browsing, history, scan)
        tested = backtest(rows, reference_date)
        fitted = rows.train(cuts["training"])
        for at in training_cutoffs(cuts["training"]):
            rows.release(at)
        scoring_rows = rows.at(cuts["scoring"])
    departments = _departments(fitted, scoring_rows, reference_date)
    return AppetenceRun(
        _top(departments, fitted, browsing), departments, fitted, tested.measures, cuts, browsing
    )


def _history_score() -> pl.Expr:
    return (pl.col("dept_purchase_days_365d").cast(pl.Float64) + pl.col("popularity_30d")).alias(
        "history_score"
    )


def _departments(fitted: model.AppetenceModel, rows: pl.DataFrame, reference_date: date) -> pl.DataFrame:
    """scores.customer_department_appetence: every customer x department with its probability and rank."""
    scored = rows.with_columns(pl.Series("probability_30d", np.round(model.predict(fitted, rows), 4)))
    ranked = scored.with_columns(_ranks(scored, "probability_30d"))
    return ranked.select(
        "customer_id",
        pl.lit(reference_date).alias("reference_date"),
        "business_unit",
        "department_id",
        "department_name",
        "probability_30d",
        pl.col("rank").alias("department_rank"),
        pl.col("popularity_30d").round(4),
        pl.lit(fitted.version).alias("model_version"),
    ).cast(polars_schema(columns.DEPARTMENT_TYPES))


def _ranks(rows: pl.DataFrame, score: str) -> pl.Series:
    """``model.ranked``'s rank (by ``score`` descending, ties by department id) without its sort, for
    rows sorted by customer and department with every department per customer (``data.rows_as_of``):
    one stable argsort per customer's row of departments."""
    names = rows["department_id"].unique().sort()
    departments = names.len()
    dense = departments > 0 and rows.height % departments == 0 and rows["customer_id"].is_sorted()
    if dense:
        # each block of `departments` rows: one customer (sorted: its first = its last), every department
        # in order, and no customer in two blocks
        n = rows.height // departments
        firsts = rows["customer_id"].gather_every(departments)
        lasts = rows["customer_id"].gather_every(departments, offset=departments - 1)
        grid = pl.Series(np.tile(names.to_numpy(), n))
        dense = bool(firsts.equals(lasts) and firsts.n_unique() == n and rows["department_id"].equals(grid))
    if not dense:
        return model.ranked(rows.with_row_index("_i"), score).sort("_i")["rank"]
    scores = rows[score].to_numpy().reshape(-1, departments)
    order = np.argsort(-scores, axis=1, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(1, departments + 1)[None, :], axis=1)
    return pl.Series("rank", ranks.ravel(), dtype=pl.Int64)


def _top(departments: pl.DataFrame, fitted: model.AppetenceModel, browsing: bool) -> pl.DataFrame:
    """scores.customer_appetence: one row per customer, the top TOP_K departments side by side."""
    top = departments.filter(pl.col("department_rank") <= model.TOP_K)
    wide = top.pivot(
        on="department_rank",
        index=["customer_id", "reference_date", "business_unit"],
        values=["department_id", "department_name", "probability_30d"],
    )
    renamed = {}
    for k in range(1, model.TOP_K + 1):
        renamed |= {
            f"department_id_{k}": f"department_{k}_id",
            f"department_name_{k}": f"department_{k}_name",
            f"probability_30d_{k}": f"probability_{k}",
        }
    wide = wide.rename({old: new for old, new in renamed.items() if old in wide.columns})
    features = "purchases and browsing" if browsing else "purchases"
    return (
        wide.with_columns(
            pl.lit(model.HORIZON_DAYS).alias("horizon_days"),
            pl.lit(features).alias("features_used"),
            pl.lit(fitted.version).alias("model_version"),
        )
        .select(list(columns.TYPES))
        .cast(polars_schema(columns.TYPES))
        .sort("customer_id")
    )
