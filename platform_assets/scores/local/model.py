"""Fitting and judging a local score: the declared estimator behind a median imputer, its backtest
measures (AUC, lift and precision in the top decile), its content-derived version."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from platform_assets.lib import estimators
from platform_assets.lib.estimators import ModelSpec, threads


@dataclass(frozen=True)
class Fitted:
    pipeline: object
    features: list[str]
    version: str
    rows: int
    positives: int


def build(spec: ModelSpec):
    """An unfitted pipeline: median imputation, scaling for the linear model, the declared estimator."""
    return estimators.pipeline(spec)


def matrix(frame, features: list[str]):
    return frame.select(features).to_numpy().astype("float64")


def fit(spec: ModelSpec, frame, labels, features: list[str]) -> Fitted:
    """Fits the declared model on ``frame``'s ``features`` and ``labels`` (0/1 numpy array)."""
    import numpy as np

    with threads():
        pipeline = build(spec).fit(matrix(frame, features), labels)
    digest = hashlib.sha256()
    digest.update(json.dumps([spec.model_dump(), features], sort_keys=True, default=str).encode())
    digest.update(str(frame.select(["customer_id", *features]).hash_rows(seed=0).sum()).encode())
    digest.update(np.asarray(labels, dtype="int8").tobytes())
    return Fitted(pipeline, features, digest.hexdigest()[:12], len(labels), int(np.sum(labels)))


def predict(fitted: Fitted, frame):
    with threads():
        return fitted.pipeline.predict_proba(matrix(frame, fitted.features))[:, 1]


def measures(labels, probabilities) -> dict[str, float]:
    """AUC, and the event rate in the top decile of probabilities against the overall rate (lift)."""
    import numpy as np
    from sklearn.metrics import roc_auc_score

    labels = np.asarray(labels)
    order = np.argsort(-np.asarray(probabilities), kind="stable")
    top = order[: max(1, len(order) // 10)]
    rate = float(labels.mean())
    precision = float(labels[top].mean())
    return {
        "auc": float(roc_auc_score(labels, probabilities)),
        "lift_top_decile": precision / rate if rate else float("nan"),
        "precision_top_decile": precision,
        "positive_rate": rate,
        "customers": float(len(labels)),
        "positives": float(labels.sum()),
    }
