"""Column documentation of ``forecasts.demand_weekly`` (the ``dagster/column_schema`` of its asset)."""

COLUMNS = (
    ("business_unit", "varchar", "Business unit (country, ISO 3166 code) of the store."),
    ("store_id", "varchar", "Store (referential.dim_store; the web shop is a store of its unit)."),
    ("department_name", "varchar", "Department of the catalogue (referential.dim_product)."),
    ("week_start", "date", "Monday of the week forecast."),
    ("horizon_weeks", "integer", "Weeks after the last complete week (1 = the week after it)."),
    ("units_forecast", "double", "Units expected to be sold in the week (returns not netted)."),
    ("units_low", "double", "Lower bound of the forecast interval (coverage in interval)."),
    ("units_high", "double", "Upper bound of the forecast interval."),
    ("interval", "double", "Coverage the interval aims at (forecast.interval: 0.8 = 80 %)."),
    (
        "seasonal_naive_units",
        "double",
        "The baseline: units of the same store and department 52 weeks before.",
    ),
    ("last_known_week", "date", "Monday of the last complete week of sales the forecast starts from."),
    ("reference_date", "date", "The run's reference date (no sale on or after it is read)."),
    ("model_version", "varchar", "Version of the model in ops.model_registry (model demand_forecast)."),
)
