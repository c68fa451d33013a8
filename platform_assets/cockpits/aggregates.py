"""Pure figures of the cockpits: data in, data out (no DuckDB, no Dagster)."""

from __future__ import annotations

import math
from dataclasses import dataclass

PSI_WARNING = 0.2  # population stability index above which a score distribution has drifted


def psi(expected: list[int], actual: list[int], floor: float = 1e-4) -> float:
    """Population stability index of two histograms over the same bins: sum (a - e) * ln(a / e) of
    the bin shares; an empty bin counts as ``floor`` so the index stays finite."""
    if len(expected) != len(actual):
        raise ValueError(f"psi needs the same bins: {len(expected)} expected vs {len(actual)} actual")
    total_e, total_a = sum(expected), sum(actual)
    if not total_e or not total_a:
        raise ValueError("psi needs two non-empty distributions")
    index = 0.0
    for e, a in zip(expected, actual, strict=True):
        share_e, share_a = max(e / total_e, floor), max(a / total_a, floor)
        index += (share_a - share_e) * math.log(share_a / share_e)
    return index


@dataclass(frozen=True)
class Migration:
    """Customers per (previous segment, current segment); rows and columns in a stable order."""

    segments: list[str]
    counts: list[list[int]]  # counts[i][j]: from segments[i] to segments[j]

    @property
    def stayed_share(self) -> float:
        total = sum(map(sum, self.counts))
        return sum(self.counts[i][i] for i in range(len(self.segments))) / total if total else 0.0


def migration_matrix(pairs: list[tuple[str, str, int]], order: list[str] | None = None) -> Migration:
    """``(previous, current, customers)`` rows as a square matrix over every segment seen."""
    seen = sorted({p for p, _, _ in pairs} | {c for _, c, _ in pairs})
    segments = [s for s in order or [] if s in seen] + [s for s in seen if s not in (order or [])]
    position = {s: i for i, s in enumerate(segments)}
    counts = [[0] * len(segments) for _ in segments]
    for previous, current, n in pairs:
        counts[position[previous]][position[current]] += int(n)
    return Migration(segments, counts)


@dataclass(frozen=True)
class ChannelEconomics:
    channel: str
    is_paid: bool
    customers: int
    ltv: float  # predicted value (the unit's CLV horizon) of a customer acquired in the last 12 months
    cac: float  # spend per customer acquired, last 12 months
    ratio: float | None  # LTV / CAC; none for an unpaid channel
    payback_months: float | None  # months of predicted value that repay the CAC
    quadrant: str


def profit_matrix(rows: list[dict]) -> list[ChannelEconomics]:
    """The Marketing Profit Matrix of one business unit: each acquisition channel's LTV against its
    CAC, placed in a quadrant by the business unit's medians over paid channels (high/low LTV,
    high/low CAC); unpaid channels cost nothing to acquire and sit apart."""
    paid = [r for r in rows if r["is_paid_channel"] and r["cac_12m"]]
    median_ltv = median([r["predicted_ltv_12m"] for r in paid])
    median_cac = median([r["cac_12m"] for r in paid])
    out = []
    for r in rows:
        ltv, cac = float(r["predicted_ltv_12m"] or 0.0), float(r["cac_12m"] or 0.0)
        if not r["is_paid_channel"] or not cac:
            ratio = payback = None
            quadrant = "unpaid"
        else:
            ratio = ltv / cac
            payback = cac / (ltv / 12) if ltv > 0 else None
            quadrant = (
                f"{'high' if ltv >= median_ltv else 'low'} LTV, {'high' if cac >= median_cac else 'low'} CAC"
            )
        out.append(
            ChannelEconomics(
                r["acquisition_channel"],
                bool(r["is_paid_channel"]),
                int(r["customers_acquired_12m"] or 0),
                ltv,
                cac,
                ratio,
                payback,
                quadrant,
            )
        )
    return sorted(out, key=lambda c: (c.ratio is None, -(c.ratio or 0.0), c.channel))


def median(values: list[float]) -> float:
    values = sorted(float(v) for v in values)
    if not values:
        return 0.0
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2
