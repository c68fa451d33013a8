"""Column documentation of ``scores.customer_churn``: the ``dagster/column_schema`` of its asset
spec, published as DuckDB column comments."""

from __future__ import annotations

TYPES = {
    "customer_id": "varchar",
    "reference_date": "date",
    "business_unit": "varchar",
    "churn_probability": "double",
    "churn_score": "bigint",
    "churn_band": "varchar",
    "churn_action": "varchar",
    "driver_1": "varchar",
    "driver_2": "varchar",
    "driver_3": "varchar",
    "horizon_days": "bigint",
    "band_cutoffs": "integer[]",
    "model_version": "varchar",
    "estimator": "varchar",
    "model_arm": "varchar",
}
# scores.customer_churn_versions: every version's score of every scored customer
VERSION_TYPES = {
    "customer_id": "varchar",
    "reference_date": "date",
    "business_unit": "varchar",
    "model_arm": "varchar",
    "estimator": "varchar",
    "model_version": "varchar",
    "churn_probability": "double",
    "churn_score": "bigint",
    "churn_band": "varchar",
    "is_driving": "boolean",
}

DESCRIPTIONS = {
    "customer_id": "Stable customer id (referential.dim_customer).",
    "reference_date": "The date the score is computed as of (nothing on or after it is used).",
    "business_unit": "Business unit (country, ISO 3166 code) whose model scored the customer.",
    "churn_probability": (
        "Calibrated probability (0-1) of no purchase within horizon_days after the reference date."
    ),
    "churn_score": "Churn risk 0-100: churn_probability in percent.",
    "churn_band": (
        "Playbook band of the score: healthy, attention, moderate risk, high risk, each from its "
        "cut-off in band_cutoffs (the demo's: 26, 51, 76)."
    ),
    "churn_action": "Action the playbook recommends for the band.",
    "driver_1": "Largest contribution to the risk (|coefficient x standardised value|), in words.",
    "driver_2": "Second largest contribution to the risk, in words.",
    "driver_3": "Third largest contribution to the risk, in words.",
    "horizon_days": (
        "Churn horizon of the business unit (days): its configured churn.horizon_days, else the "
        "horizon_quantile of its gaps between purchase days rounded up to 30 days, within "
        "horizon_bounds_days (the demo's: 95th percentile, 60-365)."
    ),
    "band_cutoffs": (
        "Lowest score of the bands attention, moderate risk and high risk in the business unit "
        "(its churn.band_cutoffs) that churn_band was read with."
    ),
    "model_version": "Version of the fitted model in ops.model_registry (model churn).",
    "estimator": "Estimator and parameters of that model version (lib/estimators.py).",
    "model_arm": (
        "champion or challenger: the version whose score, band, action and drivers are the customer's "
        "(a hash of the customer id against churn.challenger.share; champion without a challenger)."
    ),
}

VERSION_DESCRIPTIONS = {
    **{c: DESCRIPTIONS[c] for c in ("customer_id", "reference_date", "business_unit", "churn_probability")},
    "model_arm": "champion (the model in production) or challenger (churn.challenger, tested beside it).",
    "estimator": "Estimator and parameters of the version (lib/estimators.py).",
    "model_version": "Version of the fitted model in ops.model_registry (model churn, or churn_challenger).",
    "churn_score": "Churn risk 0-100 of this version: its churn_probability in percent.",
    "churn_band": "Playbook band of this version's score, read with the unit's band_cutoffs.",
    "is_driving": "True for the version whose score drives the customer's decisions (scores.customer_churn).",
}
