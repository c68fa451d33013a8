"""What an appetence run reports: metric rows for ops.model_metrics, the registry entry, the headline
and the backtest table its asset shows (pure: a ``scoring.AppetenceRun`` in, rows and frames out)."""

from __future__ import annotations

import math

import polars as pl

from platform_assets.lib.model_metrics import backtest_frame, headline_measures
from platform_assets.scores.appetence.model import TOP_K, AppetenceModel
from platform_assets.scores.appetence.scoring import AppetenceRun
from platform_assets.scores.registry import ModelVersion

MODEL = "appetence"
TARGET_LIFT = 1.5  # issue 23: precision@3 at least 1.5x the popularity baseline's
HEADLINE = (
    f"model_precision_at_{TOP_K}",
    f"model_recall_at_{TOP_K}",
    f"popularity_precision_at_{TOP_K}",
    f"popularity_recall_at_{TOP_K}",
    f"history_precision_at_{TOP_K}",
    f"lift_precision_at_{TOP_K}",
    "customers_evaluated",
)


def metric_rows(result: AppetenceRun) -> list[dict]:
    """backtest_<measure> per business unit and ALL (NaN left out: a unit with no buyer), and the
    horizon, for ops.model_metrics."""
    rows = [
        {"model": MODEL, "business_unit": bu, "metric": f"backtest_{k}", "value": v}
        for bu, values in result.backtest.items()
        for k, v in values.items()
        if not math.isnan(v)
    ]
    rows.append({"model": MODEL, "business_unit": "ALL", "metric": "horizon_days", "value": 30.0})
    return rows


def model_version(result: AppetenceRun, run_id: str) -> tuple[AppetenceModel, ModelVersion]:
    """The fitted group model and its registry entry, with the group's headline backtest measures."""
    measures = result.backtest["ALL"]
    return result.model, ModelVersion(
        MODEL,
        result.model.version,
        "ALL",
        result.cutoffs["training"],
        run_id,
        result.model.features,
        {f"backtest_{k}": measures[k] for k in HEADLINE if not math.isnan(measures[k])},
    )


def headline(result: AppetenceRun) -> dict[str, float]:
    """backtest_<measure>_<business unit> of the HEADLINE measures (NaN left out)."""
    return headline_measures(result.backtest, HEADLINE)


def backtest_table(result: AppetenceRun) -> pl.DataFrame:
    """A row per backtest measure, a column per business unit (4 decimals)."""
    return backtest_frame(result.backtest)


def top_departments(result: AppetenceRun) -> pl.DataFrame:
    """Customers per business unit whose most likely department is each department."""
    return (
        result.scores.group_by("business_unit", "department_1_name")
        .agg(pl.len().alias("customers"), pl.col("probability_1").mean().round(3).alias("mean_probability"))
        .sort("business_unit", "customers", descending=[False, True])
    )
