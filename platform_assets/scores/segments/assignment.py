"""Daily assignment: a supervised classifier trained on a frozen segmentation's labels.

Pure. Segments don't reshuffle overnight because nothing is re-clustered: each day the frozen
classifier reads a customer's behaviour and returns the segment it learned. Two candidates are
trained on the same split and the better on held-out customers is kept (logistic regression when
within half a point: k-means cells are linear in the scaled inputs, and it assigns a million
customers in seconds).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from platform_assets.scores.segments.prepare import Preparer

if TYPE_CHECKING:  # scikit-learn is imported when a classifier is trained, not when the code location loads
    from sklearn.pipeline import Pipeline

HOLDOUT_SHARE = 0.2
TIE_MARGIN = 0.005
NO_PURCHASE = 0  # segment of the customers with no purchase yet: no behaviour to classify


@dataclass
class SegmentClassifier:
    segmentation_version: str
    preparer: Preparer
    model: Pipeline
    method: str

    @property
    def features(self) -> list[str]:
        return self.preparer.columns

    def assign(self, readable: pl.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """(segment id, probability of that segment) per row of a ``prepare.readable`` frame."""
        if readable.height == 0:
            return np.empty(0, dtype=np.int64), np.empty(0)
        proba = self.model.predict_proba(self.preparer.transform(readable))
        best = proba.argmax(axis=1)
        # A forest predicting on several threads sums its trees in whatever order they finish: the
        # last bits vary run to run. Rounded, the same input gives the same published table.
        return self.model.classes_[best].astype(np.int64), np.round(proba[np.arange(len(best)), best], 12)


def candidates(seed: int) -> dict[str, Pipeline]:
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return {
        "logistic_regression": make_pipeline(StandardScaler(), LogisticRegression(C=10.0, max_iter=3000)),
        "random_forest": make_pipeline(
            RandomForestClassifier(n_estimators=100, min_samples_leaf=2, n_jobs=2, random_state=seed)
        ),
    }


def train(
    version: str, preparer: Preparer, inputs: np.ndarray, labels: np.ndarray, seed: int = 0
) -> tuple[SegmentClassifier, dict[str, float], str]:
    """Trains the candidates on 80% of the frozen labels, measures them on the held-out 20%, refits
    the kept one on all of them. Noise (label 0, HDBSCAN) is not a segment: left out of training.
    Returns the classifier, the held-out metrics and the reason for the choice."""
    from sklearn.metrics import accuracy_score
    from sklearn.model_selection import train_test_split

    kept = labels > 0
    x, y = inputs[kept], labels[kept]
    counts = np.bincount(y)
    stratify = y if counts[counts > 0].min() >= 2 else None
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=HOLDOUT_SHARE, random_state=seed, stratify=stratify
    )
    accuracy = {}
    for name, model in candidates(seed).items():
        accuracy[name] = float(accuracy_score(y_test, model.fit(x_train, y_train).predict(x_test)))
    best = max(accuracy, key=accuracy.get)
    method = "logistic_regression" if accuracy["logistic_regression"] >= accuracy[best] - TIE_MARGIN else best
    reason = (
        f"{method.replace('_', ' ')}: held-out accuracy {accuracy[method]:.4f} "
        f"(logistic regression {accuracy['logistic_regression']:.4f}, random forest {accuracy['random_forest']:.4f})"
    )
    model = candidates(seed)[method].fit(x, y)
    metrics = {
        "holdout_accuracy": accuracy[method],
        "holdout_customers": float(len(y_test)),
        "training_customers": float(len(y)),
        **{f"holdout_accuracy_{name}": value for name, value in accuracy.items()},
    }
    return SegmentClassifier(version, preparer, model, method), metrics, reason


def stability(previous: pl.DataFrame, current: pl.DataFrame) -> dict[str, float]:
    """Day-to-day stability on the customers in both assignments (customer_id, segment_id):
    the share that changed segment and the adjusted Rand index of the two partitions."""
    from sklearn.metrics import adjusted_rand_score

    both = previous.select("customer_id", pl.col("segment_id").alias("before")).join(
        current.select("customer_id", pl.col("segment_id").alias("after")), on="customer_id"
    )
    if both.height == 0:
        return {"customers_compared": 0.0}
    changed = float((both["before"] != both["after"]).mean())
    return {
        "customers_compared": float(both.height),
        "changed_share": changed,
        "kept_share": 1.0 - changed,
        "adjusted_rand": float(adjusted_rand_score(both["before"].to_numpy(), both["after"].to_numpy())),
    }
