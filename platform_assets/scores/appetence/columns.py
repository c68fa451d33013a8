"""Column documentation of ``scores.customer_appetence`` and ``scores.customer_department_appetence``:
the ``dagster/column_schema`` of their asset specs, published as DuckDB column comments."""

from __future__ import annotations

TOP_K = 3  # model.TOP_K (kept here: this module is imported with the code location)

TYPES = {
    "customer_id": "varchar",
    "reference_date": "date",
    "business_unit": "varchar",
    **{
        name: type_
        for k in range(1, TOP_K + 1)
        for name, type_ in (
            (f"department_{k}_id", "varchar"),
            (f"department_{k}_name", "varchar"),
            (f"probability_{k}", "double"),
        )
    },
    "horizon_days": "bigint",
    "features_used": "varchar",
    "model_version": "varchar",
}

_ORDINAL = {1: "Most", 2: "Second most", 3: "Third most"}

DESCRIPTIONS = {
    "customer_id": "Stable customer id (referential.dim_customer).",
    "reference_date": "The date the score is computed as of (nothing on or after it is used).",
    "business_unit": "Business unit (country, ISO 3166 code) of the customer.",
    **{
        name: text
        for k in range(1, TOP_K + 1)
        for name, text in (
            (
                f"department_{k}_id",
                f"{_ORDINAL[k]} likely department to buy in within horizon_days (level-1 category id).",
            ),
            (f"department_{k}_name", f"Name of department_{k}_id."),
            (
                f"probability_{k}",
                f"Probability (0-1) of a purchase in department_{k}_id within horizon_days after the reference date.",
            ),
        )
    },
    "horizon_days": "Horizon of the probabilities: purchases within this many days after the reference date.",
    "features_used": (
        "What the model learned from: 'purchases' (purchase history and the department's popularity) "
        "or 'purchases and browsing' (plus the web browsing indicators per department)."
    ),
    "model_version": "Version of the fitted model in ops.model_registry (model appetence).",
}

DEPARTMENT_TYPES = {
    "customer_id": "varchar",
    "reference_date": "date",
    "business_unit": "varchar",
    "department_id": "varchar",
    "department_name": "varchar",
    "probability_30d": "double",
    "department_rank": "bigint",
    "popularity_30d": "double",
    "model_version": "varchar",
}

DEPARTMENT_DESCRIPTIONS = {
    "customer_id": DESCRIPTIONS["customer_id"],
    "reference_date": DESCRIPTIONS["reference_date"],
    "business_unit": DESCRIPTIONS["business_unit"],
    "department_id": "Department (level-1 category of referential.dim_product).",
    "department_name": "Name of the department.",
    "probability_30d": "Probability (0-1) of a purchase in the department within 30 days after the reference date.",
    "department_rank": "Rank of the department for the customer by probability_30d (1 = most likely; ties by id).",
    "popularity_30d": (
        "The baseline: share of the business unit's scored customers who bought in the department in "
        "the 30 days before the reference date (the same for every customer of the unit)."
    ),
    "model_version": DESCRIPTIONS["model_version"],
}
