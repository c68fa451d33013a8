"""The retailer's settings of the profit engine (``attribution``, ``margin_matrix`` in its YAML file):
which touchpoints count and how an order's credit is split between them, and where the product
margin matrix draws its lines. Fields of ``lib.retailer.RetailerConfig``, validated with it (a bad
value stops with the file, the line and the key); kept in their own module so the retailer schema
stays readable. Used by ``platform_assets/profit/``.
"""

from __future__ import annotations

import itertools

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

CHANNEL_NAME = r"^[a-z][a-z0-9_]*$"
QUADRANTS = ("star", "traffic_builder", "niche", "to_review")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PositionWeights(_Strict):
    """Position-based (U-shaped) credit of an order with three touches or more: the first touch, the
    touches between (shared equally) and the last. One touch takes all; two split first : last."""

    first: float = Field(default=0.3, ge=0, le=1, description="Share of the first touch.")
    middle: float = Field(default=0.4, ge=0, le=1, description="Share of the touches between, together.")
    last: float = Field(default=0.3, ge=0, le=1, description="Share of the last touch.")

    @model_validator(mode="after")
    def _sum_to_one(self) -> PositionWeights:
        total = self.first + self.middle + self.last
        if abs(total - 1) > 1e-9:
            raise ValueError(f"first + middle + last = {total:g}: the shares must add up to 1")
        if self.first + self.last == 0:
            raise ValueError("first + last = 0: an order with two touches would credit nobody")
        return self


class AttributionSettings(_Strict):
    """Multi-touch attribution (``marketing.attribution``): an order's touchpoints are the customer's
    e-mail clicks, web sessions arriving from a mapped utm_medium and acquisitions in a counted channel,
    in the ``lookback_days`` before the order."""

    lookback_days: int = Field(
        default=30, ge=1, le=365, description="Days before an order in which a touch counts for it."
    )
    position_weights: PositionWeights = PositionWeights()
    email_channel: str | None = Field(
        default="email",
        pattern=CHANNEL_NAME,
        description="Channel of an e-mail click (the e-mail tool's click events, campaign = the e-mail "
        "campaign); empty: e-mail clicks are no touch.",
    )
    web_channels: dict[str, str] = Field(
        default_factory=dict,
        description="utm_medium (lower case) -> channel of a web session arriving with it (campaign = "
        "utm_campaign); a session with a medium not listed, or none (direct), is no touch. Leave out "
        "the medium of e-mail links: the e-mail click already counts.",
    )
    acquisition_channels: tuple[str, ...] = Field(
        default=(),
        description="Acquisition channels (marketing's acquisition_channels) whose acquisition of a "
        "customer is a touch (campaign = the acquisition's campaign code): the paid ones.",
    )

    @field_validator("web_channels")
    @classmethod
    def _names(cls, mapping: dict[str, str]) -> dict[str, str]:
        import re

        for medium, channel in mapping.items():
            if medium != medium.strip().lower() or not medium:
                raise ValueError(f"utm_medium {medium!r}: write it in lower case, without spaces")
            if not re.match(CHANNEL_NAME, channel):
                raise ValueError(f"{medium}: channel {channel!r} must be lower case letters, digits and _")
        return mapping


class VelocityThreshold(_Strict):
    """Where fast sellers begin: a fixed rate, or a quantile of the rates of the products of the same
    department and business unit (a threshold that follows the size of the business)."""

    units_per_week: float | None = Field(default=None, gt=0, description="Fixed threshold, units a week.")
    quantile: float | None = Field(
        default=None,
        gt=0,
        lt=1,
        description="Quantile of the velocities of the department's products in the business unit.",
    )

    @model_validator(mode="after")
    def _exactly_one(self) -> VelocityThreshold:
        if (self.units_per_week is None) == (self.quantile is None):
            raise ValueError("set exactly one of units_per_week and quantile")
        return self


class MarginMatrixSettings(_Strict):
    """The product margin matrix (``sales.product_margin_matrix``): margin rate x velocity quadrants,
    a return-rate limit, and marketing's recommended action for each."""

    window_weeks: int = Field(
        default=13, ge=1, le=104, description="Weeks of sales before the reference date the matrix reads."
    )
    margin_rate_threshold: float = Field(
        default=0.35,
        gt=-1,
        lt=1,
        description="Gross margin rate (net of returns and discounts) from which a product is high-margin.",
    )
    velocity_threshold: VelocityThreshold = VelocityThreshold(quantile=0.5)
    max_return_rate: float = Field(
        default=0.15,
        ge=0,
        le=1,
        description="Share of units sold that came back above which the product's action is high_returns.",
    )
    actions: dict[str, str] = Field(
        default_factory=lambda: {
            "star": "Protect: keep in stock, feature, no discount.",
            "traffic_builder": "Use to bring traffic; raise basket margin with cross-sell, watch discounts.",
            "niche": "Promote to the customers with appetence for it; test a wider audience.",
            "to_review": "Review price, cost or range; delist if nothing changes.",
            "high_returns": "Investigate returns (quality, description, sizing) before any promotion.",
        },
        description="Recommended action per quadrant (star, traffic_builder, niche, to_review) and for "
        "a product over max_return_rate (high_returns).",
    )

    @field_validator("actions")
    @classmethod
    def _every_quadrant(cls, actions: dict[str, str]) -> dict[str, str]:
        expected = {*QUADRANTS, "high_returns"}
        if missing := sorted(expected - set(actions)):
            raise ValueError(f"no action for {missing}")
        if unknown := sorted(set(actions) - expected):
            raise ValueError(f"{unknown}: not a quadrant (known: {sorted(expected)})")
        if empty := sorted(k for k, v in actions.items() if not v.strip()):
            raise ValueError(f"empty action for {empty}")
        return actions


class CatchmentSettings(_Strict):
    """Catchment areas (``features.customer_catchment``, ``sales.store_catchment``): the distance bands
    around a store, and the window of the stores' revenue split by band."""

    distance_bands_km: tuple[float, ...] = Field(
        default=(10, 25, 50),
        min_length=1,
        description="Upper edges of the distance bands, in km, increasing: the first band is the primary "
        "zone; beyond the last, one open band.",
    )
    revenue_window_days: int = Field(
        default=365,
        ge=1,
        le=1095,
        description="Days of store revenue before the reference date split by band.",
    )

    @field_validator("distance_bands_km")
    @classmethod
    def _increasing(cls, edges: tuple[float, ...]) -> tuple[float, ...]:
        if edges[0] <= 0 or any(b <= a for a, b in itertools.pairwise(edges)):
            raise ValueError(f"{list(edges)}: the edges must be positive and increase")
        return edges
