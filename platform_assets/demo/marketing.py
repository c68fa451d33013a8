"""Attribution export (the channel behind each acquired record) and daily paid-media spend.

Spend is derived from the acquisitions it bought, at a channel-specific cost per acquisition
with noise, so CAC measured from the two files lands near config.CAC_EUR (in local currency).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from platform_assets.demo import config as cfg
from platform_assets.demo.identities import Identities
from platform_assets.demo.timeline import DAY, Calendar, stream
from platform_assets.demo.writers import iso_date, money, ts_utc


def build_acquisitions(seed: int, persons: pl.DataFrame, ids: Identities, cal: Calendar) -> pl.DataFrame:
    """The first record each acquired person created (CRM contact or web account)."""
    rng = stream(seed, 40)
    crm = ids.contacts.select(
        pl.lit("crm").alias("source_system"), pl.col("contact_id").alias("source_id"), "pid", "created_sec"
    )
    web = ids.accounts.select(
        pl.lit("ecommerce").alias("source_system"),
        pl.col("account_id").alias("source_id"),
        "pid",
        "created_sec",
    )
    first = (
        pl.concat([crm, web])
        .sort("pid", "created_sec", "source_system", "source_id")
        .unique("pid", keep="first", maintain_order=True)
    )
    p = persons[first["pid"].to_numpy()]
    channel = p["channel"].to_numpy()
    country = p["country"].to_numpy()
    n = first.height
    month = cal.yyyymm()[
        np.clip(first["created_sec"].to_numpy() // DAY - cal.start_epoch_day, 0, cal.days - 1)
    ]
    prefix = np.array(cfg.CAMPAIGN_PREFIX)[channel]
    known = np.where(cfg.PAID[channel], rng.random(n) < 0.75, (channel == 7) & (rng.random(n) < 0.5))
    code = (
        pl.Series(prefix)
        + "-"
        + pl.Series(np.array(cfg.COUNTRIES)[country])
        + "-"
        + pl.Series(month).cast(pl.String)
    )
    return first.with_columns(
        acquisition_channel=pl.Series(np.array(cfg.CHANNELS)[channel]),
        campaign_code=pl.select(pl.when(pl.Series(known)).then(code)).to_series(),
        acquired_at=ts_utc(pl.col("created_sec")),
        country=pl.Series(country),
        channel=pl.Series(channel),
        month=pl.Series(month),
    ).sort("source_system", "source_id")


def build_spend(seed: int, acquisitions: pl.DataFrame, cal: Calendar) -> pl.DataFrame:
    """Daily spend per country and paid channel: monthly budget = acquisitions x CAC x noise."""
    rng = stream(seed, 41)
    yyyymm, weekday = cal.yyyymm(), cal.weekday()
    months = np.array(sorted(set(yyyymm.tolist())))
    counts = acquisitions.group_by("country", "channel", "month").len()
    table = np.zeros((3, len(cfg.CHANNELS), months.size))
    for c, ch, m, k in counts.iter_rows():
        table[c, ch, np.searchsorted(months, m)] = k
    rows = []
    for c in range(3):
        for ch in np.flatnonzero(cfg.PAID):
            cac = cfg.CAC_EUR[ch] * cfg.FX_PER_EUR[c] * cfg.COUNTRY_COST_LEVEL[c]
            budget = table[c, ch] * cac * rng.lognormal(0.0, 0.08, months.size)
            # Flyers are paid once a week (Monday drops); online media daily, a bit more at weekends.
            if cfg.CHANNELS[ch] == "print_flyer":
                w = (weekday == 0).astype(float)
            else:
                w = np.where(weekday >= 5, 1.15, 1.0) * rng.lognormal(0.0, 0.25, cal.days)
            month_of_day = np.searchsorted(months, yyyymm)
            share = w / np.bincount(month_of_day, weights=w, minlength=months.size)[month_of_day]
            cents = np.round(budget[month_of_day] * share * 100).astype(np.int64)
            days = np.flatnonzero(cents > 0)
            rows.append(
                pl.DataFrame(
                    {
                        "day": days + cal.start_epoch_day,
                        "country_code": cfg.COUNTRIES[c],
                        "channel": cfg.CHANNELS[ch],
                        "cents": cents[days],
                        "currency": cfg.CURRENCIES[c],
                    }
                )
            )
    spend = pl.concat(rows)
    return spend.select(
        iso_date(pl.col("day")).alias("spend_date"),
        "country_code",
        "channel",
        money(pl.col("cents")).alias("spend"),
        "currency",
    ).sort("spend_date", "country_code", "channel")
