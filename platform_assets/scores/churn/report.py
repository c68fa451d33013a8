"""What a churn run reports: metric rows for ops.model_metrics, registry entries, and the tables and
chart its asset shows (pure: a ``scoring.ChurnRun`` in, rows, frames and markdown out)."""

from __future__ import annotations

import numpy as np
import polars as pl

from platform_assets.lib.charts import figure_markdown, subplots
from platform_assets.lib.model_metrics import backtest_frame, headline_measures
from platform_assets.scores.churn import model
from platform_assets.scores.churn.scoring import ChurnRun
from platform_assets.scores.registry import ModelVersion

MODEL = "churn"
CHALLENGER_MODEL = "churn_challenger"  # a challenger's metrics and registry entries
# Backtest measures shown on the asset's page and kept with the registered model.
HEADLINE = (
    "auc",
    "top_decile_lift",
    "max_band_calibration_gap_pct",
    "max_band_calibration_gap_all_bands_pct",
    "bands_outside_ci",
    "mean_band_calibration_gap_pct",
    "churn_rate",
)


def metric_rows(result: ChurnRun, name: str = MODEL) -> list[dict]:
    """Every business unit's backtest measures and horizon, and the group's (business unit ALL: pooled
    backtest AUC, whether the models browse, out-of-fold AUC with and without browsing), for
    ops.model_metrics (a challenger's under model ``churn_challenger``)."""
    return (
        [
            {"model": name, "business_unit": bu, "metric": f"backtest_{k}", "value": v}
            for bu, values in result.backtest.items()
            for k, v in values.items()
        ]
        + [
            {"model": name, "business_unit": bu, "metric": "horizon_days", "value": float(h)}
            for bu, h in result.horizons.items()
        ]
        + [
            {"model": name, "business_unit": "ALL", "metric": k, "value": v}
            for k, v in result.group_measures.items()
        ]
    )


def model_versions(
    result: ChurnRun, run_id: str, name: str = MODEL
) -> list[tuple[model.ChurnModel, ModelVersion]]:
    """(fitted model, registry entry) per business unit, with its headline backtest measures."""
    return [
        (
            fitted,
            ModelVersion(
                name,
                fitted.version,
                bu,
                result.cutoffs[bu]["training"],
                run_id,
                fitted.features,
                {f"backtest_{k}": v for k, v in result.backtest[bu].items() if k in HEADLINE and v == v},
            ),
        )
        for bu, fitted in result.models.items()
    ]


def headline(result: ChurnRun) -> dict[str, float]:
    """backtest_<measure>_<business unit> of the HEADLINE measures (NaN left out)."""
    return headline_measures(result.backtest, HEADLINE)


def backtest_table(result: ChurnRun) -> pl.DataFrame:
    """A row per backtest measure, a column per business unit (4 decimals)."""
    return backtest_frame(result.backtest)


def bands_table(scores: pl.DataFrame) -> pl.DataFrame:
    """Customers and mean score per business unit and band."""
    return (
        scores.group_by("business_unit", "churn_band")
        .agg(pl.len().alias("customers"), pl.col("churn_score").mean().round(1).alias("mean_score"))
        .sort("business_unit", "mean_score")
    )


def calibration_chart(predictions: pl.DataFrame, cutoffs: dict[str, tuple[int, ...]]) -> str:
    """Predicted vs observed churn per band and business unit on the backtest, with the observed
    rate's 95 % interval (the diagonal = perfect), as a markdown image; ``cutoffs``: each unit's
    band cut-offs."""
    fig, ax = subplots(figsize=(5.5, 4.5))
    for bu in sorted(predictions["business_unit"].unique().to_list()):
        part = predictions.filter(pl.col("business_unit") == bu)
        p, y = part["probability"].to_numpy(), part["churned"].to_numpy()
        bands = model.band_of(model.score(p), cutoffs[bu])
        present = [b for b in range(len(model.BANDS)) if (bands == b).any()]
        xs = np.array([100 * p[bands == b].mean() for b in present])
        ys = np.array([100 * y[bands == b].mean() for b in present])
        ci = np.array(
            [model.wilson_interval(int(y[bands == b].sum()), int((bands == b).sum())) for b in present]
        )
        err = np.vstack([ys - 100 * ci[:, 0], 100 * ci[:, 1] - ys]).clip(0) if present else None
        ax.errorbar(xs, ys, yerr=err, marker="o", capsize=3, label=bu)
    ax.plot([0, 100], [0, 100], color="grey", linestyle="--", linewidth=0.8)
    ax.set_xlabel("predicted churn (%), mean per band")
    ax.set_ylabel("observed churn (%), 95 % interval")
    ax.set_title("Churn backtest calibration per band")
    ax.legend()
    return figure_markdown(fig, "churn calibration")
