"""Random streams and the calendar of the simulated history.

Time is kept as integers: a day index from the first day of the history, plus seconds of the
day in *local* time. UTC is derived with the EU daylight-saving rule (the UK follows it too), so
no tz database is needed and the output does not depend on the machine.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from platform_assets.demo import config as cfg

DAY = 86_400
EPOCH = date(1970, 1, 1)


def stream(seed: int, *keys: int) -> np.random.Generator:
    """An independent PCG64 stream per (seed, stage, chunk...), so stages do not shift each other."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, *keys])))


def _last_sunday(year: int, month: int) -> date:
    d = date(year, month + 1, 1) - timedelta(days=1) if month < 12 else date(year, 12, 31)
    return d - timedelta(days=(d.weekday() - 6) % 7)


@dataclass(frozen=True)
class Calendar:
    start: date
    end: date  # inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def start_epoch_day(self) -> int:
        return (self.start - EPOCH).days

    def day_of(self, d: date) -> int:
        return (d - self.start).days

    def dates(self) -> np.ndarray:
        return np.arange(self.days) + self.start_epoch_day

    def month_index(self) -> np.ndarray:
        """0..11 calendar month of every day of the history."""
        return (self.dates().astype("datetime64[D]").astype("datetime64[M]").astype(int) % 12).astype(np.int8)

    def yyyymm(self) -> np.ndarray:
        m = self.dates().astype("datetime64[D]").astype("datetime64[M]").astype(int)
        return ((1970 + m // 12) * 100 + m % 12 + 1).astype(np.int32)

    def weekday(self) -> np.ndarray:
        """0 = Monday."""
        return ((self.dates() + 3) % 7).astype(np.int8)  # 1970-01-01 was a Thursday

    def utc_offset_seconds(self) -> np.ndarray:
        """[country, day] offset of local time to UTC (local = UTC + offset)."""
        summer = np.zeros(self.days, dtype=bool)
        for year in range(self.start.year, self.end.year + 1):
            lo = max(0, self.day_of(_last_sunday(year, 3)))
            hi = min(self.days, max(0, self.day_of(_last_sunday(year, 10))))
            summer[lo:hi] = True
        hours = cfg.WINTER_UTC_OFFSET_H[:, None] + summer[None, :]
        return (hours * 3600).astype(np.int64)

    def to_utc(self, country: np.ndarray, day: np.ndarray, sod: np.ndarray) -> np.ndarray:
        """Local (day, second of day) to UTC epoch seconds."""
        offset = self.utc_offset_seconds()[country, day]
        return (day.astype(np.int64) + self.start_epoch_day) * DAY + sod - offset

    def epoch_seconds(self, day: np.ndarray, sod: np.ndarray | int = 0) -> np.ndarray:
        """(day, second of day) to epoch seconds without any zone shift (for naive local times)."""
        return (np.asarray(day, dtype=np.int64) + self.start_epoch_day) * DAY + sod


# Hour-of-day profiles (local time): stores 08-20 with late-morning and late-afternoon peaks,
# the web shop 06-24 with an evening peak (never before 06:00, so UTC stays on the same date).
STORE_HOURS = np.array([0.5, 0.9, 1.1, 1.2, 1.0, 0.8, 0.9, 1.0, 1.1, 1.2, 1.0, 0.6])  # 08..19
WEB_HOURS = np.array(
    [0.2, 0.4, 0.6, 0.8, 0.9, 1.0, 1.0, 1.0, 0.9, 0.9, 1.0, 1.1, 1.3, 1.5, 1.6, 1.4, 1.0, 0.6]
)


def draw_sod(rng: np.random.Generator, web: np.ndarray) -> np.ndarray:
    """Local second of the day of a store visit or a web order."""
    n = web.size
    store_h = 8 + rng.choice(STORE_HOURS.size, size=n, p=STORE_HOURS / STORE_HOURS.sum())
    web_h = 6 + rng.choice(WEB_HOURS.size, size=n, p=WEB_HOURS / WEB_HOURS.sum())
    return (np.where(web, web_h, store_h) * 3600 + rng.integers(0, 3600, n)).astype(np.int32)
