"""The scikit-learn estimators a retailer may name in configuration (a local score's model, a churn
challenger), the parameters each may set, and the pipeline built from one."""

from __future__ import annotations

import importlib
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

SEED = 0

# The allowed estimators: module, class, the parameters a declaration may set.
ESTIMATORS: dict[str, tuple[str, str, frozenset[str]]] = {
    "logistic_regression": (
        "sklearn.linear_model",
        "LogisticRegression",
        frozenset({"C", "l1_ratio", "max_iter", "class_weight", "solver"}),
    ),
    "random_forest": (
        "sklearn.ensemble",
        "RandomForestClassifier",
        frozenset({"n_estimators", "max_depth", "min_samples_leaf", "max_features", "class_weight"}),
    ),
    "gradient_boosting": (
        "sklearn.ensemble",
        "HistGradientBoostingClassifier",
        frozenset(
            {
                "max_iter",
                "learning_rate",
                "max_depth",
                "max_leaf_nodes",
                "min_samples_leaf",
                "l2_regularization",
            }
        ),
    ),
}


class ModelSpec(BaseModel):
    """A model family from ``ESTIMATORS`` and the parameters it is given."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    estimator: Literal["logistic_regression", "random_forest", "gradient_boosting"]
    parameters: dict[str, int | float | str | bool | None] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _allowed(self) -> ModelSpec:
        allowed = ESTIMATORS[self.estimator][2]
        if unknown := sorted(set(self.parameters) - allowed):
            raise ValueError(
                f"parameter(s) {unknown} not allowed for {self.estimator} (allowed: {', '.join(sorted(allowed))})"
            )
        return self

    def label(self) -> str:
        """``estimator(parameter=value, ...)``, for tables and metadata."""
        shown = ", ".join(f"{k}={v}" for k, v in sorted(self.parameters.items()))
        return f"{self.estimator}({shown})"


def estimator(spec: ModelSpec):
    """An unfitted estimator with the spec's parameters, seeded where it draws."""
    module, name, _ = ESTIMATORS[spec.estimator]
    estimator_class = getattr(importlib.import_module(module), name)
    parameters = dict(spec.parameters)
    if "random_state" in estimator_class().get_params():
        parameters["random_state"] = SEED
    return estimator_class(**parameters)


def pipeline(spec: ModelSpec, impute: bool = True):
    """An unfitted pipeline: median imputation (a feature of an absent source is null) when
    ``impute``, scaling for the linear model, then the estimator."""
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    steps = [SimpleImputer(strategy="median", keep_empty_features=True)] if impute else []
    if spec.estimator == "logistic_regression":
        steps.append(StandardScaler())
    return make_pipeline(*steps, estimator(spec))


def threads():
    """scikit-learn's OpenMP threads limited to one: steps run one at a time, and two threads spin
    waiting for each other on shared cores (as the appetence model found)."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="openmp")
