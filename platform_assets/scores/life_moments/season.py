"""Seasons of a life moment: a Cox model's baseline is the season of the window it was fitted on.

New gardens start in spring (DOMAIN.md), so a model fitted on the entries that followed an April
cutoff would promise November's customers spring's gardens. The moment's month profile comes from its entries
over the two years before; the hazard is proportional in calendar time, h(x, day) = h exp(x b)
s(month of day), so the cumulative hazard fitted over [c, c + follow) moves to [a, a + 90) in the
ratio of the profile's mass over the two (``survival._in_season``).
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl

PROFILE_DAYS = 730  # two years: each month seen twice
FLAT = (1.0,) * 12  # no season: every month alike
SMOOTHING = 1.0  # entries added to every month: a month with none is rare, not impossible


def profile(entries: pl.DataFrame, moment: str, start: date, cutoff: date) -> tuple[float, ...]:
    """Relative entry rate per calendar month (mean 1) from the moment's entries in
    [max(start, cutoff - PROFILE_DAYS), cutoff), each month's count divided by its days in that span;
    flat without any history."""
    first = max(start, cutoff - timedelta(days=PROFILE_DAYS))
    days = pl.date_range(first, cutoff - timedelta(days=1), eager=True)
    exposure = np.bincount(days.dt.month().to_numpy() - 1, minlength=12).astype(float)
    seen = entries.filter(
        (pl.col("moment") == moment) & (pl.col("entry_date") >= first) & (pl.col("entry_date") < cutoff)
    )
    counts = np.bincount(seen["entry_date"].dt.month().to_numpy() - 1, minlength=12).astype(float)
    covered = exposure > 0
    if not covered.any():  # no history before the cutoff: no season known
        return FLAT
    rate = np.where(covered, (counts + SMOOTHING) / np.maximum(exposure, 1), np.nan)
    rate = np.where(covered, rate, np.nanmean(rate))  # a month not in the span: the average
    return tuple(float(r) for r in rate / rate.mean())


def window_weight(season: tuple[float, ...], start: date, days: int) -> float:
    """Mean of the month profile over the days [start, start + days)."""
    months = pl.date_range(start, start + timedelta(days=days - 1), eager=True).dt.month().to_numpy() - 1
    return float(np.asarray(season)[months].mean())
