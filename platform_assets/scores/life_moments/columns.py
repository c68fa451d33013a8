"""Column documentation of ``scores.customer_life_moments``: the ``dagster/column_schema`` of its
asset spec, published as DuckDB column comments."""

from __future__ import annotations

from platform_assets.scores.life_moments.signals import MOMENT_NAMES

TYPES = {
    "customer_id": "varchar",
    "reference_date": "date",
    "business_unit": "varchar",
    "moment": "varchar",
    "probability_90d": "double",
    "baseline_probability_90d": "double",
    "propensity_rank_share": "double",
    "model_version": "varchar",
}

DESCRIPTIONS = {
    "customer_id": "Stable customer id (referential.dim_customer).",
    "reference_date": "The date the probability is computed as of (nothing on or after it is used).",
    "business_unit": "Business unit (country, ISO 3166 code) of the customer.",
    "moment": "Life moment scored: " + ", ".join(MOMENT_NAMES) + ".",
    "probability_90d": (
        "Cox proportional-hazards probability (0-1) of entering the moment within 90 days of the "
        "reference date, in that season (the moment's month profile: no new gardens in winter)."
    ),
    "baseline_probability_90d": (
        "Kaplan-Meier probability (0-1) of entering the moment within 90 days of the reference date "
        "in the customer's business unit, in that season (the baseline)."
    ),
    "propensity_rank_share": (
        "Rank of probability_90d among the business unit's customers for the moment / their number "
        "(near 0 = most likely)."
    ),
    "model_version": "Version of the fitted model in ops.model_registry (model life_moment_<moment>).",
}
