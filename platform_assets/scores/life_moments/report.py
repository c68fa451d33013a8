"""What a life-moments run reports: registry entries, and the tables and chart its asset shows (pure:
a ``scoring.MomentsRun`` in, entries, frames and markdown out)."""

from __future__ import annotations

import polars as pl

from platform_assets.lib.charts import figure_markdown, subplots
from platform_assets.scores.life_moments import signals, survival
from platform_assets.scores.life_moments.scoring import MomentsRun
from platform_assets.scores.registry import ModelVersion

MODELS = [f"life_moment_{name}" for name in signals.MOMENT_NAMES]
# Measures shown on the asset's page and kept with the registered model.
HEADLINE = (
    "backtest_truth_concordance",
    "backtest_truth_top5_precision_ratio",
    "backtest_observed_concordance",
    "detection_precision",
    "detection_recall",
)


def model_versions(result: MomentsRun, run_id: str) -> list[tuple[survival.MomentModel, ModelVersion]]:
    """(fitted model, registry entry) per moment, with its group-wide headline measures."""
    entries = []
    for name, fitted in result.models.items():
        model = f"life_moment_{name}"
        measured = {
            r["metric"]: r["value"]
            for r in result.metrics
            if r["model"] == model
            and r["metric"] in HEADLINE
            and r["business_unit"] == "ALL"
            and r["value"] == r["value"]
        }
        entry = ModelVersion(model, fitted.version, "ALL", fitted.cutoff, run_id, fitted.covariates, measured)
        entries.append((fitted, entry))
    return entries


def headline(result: MomentsRun) -> dict[str, float]:
    """<moment>_<measure> of the HEADLINE measures (NaN left out)."""
    return {
        f"{r['model'].removeprefix('life_moment_')}_{r['metric']}": round(r["value"], 4)
        for r in result.metrics
        if r["metric"] in HEADLINE and r["value"] == r["value"]
    }


def backtest_table(result: MomentsRun) -> pl.DataFrame:
    """A row per backtest and detection measure, a column per model (4 decimals)."""
    return (
        pl.DataFrame(result.metrics)
        .filter(
            pl.col("metric").str.starts_with("backtest_") | pl.col("metric").str.starts_with("detection_")
        )
        .with_columns(pl.col("value").round(4))
        .pivot(on="model", index="metric", values="value")
    )


def season_profiles(result: MomentsRun) -> dict[str, list[float]]:
    """Relative entry rate per calendar month of each moment (scores move from the training window's
    season to the reference date's)."""
    return {k: [round(f, 2) for f in m.season] for k, m in result.models.items()}


def survival_chart(result: MomentsRun) -> str:
    """Each moment's Cox baseline survival curve (days after the training cutoff), as a markdown image."""
    fig, axes = subplots(1, len(result.models), figsize=(4 * len(result.models), 3.2), squeeze=False)
    for ax, (name, fitted) in zip(axes[0], result.models.items(), strict=True):
        if fitted.cox is not None:
            fitted.cox.baseline_survival_.plot(ax=ax, legend=False, color="#1565c0")
        ax.set_title(f"{name}: Cox baseline survival" if fitted.cox is not None else f"{name}: no Cox fit")
        ax.set_xlabel("days after the cutoff")
        ax.set_ylabel("P(not yet entered)")
    return figure_markdown(fig, "life-moment survival")
