"""A moment's month profile from its entries, and the mass of a window under it."""

from datetime import date, timedelta

import polars as pl
import pytest

from platform_assets.scores.life_moments import season


def _entries(days: list[date], moment: str = "new_garden") -> pl.DataFrame:
    return pl.DataFrame(
        {"customer_id": [f"C{i}" for i in range(len(days))], "moment": moment, "entry_date": days}
    )


def test_a_spring_moment_has_its_weight_in_spring_and_a_mean_of_one():
    days = [date(y, 4, d) for y in (2024, 2025) for d in range(1, 29)] + [date(2025, 9, 3)]
    profile = season.profile(_entries(days), "new_garden", date(2023, 1, 1), date(2026, 1, 1))
    assert sum(profile) / 12 == pytest.approx(1.0)
    assert max(range(12), key=profile.__getitem__) == 3  # April
    assert profile[3] > 5 * profile[8] > 0  # September: one entry, smoothed, not zero
    # Other moments' entries and entries outside the two years before the cutoff do not count.
    others = _entries(days + [date(2023, 2, 1)] * 50).with_columns(
        moment=pl.when(pl.col("entry_date").dt.month() == 4)
        .then(pl.lit("new_garden"))
        .otherwise(pl.lit("moving"))
    )
    assert season.profile(others, "new_garden", date(2023, 1, 1), date(2026, 1, 1)) == pytest.approx(
        season.profile(_entries(days[:-1]), "new_garden", date(2023, 1, 1), date(2026, 1, 1))
    )


def test_months_outside_the_history_take_the_average_and_a_flat_profile_weighs_one():
    # History since 2025-10-01 only: every month from October to December, none of the rest.
    start, cutoff = date(2025, 10, 1), date(2026, 1, 1)
    days = [start + timedelta(days=i) for i in range(0, 92, 3)]
    profile = season.profile(_entries(days), "new_garden", start, cutoff)
    assert profile[0] == pytest.approx(profile[5]) == pytest.approx(sum(profile[9:]) / 3)
    flat = (1.0,) * 12
    assert season.profile(_entries(days), "new_garden", cutoff, cutoff) == flat  # no history yet
    assert season.window_weight(flat, date(2026, 2, 1), 90) == pytest.approx(1.0)
    spring = tuple(3.0 if m in (3, 4, 5) else 0.0 for m in range(1, 13))
    assert season.window_weight(spring, date(2026, 3, 1), 92) == pytest.approx(3.0)
    assert season.window_weight(spring, date(2026, 6, 1), 30) == 0.0
