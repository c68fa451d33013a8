"""What a local score's run reports: metric rows for ops.model_metrics and its registry entry (pure)."""

from __future__ import annotations

import math

from platform_assets.scores.local.declaration import LocalScore
from platform_assets.scores.local.model import Fitted
from platform_assets.scores.local.scoring import LocalRun
from platform_assets.scores.registry import ModelVersion


def metric_rows(score: LocalScore, result: LocalRun) -> list[dict]:
    """backtest_<measure> (NaN left out), the training window's size and the horizon, for the score's
    business unit."""
    base = {"model": score.model_name, "business_unit": score.business_unit}
    rows = [
        {**base, "metric": f"backtest_{k}", "value": v}
        for k, v in result.backtest.measures.items()
        if not math.isnan(v)
    ]
    rows += [
        {**base, "metric": "training_customers", "value": result.model.rows},
        {**base, "metric": "training_positives", "value": result.model.positives},
        {**base, "metric": "horizon_days", "value": score.declaration.target.horizon_days},
    ]
    return rows


def model_version(score: LocalScore, result: LocalRun, run_id: str) -> tuple[Fitted, ModelVersion]:
    """The fitted pipeline and its registry entry (model local_<bu>_<score>, the business unit's)."""
    measures = result.backtest.measures
    return result.model.pipeline, ModelVersion(
        score.model_name,
        result.model.version,
        score.business_unit,
        result.cutoffs["training"],
        run_id,
        result.model.features,
        {f"backtest_{k}": v for k, v in measures.items() if not math.isnan(v)},
    )
