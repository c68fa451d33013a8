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

# The buyer model's: the customer's own (the same on each of their rows).
CUSTOMER_FEATURES = [
    "purchase_days_90d",
    "purchase_days_365d",
    "purchase_days_730d",
    "days_since_last_purchase",
    "departments_365d",
    "spend_365d",
]
PURCHASE_FEATURES = [
    *CUSTOMER_FEATURES,
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
    "dept_taste",
    "dept_taste_share",
    "dept_season_ahead",
    "popularity_30d",
    "popularity_90d",
    "popularity_365d",
    "popularity_last_year_30d",
]
# Categorical features, coded by the model's own vocabulary (unknown at scoring -> missing).
CATEGORICAL = ["department_id", "business_unit"]
CUSTOMER_CATEGORICAL = ["business_unit"]
PARAMETERS = {
    "max_iter": 40,
    "learning_rate": 0.2,
    "max_leaf_nodes": 15,
    "min_samples_leaf": 20,
    "l2_regularization": 1.0,
    "early_stopping": False,
    "random_state": 0,
}


# scikit-learn's OpenMP threads for the fits and predictions: on a machine whose cores are busy with
# other work, its threads spin waiting for each other (a 100k-row fit took 15-33 s with two threads
# on two shared cores, 2.4 s with one).
MODEL_THREADS = 1
PREDICT_ROWS = 32_768


class TooFewOutcomes(ValueError):
    """The training rows have too few purchases (or too few non-purchases) to learn from."""


@dataclass
class AppetenceModel:
    """Two classifiers: ``buyer``, will the customer buy anything within HORIZON_DAYS (on their own
    features, one row per customer), and ``classifier``, given that they buy, will it be in this
    department (customer x department rows of the customers who bought). The probability of a purchase
    in the department is their product: buying there implies buying."""

    version: str
    classifier: object  # sklearn HistGradientBoostingClassifier: department | the customer buys
    features: list[str]  # the department model's numeric features, then CATEGORICAL
    vocabulary: dict[str, list[str]]  # categorical column -> its values, in code order
    buyer: object = None  # sklearn HistGradientBoostingClassifier: the customer buys anything
    training_rows: int = 0  # customer x department rows the department model learned on
    training_buy_rate: float = float("nan")  # share of the training customers who bought

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


def _one_thread():
    """scikit-learn's OpenMP threads limited to MODEL_THREADS for a fit or a prediction."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=MODEL_THREADS, user_api="openmp")


def _classifier(x: np.ndarray, y: np.ndarray, categorical: list[bool]):
    import numpy as np
    from sklearn.ensemble import HistGradientBoostingClassifier

    # a column with no value at all in training (browsing before the web export began) teaches
    # nothing and the histogram binning cannot bin it: one constant value, which it never splits on
    x[:, np.isnan(x).all(axis=0)] = 0.0
    with _one_thread():
        return HistGradientBoostingClassifier(categorical_features=categorical, **PARAMETERS).fit(x, y)


def _enough(positives: int, total: int, what: str, cutoff) -> None:
    if min(positives, total - positives) < MIN_OUTCOMES:
        raise TooFewOutcomes(
            f"appetence model: {positives} {what} and {total - positives} without, in the {HORIZON_DAYS} "
            f"days after {cutoff}; at least {MIN_OUTCOMES} of each are needed to train"
        )


def _customers(rows: pl.DataFrame, by: list[str], extra: tuple[str, ...] = ()) -> pl.DataFrame:
    """One row per ``by`` (customer, and training cut-off when stacked): the customer's own columns."""
    import polars as pl

    return rows.group_by(by, maintain_order=True).agg(
        pl.col([*CUSTOMER_FEATURES, *CUSTOMER_CATEGORICAL, *extra]).first()
    )


def fit(rows: pl.DataFrame, numeric: list[str], cutoff) -> AppetenceModel:
    """Both classifiers on the training rows: customer x department, with ``bought`` (0/1), sorted by
    the caller; rows of several cut-offs stacked carry ``training_cutoff`` (a customer there is one
    customer per cut-off)."""
    import numpy as np
    import polars as pl

    by = ["training_cutoff", "customer_id"] if "training_cutoff" in rows.columns else ["customer_id"]
    rows = rows.with_columns(pl.col("bought").max().over(by).alias("_buyer"))
    customers = _customers(rows, by, ["_buyer"])
    buyers = customers["_buyer"].to_numpy()
    _enough(int(buyers.sum()), buyers.size, "customers who bought", cutoff)
    chosen = rows.filter(pl.col("_buyer") == 1)
    y = chosen["bought"].to_numpy()
    _enough(int(y.sum()), y.size, "departments bought by the buyers", cutoff)

    vocabulary = {c: sorted(rows[c].cast(str).unique().to_list()) for c in CATEGORICAL}
    x = _matrix(chosen, numeric, vocabulary)
    xb = _matrix(customers, CUSTOMER_FEATURES, {c: vocabulary[c] for c in CUSTOMER_CATEGORICAL})
    version = model_version(
        np.concatenate([x.ravel(), xb.ravel()]), np.concatenate([y, buyers]), numeric + CATEGORICAL, cutoff
    )
    return AppetenceModel(
        version,
        _classifier(x, y, [False] * len(numeric) + [True] * len(CATEGORICAL)),
        numeric + CATEGORICAL,
        vocabulary,
        buyer=_classifier(xb, buyers, [False] * len(CUSTOMER_FEATURES) + [True] * len(CUSTOMER_CATEGORICAL)),
        training_rows=int(y.size),
        training_buy_rate=float(buyers.mean()),
    )


def _in_chunks(classifier, x: np.ndarray) -> np.ndarray:
    """The classifier's probability of the positive class, PREDICT_ROWS rows at a time: each tree walks
    a chunk that stays in the cache instead of the whole matrix (at 1M customers 6.8M rows, 2 GB, read
    once per tree); the same values, 2.5 times faster."""
    import numpy as np

    with _one_thread():
        parts = [
            classifier.predict_proba(x[i : i + PREDICT_ROWS])[:, 1] for i in range(0, len(x), PREDICT_ROWS)
        ]
    return np.concatenate(parts) if parts else np.zeros(0)


def predict(fitted: AppetenceModel, rows: pl.DataFrame) -> np.ndarray:
    """Probability of a purchase in the department within HORIZON_DAYS, per row: that the customer
    buys (predicted once per customer) times that it is in this department if they do."""
    import polars as pl

    numeric = fitted.features[: -len(CATEGORICAL)]
    customers = _customers(rows, ["customer_id"])
    vocabulary = {c: fitted.vocabulary[c] for c in CUSTOMER_CATEGORICAL}
    department = _in_chunks(fitted.classifier, _matrix(rows, numeric, fitted.vocabulary))
    buys = _in_chunks(fitted.buyer, _matrix(customers, CUSTOMER_FEATURES, vocabulary))
    per_row = rows.select("customer_id").join(
        customers.select("customer_id", pl.Series("p", buys)),
        on="customer_id",
        how="left",
        maintain_order="left",
    )
    return per_row["p"].to_numpy() * department


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
