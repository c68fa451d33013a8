"""Columns of every local score table and of the declarations' register: (name, type, description)."""

SCHEMA = (
    ("customer_id", "varchar", "Stable customer id (referential.dim_customer)."),
    ("business_unit", "varchar", "Business unit (country) the score is declared for."),
    ("reference_date", "date", "The date the score is computed as of (nothing on or after it is used)."),
    (
        "probability",
        "double",
        "Probability of the declared event within the horizon after the reference date (0-1).",
    ),
    ("score", "integer", "The probability as 0-100 (rounded)."),
    ("decile", "integer", "Decile of the probability within the business unit: 1 = the tenth most likely."),
    ("horizon_days", "integer", "Days after the reference date the event is counted in."),
    ("model_version", "varchar", "Version of the fitted model (ops.model_registry)."),
)

DECLARATION_SCHEMA = (
    ("declaration", "varchar", "Path of the declaration file."),
    ("business_unit", "varchar", "Business unit: the declaration's folder."),
    ("score", "varchar", "Score name: the file's name."),
    ("table_name", "varchar", "The score's table (scores.local_<bu>_<score>) when loaded."),
    ("status", "varchar", "loaded, or refused when the code location loaded."),
    ("problems", "varchar", "Why it was refused: file, line, field and problem."),
)
