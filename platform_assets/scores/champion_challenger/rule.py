"""The promotion rule, pure: a challenger replaces the champion when its backtest AUC is better by the
configured margin AND its arm's incremental revenue per contacted customer is not worse than the
champion arm's, with the configured confidence (``PromotionRule`` in lib/retailer.py).

Revenue per arm pools the arm's measured campaigns (``activation.campaign_results_by_model_arm``): the
treated-weighted mean of each campaign's incremental revenue per contacted customer, its standard
error from each campaign's 95 % Welch interval (half-width / 1.96), campaigns independent. The
difference challenger - champion has a normal interval at the rule's confidence; "not worse" is its
lower bound above minus the non-inferiority margin. Too few contacted customers in an arm: not judged
yet, so no promotion.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from scipy.stats import norm

from platform_assets.lib.retailer import PromotionRule

PROMOTE = "promote"
KEEP = "keep champion"
Z_95 = 1.959963984540054


@dataclass(frozen=True)
class CampaignUplift:
    """One measured campaign of one arm: contacted customers and incremental revenue per contacted
    customer with its 95 % interval."""

    treated: int
    incremental_per_contacted: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class ArmRevenue:
    contacted: int
    campaigns: int
    incremental_per_contacted: float
    standard_error: float


def pooled(campaigns: list[CampaignUplift]) -> ArmRevenue:
    """An arm's campaigns pooled: treated-weighted mean, and its standard error."""
    measured = [c for c in campaigns if c.treated > 0 and math.isfinite(c.ci_high - c.ci_low)]
    total = sum(c.treated for c in measured)
    if total == 0:
        return ArmRevenue(0, 0, float("nan"), float("nan"))
    mean = sum(c.treated * c.incremental_per_contacted for c in measured) / total
    variance = sum((c.treated / total) ** 2 * ((c.ci_high - c.ci_low) / (2 * Z_95)) ** 2 for c in measured)
    return ArmRevenue(total, len(measured), mean, math.sqrt(variance))


@dataclass(frozen=True)
class Comparison:
    champion_backtest_auc: float
    challenger_backtest_auc: float
    auc_gain: float
    auc_condition_met: bool
    champion_contacted: int
    challenger_contacted: int
    champion_incremental_per_contacted: float | None
    challenger_incremental_per_contacted: float | None
    revenue_difference: float | None  # challenger - champion, per contacted customer
    revenue_difference_ci_low: float | None
    revenue_difference_ci_high: float | None
    revenue_condition_met: bool | None  # None: not enough contacted customers measured yet
    decision: str
    reason: str

    def row(self) -> dict:
        return asdict(self)


def compare(
    champion_auc: float,
    challenger_auc: float,
    champion: ArmRevenue,
    challenger: ArmRevenue,
    rule: PromotionRule,
) -> Comparison:
    gain = challenger_auc - champion_auc
    auc_met = math.isfinite(gain) and gain >= rule.min_backtest_auc_gain
    auc_text = (
        f"backtest AUC challenger {challenger_auc:.4f} vs champion {champion_auc:.4f} (gain {gain:+.4f}, "
        f"{'meets' if auc_met else 'below'} the {rule.min_backtest_auc_gain:.4f} required)"
    )
    enough = min(champion.contacted, challenger.contacted) >= rule.min_contacted_per_arm
    difference = low = high = None
    revenue_met = None
    if enough:
        difference = challenger.incremental_per_contacted - champion.incremental_per_contacted
        half = float(norm.ppf(0.5 + rule.confidence / 2)) * math.hypot(
            champion.standard_error, challenger.standard_error
        )
        low, high = difference - half, difference + half
        revenue_met = bool(low >= -rule.revenue_margin_per_contacted)
        revenue_text = (
            f"incremental revenue per contacted customer challenger {challenger.incremental_per_contacted:.2f} "
            f"vs champion {champion.incremental_per_contacted:.2f} (difference {difference:+.2f}, {rule.confidence:.0%} "
            f"interval [{low:.2f}, {high:.2f}]: "
            f"{'not worse' if revenue_met else 'possibly worse'} than -{rule.revenue_margin_per_contacted:g})"
        )
    else:
        revenue_text = (
            f"revenue not judged yet: {champion.contacted} contacted customers measured in the champion arm "
            f"and {challenger.contacted} in the challenger arm, {rule.min_contacted_per_arm} needed in each"
        )
    promote = auc_met and revenue_met is True
    return Comparison(
        champion_auc,
        challenger_auc,
        gain,
        auc_met,
        champion.contacted,
        challenger.contacted,
        None if champion.contacted == 0 else champion.incremental_per_contacted,
        None if challenger.contacted == 0 else challenger.incremental_per_contacted,
        difference,
        low,
        high,
        revenue_met,
        PROMOTE if promote else KEEP,
        f"{auc_text}; {revenue_text}",
    )
