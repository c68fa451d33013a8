"""Column documentation of the features tables written from Python (``customer_rfm``,
``customer_clv``, ``marketing.channel_ltv_cac``): the ``dagster/column_schema`` of their asset
specs, published as DuckDB column comments. ``customer_profile`` documents itself (indicators.py).

Each table is a tuple of (name, type, description), for ``lib.metadata.asset_metadata``."""

from __future__ import annotations

_CUSTOMER_ID = ("customer_id", "varchar", "Stable customer id (referential.dim_customer).")
_REFERENCE_DATE = (
    "reference_date",
    "date",
    "The date the row is computed as of (nothing on or after it is used).",
)
_BUSINESS_UNIT = (
    "business_unit",
    "varchar",
    "Business unit (country, ISO 3166 code) of the customer: their golden record's country.",
)
_CURRENCY = (
    "currency_code",
    "varchar",
    "ISO 4217 currency of every amount of the row (the business unit's).",
)

CUSTOMER_RFM = (
    _CUSTOMER_ID,
    _REFERENCE_DATE,
    _BUSINESS_UNIT,
    _CURRENCY,
    ("recency_days", "bigint", "Days from the latest purchase to the reference date (R of RFM)."),
    ("frequency", "bigint", "Purchases (receipts and web orders with a sold item) ever (F of RFM)."),
    (
        "monetary",
        "double",
        "Net spend ever: sold amounts minus returns booked before the reference date, in currency_code "
        "(M of RFM).",
    ),
    (
        "r_score",
        "integer",
        "Recency score 1-5: percent-rank quintile within the business unit (5 = most recent; ties share "
        "a score).",
    ),
    (
        "f_score",
        "integer",
        "Frequency score 1-5: percent-rank quintile of purchases within the business unit (5 = most).",
    ),
    (
        "m_score",
        "integer",
        "Monetary score 1-5: percent-rank quintile of net spend within the business unit (5 = most).",
    ),
    ("rfm_cell", "varchar", "The three scores as 'R-F-M' (e.g. 5-5-5)."),
    (
        "segment",
        "varchar",
        "The playbook's named segment of the cell (first matching rule of marketing.rfm_segment_rules).",
    ),
    ("segment_action", "varchar", "Marketing action the playbook recommends for the segment."),
)

CUSTOMER_CLV = (
    _CUSTOMER_ID,
    _REFERENCE_DATE,
    ("business_unit", "varchar", "Business unit (country, ISO 3166 code) whose models scored the customer."),
    (
        "repeat_purchases",
        "bigint",
        "BG/NBD x: purchase days after the first one, before the reference date (purchase days).",
    ),
    (
        "weeks_first_to_last_purchase",
        "double",
        "BG/NBD t_x: weeks from the first to the latest purchase day (weeks).",
    ),
    (
        "weeks_since_first_purchase",
        "double",
        "BG/NBD T: weeks from the first purchase day to the reference date.",
    ),
    (
        "mean_repeat_purchase_value",
        "double",
        "Gamma-Gamma m: mean sold amount of the repeat purchase days (0 without a repeat), in currency_code.",
    ),
    (
        "p_alive",
        "double",
        "BG/NBD probability that the customer is still active at the reference date (0-1).",
    ),
    (
        "expected_purchases",
        "double",
        "BG/NBD expected purchase days in the horizon_days after the reference date.",
    ),
    (
        "expected_spend_per_purchase",
        "double",
        "Gamma-Gamma expected spend of one purchase day (population mean without a repeat), in currency_code.",
    ),
    (
        "expected_value",
        "double",
        "Predicted value of the horizon_days after the reference date: expected purchases x expected "
        "spend, in currency_code.",
    ),
    (
        "horizon_days",
        "bigint",
        "CLV horizon of the customer's business unit, in days (its clv horizon, else the group's: "
        "365 in the demo).",
    ),
    (
        "value_rank_share",
        "double",
        "Rank of expected_value within the business unit / its customers (near 0 = most valuable, 1 = least).",
    ),
    (
        "value_tier",
        "varchar",
        "Tier of value_rank_share: top 1%, top 5%, top 10%, top 25%, top 50% or bottom 50%.",
    ),
    ("currency_code", "varchar", "ISO 4217 currency of the amounts (the business unit's)."),
)

CHANNEL_LTV_CAC = (
    ("business_unit", "varchar", "Business unit (country, ISO 3166 code) of the acquisitions and spend."),
    ("acquisition_channel", "varchar", "Channel credited with the customers' acquisition."),
    _REFERENCE_DATE,
    ("currency_code", "varchar", "ISO 4217 currency of every amount of the row (the business unit's)."),
    (
        "is_paid_channel",
        "boolean",
        "The channel has marketing spend in the business unit over the last two years (else CAC is 0).",
    ),
    (
        "customers_acquired_12m",
        "bigint",
        "Customers acquired in the 365 days before the reference date (the last 12 months' cohort).",
    ),
    (
        "marketing_spend_12m",
        "double",
        "Marketing spend of the channel over the last 365 days, in currency_code.",
    ),
    (
        "cac_12m",
        "double",
        "CAC: marketing_spend_12m / customers_acquired_12m, in currency_code per customer.",
    ),
    (
        "predicted_ltv_12m",
        "double",
        "Mean expected_value (features.customer_clv, over the unit's CLV horizon) of the last 12 "
        "months' cohort (not yet buying = 0), "
        "in currency_code.",
    ),
    (
        "ltv_cac_predicted",
        "double",
        "Predicted value of the last 12 months' cohort / its marketing spend (ratio; null without spend).",
    ),
    (
        "customers_acquired_prior_12m",
        "bigint",
        "Customers acquired 730 to 365 days before the reference date (the prior cohort).",
    ),
    (
        "marketing_spend_prior_12m",
        "double",
        "Marketing spend of the channel 730 to 365 days before the reference date, in currency_code.",
    ),
    (
        "cac_prior_12m",
        "double",
        "CAC of the prior cohort: marketing_spend_prior_12m / customers_acquired_prior_12m, in currency_code.",
    ),
    (
        "realised_ltv_12m",
        "double",
        "Mean net spend (revenue net of returns) of the prior cohort in each customer's first 365 days, "
        "in currency_code.",
    ),
    (
        "ltv_cac_realised",
        "double",
        "Realised value of the prior cohort / its marketing spend (ratio; null without spend).",
    ),
)

CLV_TABLE = "features.customer_clv"
# value_tier: the share of the business unit's customers ranked by expected value, top first
TIERS = ((0.01, "top 1%"), (0.05, "top 5%"), (0.10, "top 10%"), (0.25, "top 25%"), (0.50, "top 50%"))
BOTTOM_TIER = "bottom 50%"
