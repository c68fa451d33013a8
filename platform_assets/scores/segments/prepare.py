"""The behavioural feature matrix segments are discovered and assigned on: how people buy.

Pure: a ``features.customer_profile`` frame in, a float matrix out. What is left out, and why:
- recency, tenure and lifetime dates: they move every day for everybody, so a segment built on them
  reshuffles overnight; how recently people buy is RFM's and churn's job (the cross-tab joins them);
- amounts as such: business units have their own currency and the referential has no exchange rates,
  so an amount enters as log(amount / the business unit's median at discovery), frozen with the model;
- 12-month windows for rhythm: purchases per year since the first purchase drift by a hair per day,
  where a purchase leaving a 12-month window flips a count overnight.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

# Amounts in the business unit's currency: enter relative to the unit's median (log ratio).
AMOUNTS = ("avg_basket_value", "max_basket_value", "avg_unit_price")
# Counts with long tails: log1p.
COUNTS = ("purchases_per_year", "avg_basket_size", "distinct_departments", "distinct_stores")
SHARES = (
    "store_spend_share",
    "premium_spend_share",
    "entry_spend_share",
    "weekend_purchase_share",
    "discount_rate",
    "return_rate",
    "email_open_rate_12m",
)
DEPARTMENT_PREFIX = "spend_share_"
# Below this many days since the first purchase, a yearly rate would be extrapolated from a few days.
MIN_RATE_DAYS = 90


def department_columns(columns: list[str]) -> list[str]:
    return sorted(c for c in columns if c.startswith(DEPARTMENT_PREFIX))


def buyers(profile: pl.DataFrame) -> pl.DataFrame:
    """Customers with at least one purchase: the only ones with a behaviour to segment."""
    return profile.filter(pl.col("frequency_lifetime") > 0)


def readable(profile: pl.DataFrame) -> pl.DataFrame:
    """The indicators segments are described with, in readable units (shares, counts, amounts
    relative to the business unit's median): the profile's columns plus ``purchases_per_year``."""
    missing = [c for c in (*AMOUNTS, *COUNTS[1:], *SHARES) if c not in profile.columns]
    required = {"customer_id", "business_unit", "frequency_lifetime", "days_since_first_purchase"}
    missing += sorted(required - set(profile.columns))
    if missing:
        raise ValueError(f"features.customer_profile lacks the columns segments need: {', '.join(missing)}")
    departments = department_columns(profile.columns)
    if not departments:
        raise ValueError(f"features.customer_profile has no {DEPARTMENT_PREFIX}<department> column")
    days = pl.max_horizontal(pl.col("days_since_first_purchase").cast(pl.Float64), pl.lit(MIN_RATE_DAYS))
    return profile.select(
        "customer_id",
        "business_unit",
        (pl.col("frequency_lifetime") * 365.0 / days).alias("purchases_per_year"),
        *(pl.col(c).cast(pl.Float64) for c in (*AMOUNTS, *COUNTS[1:])),
        *(pl.col(c).cast(pl.Float64).clip(0.0, 1.0) for c in (*SHARES, *departments)),
    )


@dataclass
class Preparer:
    """Turns readable indicators into model inputs with statistics frozen at discovery (the
    business units' median amounts, the fill value of missing indicators), so a customer whose
    behaviour did not change gets the same inputs on any later day."""

    departments: list[str] = field(default_factory=list)
    unit_medians: dict[str, dict[str, float]] = field(default_factory=dict)
    fills: dict[str, float] = field(default_factory=dict)

    @property
    def columns(self) -> list[str]:
        return [*AMOUNTS, *COUNTS, *SHARES, *self.departments]

    def fit(self, frame: pl.DataFrame) -> Preparer:
        self.departments = department_columns(frame.columns)
        medians = frame.group_by("business_unit").agg(pl.col(c).median() for c in AMOUNTS)
        self.unit_medians = {
            row["business_unit"]: {c: row[c] for c in AMOUNTS} for row in medians.iter_rows(named=True)
        }
        self.unit_medians["*"] = frame.select(pl.col(c).median() for c in AMOUNTS).row(0, named=True)
        # A missing share or count (e.g. no e-mail received: no open rate) takes the base's median.
        self.fills = {c: float(frame[c].median() or 0.0) for c in self.columns}
        return self

    def transform(self, frame: pl.DataFrame) -> np.ndarray:
        missing = [c for c in self.columns if c not in frame.columns]
        if missing:
            raise ValueError(f"the frame to segment lacks the model's columns: {', '.join(missing)}")
        units = frame["business_unit"].fill_null("*").to_list()
        known = self.unit_medians
        # A business unit unseen at discovery is compared with the group's median amounts.
        medians = {c: np.array([known.get(u, known["*"])[c] or 1.0 for u in units]) for c in AMOUNTS}
        out = np.empty((frame.height, len(self.columns)), dtype=np.float64)
        for j, c in enumerate(self.columns):
            values = frame[c].fill_null(self.fills[c]).fill_nan(self.fills[c]).to_numpy().astype(np.float64)
            if c in AMOUNTS:
                values = np.log(np.maximum(values, 0.01) / np.maximum(medians[c], 0.01))
            elif c in COUNTS:
                values = np.log1p(np.maximum(values, 0.0))
            out[:, j] = values
        return out
