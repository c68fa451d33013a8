"""The customer profile's indicator catalogue: name, definition and unit of every column.

One place, read by the profile SQL (column comments in DuckDB, kept in the published file) and a
test that fails when a profile column is undocumented. "Before the reference date" means a local sale date
(``sold_date``) or event time strictly before it; 12 months = the 365 days before it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Indicator:
    name: str
    definition: str
    unit: str
    # optional sources (contract tables) it is computed from: null for every customer of a retailer
    # that does not deliver one of them (``absent_indicators``), not a misleading 0 or false
    requires: tuple[str, ...] = ()

    @property
    def documentation(self) -> str:
        """Definition, unit and, for an indicator of optional sources, when it is null."""
        text = f"{self.definition} ({self.unit})"
        if self.requires:
            text += (
                f" Null for every customer when the retailer does not deliver {' or '.join(self.requires)}."
            )
        return text


EMAILING = ("emailing_events",)
LOYALTY = ("loyalty_cards",)
ECOMMERCE = ("ecommerce_orders", "ecommerce_order_lines")
CONSENTS = ("consent_preferences",)
ACQUISITIONS = ("marketing_acquisitions",)
WEB = ("web_events",)


KEYS = (
    Indicator("customer_id", "Stable customer id (referential.dim_customer).", "id"),
    Indicator(
        "reference_date", "The date the profile is computed as of (nothing on or after it is used).", "date"
    ),
    Indicator(
        "business_unit",
        "Business unit (country) of the customer: their golden record's country.",
        "ISO 3166 code",
    ),
    Indicator("currency_code", "Currency of every amount of the row (the business unit's).", "ISO 4217 code"),
)

INDICATORS = (
    # tenure and lifecycle
    Indicator("tenure_days", "Days since the customer's earliest source record was created.", "days"),
    Indicator("first_purchase_date", "Local date of the first purchase.", "date"),
    Indicator("last_purchase_date", "Local date of the latest purchase.", "date"),
    Indicator("days_since_first_purchase", "Days from the first purchase to the reference date.", "days"),
    Indicator("recency_days", "Days from the latest purchase to the reference date (R of RFM).", "days"),
    Indicator(
        "acquisition_channel",
        "Channel credited with the customer's acquisition, if acquired before the reference date.",
        "label",
        requires=ACQUISITIONS,
    ),
    Indicator(
        "age_years", "Age in whole years at the reference date, from the birth date when known.", "years"
    ),
    Indicator(
        "has_loyalty_card",
        "The customer holds a loyalty card issued before the reference date.",
        "flag",
        requires=LOYALTY,
    ),
    # frequency
    Indicator(
        "frequency_lifetime",
        "Purchases (receipts and web orders with a sold item) ever (F of RFM).",
        "orders",
    ),
    Indicator("frequency_12m", "Purchases in the last 12 months.", "orders"),
    Indicator(
        "purchase_days_lifetime", "Distinct days with a purchase ever (the BG/NBD transaction unit).", "days"
    ),
    Indicator(
        "active_months_12m", "Distinct calendar months with a purchase in the last 12 months.", "months"
    ),
    Indicator("orders_last_90d", "Purchases in the last 90 days.", "orders"),
    Indicator("orders_prior_90d", "Purchases in the 90 days before those (days 91 to 180 back).", "orders"),
    # monetary
    Indicator(
        "monetary_lifetime",
        "Net spend ever: sold amounts minus returns booked before the reference date (M of RFM).",
        "currency",
    ),
    Indicator(
        "monetary_12m",
        "Net spend of the last 12 months: sold amounts of its purchases minus the returns (booked before the reference date) on orders of those 12 months, till return receipts included.",
        "currency",
    ),
    Indicator("gross_spend_lifetime", "Sold amounts ever, before returns (discounts deducted).", "currency"),
    Indicator("spend_last_90d", "Net spend of the last 90 days, as monetary_12m.", "currency"),
    Indicator(
        "spend_prior_90d",
        "Net spend of the 90 days before those (days 91 to 180 back); null when nothing was bought or returned then.",
        "currency",
    ),
    Indicator(
        "spend_90d_change",
        "(spend_last_90d - spend_prior_90d) / spend_prior_90d; null when nothing was spent in the prior 90 days.",
        "ratio",
    ),
    Indicator("margin_rate", "Margin / sold amount over the lines with a known cost price.", "ratio"),
    # basket
    Indicator("avg_basket_value", "Sold amount per purchase, lifetime.", "currency"),
    Indicator("avg_basket_value_12m", "Sold amount per purchase, last 12 months.", "currency"),
    Indicator("max_basket_value", "Largest sold amount of one purchase.", "currency"),
    Indicator("avg_basket_size", "Units per purchase, lifetime.", "units"),
    Indicator("avg_basket_size_12m", "Units per purchase, last 12 months.", "units"),
    Indicator("avg_unit_price", "Sold amount per unit, lifetime.", "currency"),
    Indicator("distinct_products", "Distinct products bought.", "products"),
    Indicator("distinct_departments", "Distinct top-level product departments bought from.", "departments"),
    Indicator("premium_spend_share", "Share of the sold amount on premium-tier products.", "share 0-1"),
    Indicator("entry_spend_share", "Share of the sold amount on entry-tier products.", "share 0-1"),
    # channel and store
    Indicator("store_spend_share", "Share of the sold amount bought in stores (till receipts).", "share 0-1"),
    Indicator(
        "web_spend_share", "Share of the sold amount bought on the web shop.", "share 0-1", requires=ECOMMERCE
    ),
    Indicator("distinct_stores", "Distinct physical stores with a purchase.", "stores"),
    Indicator(
        "preferred_store_id",
        "Physical store with the most purchases (ties: most spend, then lowest id); null if none.",
        "id",
    ),
    Indicator(
        "preferred_store_share", "Share of the store purchases made in the preferred store.", "share 0-1"
    ),
    Indicator(
        "weekend_purchase_share", "Share of purchases made on a Saturday or Sunday (local date).", "share 0-1"
    ),
    # discounts and returns
    Indicator(
        "discount_rate",
        "Discounts / (sold amount + discounts): share of the shelf value given away.",
        "share 0-1",
    ),
    Indicator("discounted_line_share", "Share of the sold lines that carried a discount.", "share 0-1"),
    Indicator(
        "return_rate", "Returned amount / sold amount (returns booked before the reference date).", "share"
    ),
    Indicator(
        "returned_orders",
        "Purchases with at least one returned line, plus till receipts made only of returns.",
        "orders",
    ),
    # rhythm
    Indicator(
        "mean_days_between_purchases",
        "Mean gap between consecutive purchase days; null with fewer than two.",
        "days",
    ),
    Indicator(
        "trend_days_between_purchases",
        "Least-squares slope of the gaps against their rank (positive: the customer is slowing down); null with fewer than three purchase days.",
        "days per purchase",
    ),
    Indicator("last_gap_days", "Gap between the last two purchase days.", "days"),
    Indicator(
        "expected_gap_ratio",
        "recency_days / mean_days_between_purchases: above 1, the customer is late on their own rhythm.",
        "ratio",
    ),
    # e-mail
    Indicator(
        "emails_received_12m",
        "Distinct e-mail campaigns sent to the customer in the last 12 months.",
        "campaigns",
        requires=EMAILING,
    ),
    Indicator(
        "email_open_rate_12m",
        "Campaigns opened / campaigns received, last 12 months; null when none received.",
        "share 0-1",
        requires=EMAILING,
    ),
    Indicator(
        "email_click_rate_12m",
        "Campaigns clicked / campaigns received, last 12 months; null when none received.",
        "share 0-1",
        requires=EMAILING,
    ),
    Indicator(
        "days_since_last_email_open",
        "Days since the latest e-mail open; null when never opened.",
        "days",
        requires=EMAILING,
    ),
    Indicator(
        "days_since_last_email_click",
        "Days since the latest e-mail click; null when never clicked.",
        "days",
        requires=EMAILING,
    ),
    Indicator(
        "has_unsubscribed",
        "The customer unsubscribed from e-mails before the reference date.",
        "flag",
        requires=EMAILING,
    ),
    Indicator("email_bounces_12m", "E-mail bounces in the last 12 months.", "events", requires=EMAILING),
    # consents (as of the reference date: the latest choice collected before it)
    Indicator(
        "has_email_consent",
        "Latest e-mail choice collected before the reference date is opt-in (an unsubscribe or a "
        "hard bounce in the e-mail tool is an opt-out).",
        "flag",
        requires=CONSENTS,
    ),
    Indicator(
        "has_sms_consent",
        "Latest SMS choice collected before the reference date is opt-in.",
        "flag",
        requires=CONSENTS,
    ),
    Indicator(
        "has_phone_consent",
        "Latest phone-call choice collected before the reference date is opt-in.",
        "flag",
        requires=CONSENTS,
    ),
    Indicator(
        "has_post_consent",
        "Latest postal-mail choice collected before the reference date is opt-in.",
        "flag",
        requires=CONSENTS,
    ),
)

# browsing (marketing.fct_web_events: a person's events, stitched to the customer through their
# cookies; platform_assets/features/browsing.py)
INDICATORS += (
    Indicator(
        "web_sessions_30d", "Web visits in the 30 days before the reference date.", "visits", requires=WEB
    ),
    Indicator(
        "web_sessions_90d", "Web visits in the 90 days before the reference date.", "visits", requires=WEB
    ),
    Indicator(
        "days_since_last_web_visit",
        "Days from the start of the latest web visit to the reference date; null when none.",
        "days",
        requires=WEB,
    ),
    Indicator("web_product_views_90d", "Product views in the 90 days before.", "views", requires=WEB),
    Indicator("web_searches_90d", "Site searches in the 90 days before.", "searches", requires=WEB),
    Indicator("cart_visits_90d", "Web visits with a cart add in the 90 days before.", "visits", requires=WEB),
    Indicator(
        "cart_abandonment_rate_90d",
        "Share of those visits with no web order of the customer in the 24 hours after the first "
        "cart add (orders on or after the reference date not known); null without a cart add.",
        "share 0-1",
        requires=WEB,
    ),
    Indicator(
        "main_arrival_channel_90d",
        "How most web visits of the 90 days before arrived: the utm_medium of their session start "
        "(cpc, social, email, referral, display) or direct; ties by name; null without a visit.",
        "label",
        requires=WEB,
    ),
    Indicator(
        "top_search_department_90d",
        "Department the customer's site searches of the 90 days before led to most (the first "
        "department viewed after a search in the same visit); ties by id; null without one.",
        "department id",
        requires=WEB,
    ),
)

DEPARTMENT_SHARE = Indicator(
    "spend_share_<department>",
    "Share of the sold amount in each top-level product department (one column per department of "
    "the catalogue, named after it, e.g. spend_share_garden_outdoor).",
    "share 0-1",
)


def absent_indicators(absent_sources) -> list[Indicator]:
    """The indicators computed from a source the retailer does not deliver (null for everyone)."""
    absent = set(absent_sources)
    return [i for i in INDICATORS if absent & set(i.requires)]


def department_column(department_name: str) -> str:
    """``Garden & outdoor`` -> ``spend_share_garden_outdoor``."""
    slug = "".join(c if c.isalnum() else " " for c in department_name.lower()).split()
    return "spend_share_" + "_".join(slug)
