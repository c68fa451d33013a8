"""Column documentation of the profit engine's tables: the ``dagster/column_schema`` of their assets,
published as DuckDB column comments and in the data dictionary. (name, DuckDB type, description)."""

from __future__ import annotations

_REFERENCE_DATE = (
    "reference_date",
    "date",
    "The date the row is computed as of (nothing on or after it is used).",
)
_BUSINESS_UNIT = ("business_unit", "varchar", "Business unit (country_code of the orders or sales lines).")
_CURRENCY = (
    "currency_code",
    "varchar",
    "ISO 4217 currency of every amount of the row (the business unit's).",
)
_MONTH = ("month", "date", "First day of the month of the orders (their local order date).")
_MODEL = (
    "model",
    "varchar",
    "Attribution model: position_based (first / middle / last shares of the retailer's configuration; "
    "one touch 100 %, two touches split first : last), last_touch, linear (1 / touches each).",
)
_CHANNEL = (
    "channel",
    "varchar",
    "Marketing channel credited: email (an e-mail click), the channel a web session's utm_medium maps to, "
    "a paid acquisition channel, or no_touch (orders with no touch in the look-back window, anonymous "
    "orders included).",
)

ATTRIBUTION = (
    _BUSINESS_UNIT,
    _MONTH,
    _MODEL,
    _CHANNEL,
    (
        "campaign_code",
        "varchar",
        "Campaign of the touch: the e-mail campaign, the session's utm_campaign, the acquisition's "
        "campaign code; (none) when the touch has none, and for no_touch.",
    ),
    _REFERENCE_DATE,
    _CURRENCY,
    (
        "touched_orders",
        "bigint",
        "Orders with at least one touch of this channel and campaign in their window (credited or not: "
        "under last_touch an earlier touch gets 0).",
    ),
    (
        "attributed_orders",
        "double",
        "Orders credited: the sum of this channel and campaign's shares of each order (each order's shares "
        "add up to 1 in every model).",
    ),
    (
        "attributed_revenue",
        "double",
        "Sum of share x the order's net amount (after discounts and its returns).",
    ),
    (
        "attributed_gross_margin",
        "double",
        "Sum of share x the order's gross margin (net amount - cost at the catalogue's cost price).",
    ),
)

ATTRIBUTION_BY_CHANNEL = (
    _BUSINESS_UNIT,
    _MONTH,
    _MODEL,
    _CHANNEL,
    _REFERENCE_DATE,
    _CURRENCY,
    (
        "attributed_orders",
        "double",
        "Orders credited to the channel (marketing.attribution, every campaign).",
    ),
    ("attributed_revenue", "double", "Revenue credited to the channel, in currency_code."),
    ("attributed_gross_margin", "double", "Gross margin credited to the channel, in currency_code."),
    (
        "marketing_spend",
        "double",
        "The channel's marketing spend in the business unit and month (marketing.fct_marketing_spend); 0 "
        "for a channel without spend (e-mail, unpaid channels, no_touch).",
    ),
    ("roas", "double", "Return on ad spend: attributed_revenue / marketing_spend; null without spend."),
    (
        "margin_on_ad_spend",
        "double",
        "attributed_gross_margin / marketing_spend: the margin each unit of spend brought; null without spend.",
    ),
)

PRODUCT_MARGIN_MATRIX = (
    _BUSINESS_UNIT,
    ("product_id", "varchar", "Product (SKU), referential.dim_product."),
    _REFERENCE_DATE,
    _CURRENCY,
    ("department_id", "varchar", "Department (level-1 category) of the product."),
    ("department_name", "varchar", "Name of the department."),
    ("category_name", "varchar", "Name of the product's category."),
    ("window_weeks", "integer", "Weeks of orders before the reference date the row reads (configuration)."),
    ("list_price", "double", "List price in the business unit (null: not priced there)."),
    ("cost_price", "double", "Cost price in the business unit (null: not priced there)."),
    ("units_sold", "bigint", "Units sold in the window (return lines not deducted)."),
    ("units_returned", "bigint", "Units of the window's orders returned before the reference date."),
    ("net_revenue", "double", "Paid after discounts minus refunds of returns, in currency_code."),
    (
        "gross_margin",
        "double",
        "net_revenue - cost of the units kept (catalogue cost price), in currency_code.",
    ),
    ("discount_amount", "double", "Discounts granted on the units sold, in currency_code."),
    ("returned_amount", "double", "Refunded for returned units, in currency_code."),
    (
        "margin_rate",
        "double",
        "Gross margin rate net of returns and discounts: gross_margin / net_revenue; null unless net_revenue > 0.",
    ),
    (
        "list_margin_rate",
        "double",
        "(list_price - cost_price) / list_price: the margin rate before discounts.",
    ),
    ("discount_rate", "double", "discount_amount / units sold at their unit price: the share given away."),
    ("velocity", "double", "Units sold per week of the window."),
    (
        "velocity_threshold",
        "double",
        "Velocity from which the product is fast: the configured units a week, or the configured quantile "
        "of its department's products in the business unit.",
    ),
    ("return_rate", "double", "units_returned / units_sold; null without a sale."),
    (
        "is_high_margin",
        "boolean",
        "margin_rate (else list_margin_rate) at or above the configured threshold.",
    ),
    ("is_fast", "boolean", "velocity > 0 and at or above velocity_threshold."),
    ("has_high_return_rate", "boolean", "return_rate above the configured max_return_rate."),
    (
        "quadrant",
        "varchar",
        "star (high margin, fast), traffic_builder (low margin, fast), niche (high margin, slow), "
        "to_review (low margin, slow, or neither price nor sale).",
    ),
    (
        "action_key",
        "varchar",
        "The quadrant, or high_returns when has_high_return_rate: whose action applies.",
    ),
    (
        "recommended_action",
        "varchar",
        "Marketing's recommended action for action_key (retailer configuration).",
    ),
)

_BAND = (
    "distance_band",
    "varchar",
    "Distance band (the retailer's distance_bands_km: 0-10 km, 10-25 km, 25-50 km, 50+ km in the demo); "
    "unknown: no postcode, a postcode the reference file lacks, or no located store in the unit.",
)

CUSTOMER_CATCHMENT = (
    ("customer_id", "varchar", "Stable customer id (referential.dim_customer)."),
    ("business_unit", "varchar", "Business unit of the customer (their golden record's country)."),
    _REFERENCE_DATE,
    ("is_located", "boolean", "The customer's postcode is in the reference file of postcode centroids."),
    ("nearest_store_id", "varchar", "Nearest physical store of the business unit (null when unknown)."),
    ("distance_km", "double", "Great-circle distance from the postcode's centroid to that store's, in km."),
    _BAND,
)

STORE_CATCHMENT = (
    ("store_id", "varchar", "Physical store (referential.dim_store; web shops have no catchment)."),
    (
        "distance_band",
        "varchar",
        "Distance band from the store; unknown: customers not located; anonymous: receipts without a customer.",
    ),
    ("business_unit", "varchar", "Business unit of the store."),
    _REFERENCE_DATE,
    ("store_name", "varchar", "Name of the store."),
    ("band_order", "integer", "Order of the band (0 = the primary zone, then further, unknown, anonymous)."),
    ("is_located", "boolean", "The store's postcode is in the reference file (else every buyer is unknown)."),
    ("nearest_customers", "bigint", "Customers whose nearest store this is, in this band."),
    (
        "buying_customers",
        "bigint",
        "Customers who bought in the store in the window, at this distance from it.",
    ),
    (
        "net_revenue",
        "double",
        "The store's net revenue of the window from them (purchase receipts net of their returns; return-only "
        "receipts left out), in the business unit's currency.",
    ),
    ("revenue_share", "double", "net_revenue / the store's net revenue of the window."),
    (
        "located_revenue_share",
        "double",
        "net_revenue / the store's net revenue from located buyers (the distance bands); null for unknown and "
        "anonymous.",
    ),
    (
        "is_outside_primary_zone",
        "boolean",
        "A distance band beyond the first (the primary zone); null for unknown and anonymous.",
    ),
)
