"""The appetence model and its measures (pure: frames and arrays in, frames, arrays and numbers out).

One gradient-boosted classifier (scikit-learn's HistGradientBoostingClassifier) for the group, on
customer x department rows: will the customer buy in the department within HORIZON_DAYS? Department
and business unit are categorical features, so the trees learn each department's own pace. The
baseline it must beat is the department's popularity in the business unit (the share of its
customers who bought there in the 30 days before the cutoff), the same ranking for everyone.

Measures (per customer, then averaged over the customers who bought anything in the window):
precision@k = departments of the top k bought / k; recall@k = departments of the top k bought /
departments bought. Lift = the model's precision@k / the baseline's.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import polars as pl

HORIZON_DAYS = 30
TOP_K = 3
# Fewer buyers (or non-buyers) than this in the training rows: nothing to learn from.
MIN_OUTCOMES = 20

PURCHASE_FEATURES = [
    "purchase_days_90d",
    "purchase_days_365d",
    "purchase_days_730d",
    "days_since_last_purchase",
    "departments_365d",
    "spend_365d",
    "dept_purchase_days_30d",
    "dept_purchase_days_90d",
    "dept_purchase_days_365d",
    "dept_purchase_days_730d",
    "dept_lines_365d",
    "dept_spend_90d",
    "dept_spend_365d",
    "dept_spend_share_365d",
    "dept_days_since_last_purchase",
    "dept_purchase_days_last_year_30d",
    "dept_line_share_730d",
    "dept_day_share_730d",
    "popularity_30d",
    "popularity_90d",
    "popularity_365d",
    "popularity_last_year_30d",
]
# Categorical features, coded by the model's own vocabulary (unknown at scoring -> missing).
CATEGORICAL = ["department_id", "business_unit"]
PARAMETERS = {
    "max_iter": 80,
    "learning_rate": 0.1,
    "max_leaf_nodes": 15,
    "min_samples_leaf": 40,
    "l2_regularization": 1.0,
    "early_stopping": False,
    "random_state": 0,
}


class TooFewOutcomes(ValueError):
    """The training rows have too few purchases (or too few non-purchases) to learn from."""


@dataclass
class AppetenceModel:
    version: str
    classifier: object  # sklearn HistGradientBoostingClassifier
    features: list[str]  # numeric features, then CATEGORICAL
    vocabulary: dict[str, list[str]]  # categorical column -> its values, in code order
    training_rows: int = 0
    training_buy_rate: float = float("nan")

    @property
    def uses_browsing(self) -> bool:
        return any(f not in PURCHASE_FEATURES and f not in CATEGORICAL for f in self.features)


def numeric_features(browsing_columns: tuple[str, ...] = ()) -> list[str]:
    return [*PURCHASE_FEATURES, *browsing_columns]


def _matrix(rows: pl.DataFrame, numeric: list[str], vocabulary: dict[str, list[str]]) -> np.ndarray:
    import numpy as np
    import polars as pl

    coded = [
        rows[c]
        .cast(pl.String)
        .replace_strict(values, list(range(len(values))), default=None, return_dtype=pl.Float64)
        for c, values in vocabulary.items()
    ]
    x = rows.select(pl.col(c).cast(pl.Float64) for c in numeric).with_columns(coded).to_numpy()
    return np.asarray(x, dtype=np.float64)


def model_version(x: np.ndarray, y: np.ndarray, features: list[str], cutoff) -> str:
    """Content-derived: the same training rows and settings give the same version."""
    import numpy as np

    digest = hashlib.sha1(f"{cutoff}|{features}|{sorted(PARAMETERS.items())}".encode())
    digest.update(np.ascontiguousarray(x).tobytes())
    digest.update(np.ascontiguousarray(y).tobytes())
    return digest.hexdigest()[:12]


def fit(rows: pl.DataFrame, y: np.ndarray, numeric: list[str], cutoff) -> AppetenceModel:
    """The classifier on every training row (sorted by customer and department by the caller)."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    positives = int(y.sum())
    if min(positives, y.size - positives) < MIN_OUTCOMES:
        raise TooFewOutcomes(
            f"appetence model: {positives} customer x department purchases and {y.size - positives} "
            f"non-purchases in the {HORIZON_DAYS} days after {cutoff}; at least {MIN_OUTCOMES} of each "
            "are needed to train"
        )
    import numpy as np

    vocabulary = {c: sorted(rows[c].cast(str).unique().to_list()) for c in CATEGORICAL}
    x = _matrix(rows, numeric, vocabulary)
    # a column with no value at all in training (browsing before the web export began) teaches
    # nothing and the histogram binning cannot bin it: one constant value, which it never splits on
    x[:, np.isnan(x).all(axis=0)] = 0.0
    categorical = [False] * len(numeric) + [True] * len(CATEGORICAL)
    classifier = HistGradientBoostingClassifier(categorical_features=categorical, **PARAMETERS)
    classifier.fit(x, y)
    return AppetenceModel(
        model_version(x, y, numeric + CATEGORICAL, cutoff),
        classifier,
        numeric + CATEGORICAL,
        vocabulary,
        training_rows=int(y.size),
        training_buy_rate=float(y.mean()),
    )


def predict(fitted: AppetenceModel, rows: pl.DataFrame) -> np.ndarray:
    """Probability of a purchase in the department within HORIZON_DAYS, per row."""
    numeric = fitted.features[: -len(CATEGORICAL)]
    return fitted.classifier.predict_proba(_matrix(rows, numeric, fitted.vocabulary))[:, 1]


def ranked(rows: pl.DataFrame, score: str) -> pl.DataFrame:
    """``rows`` with ``rank`` (1 = best) of each department within its customer by ``score``
    descending; ties broken by department id, so a ranking never depends on row order."""
    import polars as pl

    return rows.sort(["customer_id", score, "department_id"], descending=[False, True, False]).with_columns(
        pl.col("department_id").cum_count().over("customer_id").cast(pl.Int64).alias("rank")
    )


def at_k(rows: pl.DataFrame, score: str, bought: str = "bought", k: int = TOP_K) -> pl.DataFrame:
    """Per customer who bought in at least one department: hits in the top k, departments bought,
    precision@k and recall@k. ``rows``: customer_id, department_id, business_unit, ``score``, ``bought``."""
    import polars as pl

    return (
        ranked(rows, score)
        .group_by("customer_id")
        .agg(
            pl.col("business_unit").first(),
            (pl.col(bought).cast(pl.Int64) * (pl.col("rank") <= k)).sum().alias("hits"),
            pl.col(bought).cast(pl.Int64).sum().alias("departments_bought"),
        )
        .filter(pl.col("departments_bought") > 0)
        .with_columns(
            (pl.col("hits") / k).alias("precision_at_k"),
            (pl.col("hits") / pl.col("departments_bought")).alias("recall_at_k"),
        )
        .sort("customer_id")
    )


def evaluate(rows: pl.DataFrame, scores: dict[str, str], k: int = TOP_K) -> dict[str, dict[str, float]]:
    """business unit (and ALL) -> measures of each ranking in ``scores`` (name -> column of ``rows``):
    ``<name>_precision_at_<k>``, ``<name>_recall_at_<k>``; customers evaluated, customers scored,
    the share of them who bought, and ``lift_precision_at_<k>`` of ``model`` over ``popularity``."""
    import polars as pl

    per_ranking = {name: at_k(rows, column, k=k) for name, column in scores.items()}
    scored = rows.group_by("business_unit").agg(pl.col("customer_id").n_unique().alias("n"))
    units = {"ALL": pl.lit(True)} | {
        bu: pl.col("business_unit") == bu for bu in sorted(scored["business_unit"].to_list())
    }
    result: dict[str, dict[str, float]] = {}
    for unit, where in units.items():
        m: dict[str, float] = {}
        for name, frame in per_ranking.items():
            part = frame.filter(where)
            m[f"{name}_precision_at_{k}"] = (
                float(part["precision_at_k"].mean()) if part.height else float("nan")
            )
            m[f"{name}_recall_at_{k}"] = float(part["recall_at_k"].mean()) if part.height else float("nan")
        evaluated = per_ranking[next(iter(scores))].filter(where).height
        customers = int(scored.filter(where)["n"].sum()) if unit != "ALL" else int(scored["n"].sum())
        m["customers_scored"] = float(customers)
        m["customers_evaluated"] = float(evaluated)
        m["buyer_share"] = evaluated / customers if customers else float("nan")
        if "model" in scores and "popularity" in scores:
            base = m[f"popularity_precision_at_{k}"]
            m[f"lift_precision_at_{k}"] = m[f"model_precision_at_{k}"] / base if base else float("nan")
        result[unit] = m
    return result
