"""Column documentation of the segment tables: the ``dagster/column_schema`` of their asset specs,
published as DuckDB column comments."""

from __future__ import annotations

SEGMENT_TABLE = "scores.customer_segment"  # the daily assignment (daily.py)
GROUP = "ALL"  # business_unit of the whole group's block of a table (tables.py)

_BUSINESS_UNIT_OR_GROUP = f"Business unit (country, ISO 3166 code), or {GROUP} for the whole group."
_SEGMENT_KEY = "Segment key '<segmentation_version>-sNN': a name never lands on another group."
_SEGMENT_ID = "Behavioural segment: 1 = largest at discovery; 0 = no purchase yet (no behaviour)."
_SEGMENT_NAME = "Segment name: marketing's (segment_names.csv) when given, else the proposed one."
_VERSION = "Frozen segmentation version 'seg-<date>-<hash>' (ops.model_registry) that assigned the segment."

CUSTOMER_SEGMENT = (
    ("customer_id", "varchar", "Stable customer id (referential.dim_customer)."),
    ("reference_date", "date", "The date the segment is assigned as of (the profile's reference date)."),
    ("business_unit", "varchar", "Business unit (country, ISO 3166 code) of the customer."),
    ("segment_id", "bigint", _SEGMENT_ID),
    ("segment_key", "varchar", _SEGMENT_KEY),
    ("segment_name", "varchar", _SEGMENT_NAME),
    ("name_source", "varchar", "Where segment_name comes from: proposed (describe.py) or marketing."),
    (
        "segment_probability",
        "double",
        "The classifier's probability (0-1) of the assigned segment; null for customers with no purchase.",
    ),
    ("segmentation_version", "varchar", _VERSION),
)

SEGMENT_PROFILE = (
    ("business_unit", "varchar", _BUSINESS_UNIT_OR_GROUP),
    ("segment_key", "varchar", _SEGMENT_KEY),
    ("segment_id", "bigint", _SEGMENT_ID),
    ("segment_name", "varchar", _SEGMENT_NAME),
    ("name_source", "varchar", "Where segment_name comes from: proposed (describe.py) or marketing."),
    ("segmentation_version", "varchar", _VERSION),
    ("customers", "bigint", "Customers of the segment in the business unit (or group)."),
    ("customer_share", "double", "Share (0-1) of the business unit's (or group's) customers in the segment."),
    (
        "value_12m",
        "double",
        f"Net spend of the segment's customers over the last 12 months, in currency_code; null for {GROUP} "
        "(no exchange rates).",
    ),
    ("currency_code", "varchar", f"ISO 4217 currency of value_12m (the business unit's); null for {GROUP}."),
    (
        "value_share_12m",
        "double",
        f"Share (0-1) of the business unit's net spend of the last 12 months made by the segment; null for "
        f"{GROUP}.",
    ),
    (
        "distinctive_indicators",
        "varchar",
        "Top 5 indicators setting the segment apart from that base: lift and distance in base standard "
        "deviations.",
    ),
    ("reference_date", "date", "The date the profile is computed as of (the assignment's reference date)."),
)

SEGMENT_RFM_CROSSTAB = (
    ("business_unit", "varchar", _BUSINESS_UNIT_OR_GROUP),
    ("segment_key", "varchar", _SEGMENT_KEY),
    ("segment_id", "bigint", _SEGMENT_ID),
    ("segment_name", "varchar", _SEGMENT_NAME),
    (
        "rfm_segment",
        "varchar",
        "RFM segment of the customers (features.customer_rfm); No purchase for customers without one.",
    ),
    ("customers", "bigint", "Customers in both the behavioural and the RFM segment."),
    ("share_of_segment", "double", "customers / customers of the behavioural segment (0-1)."),
    ("share_of_rfm_segment", "double", "customers / customers of the RFM segment (0-1)."),
    (
        "lift",
        "double",
        "share_of_segment / the RFM segment's share of all customers: above 1, over-represented (ratio).",
    ),
    ("reference_date", "date", "The date the cross-tab is computed as of (the assignment's reference date)."),
)
