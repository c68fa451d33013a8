"""E-mail campaigns over the last year: sent, open, click, unsubscribe and bounce events.

Engagement is the person's: loyal and engaged people open more, people sliding towards churn
open less and unsubscribe more, people in a life-moment lead-in click more. Typo domains bounce.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from platform_assets.demo import config as cfg
from platform_assets.demo.timeline import DAY, Calendar, stream
from platform_assets.demo.writers import padded, ts_utc

EVENT_TYPES = ("sent", "bounce", "open", "click", "unsubscribe")


@dataclass(frozen=True)
class Campaign:
    campaign_id: str
    country: int
    day: int
    send_sec: int


def campaigns(cal: Calendar) -> list[Campaign]:
    """Two campaigns a month per business unit: a Tuesday after the 3rd, a Thursday after the 17th."""
    yyyymm, weekday = cal.yyyymm(), cal.weekday()
    dom = cal.dates() - cal.dates().astype("datetime64[D]").astype("datetime64[M]").astype(
        "datetime64[D]"
    ).astype(int)
    months = sorted(set(yyyymm.tolist()))[-cfg.CAMPAIGN_MONTHS :]
    out = []
    offset = cal.utc_offset_seconds()
    for month in months:
        for k, (wd, from_dom) in enumerate(((1, 2), (3, 16))):
            days = np.flatnonzero((yyyymm == month) & (weekday == wd) & (dom >= from_dom))
            if days.size == 0:
                continue
            day = int(days[0])
            for c, cc in enumerate(cfg.COUNTRIES):
                send = int(cal.epoch_seconds(day, 9 * 3600 + 900 * c)) - int(offset[c, day])
                out.append(Campaign(f"CMP-{cc}-{month}-{k + 1}", c, day, send))
    return sorted(out, key=lambda x: (x.send_sec, x.country))


def build_events(seed: int, persons: pl.DataFrame, subscribers: pl.DataFrame, cal: Calendar) -> pl.DataFrame:
    rng = stream(seed, 30)
    pid = subscribers["pid"].to_numpy()
    p = persons[pid]
    country = p["country"].to_numpy()
    since = subscribers["since_sec"].to_numpy()
    bad = subscribers["bad_domain"].to_numpy()
    profile = p["profile"].to_numpy()
    base_open = cfg.OPEN_P * cfg.OPEN_MULT[profile] * (0.4 + 1.3 * p["engagement"].to_numpy())
    churn, drift = p["churn_day"].to_numpy(), p["drift_day"].to_numpy()
    m_day = np.stack([p[f"{m}_day"].to_numpy() for m in ("moving", "renovation", "garden")], axis=1)
    m_lead = np.stack([p[f"{m}_lead"].to_numpy() for m in ("moving", "renovation", "garden")], axis=1)
    suppressed = np.full(pid.size, np.iinfo(np.int64).max)
    end_sec = int(cal.epoch_seconds(cal.days - 1, 86_399)) - 3600

    subs, camps, types, secs, hards = [], [], [], [], []
    for k, camp in enumerate(campaigns(cal)):
        idx = np.flatnonzero(
            (country == camp.country) & (since < camp.send_sec) & (suppressed > camp.send_sec)
        )
        idx = idx[rng.random(idx.size) < cfg.CAMPAIGN_REACH]
        n = idx.size
        d = camp.day
        drifting = (drift[idx] >= 0) & (d >= drift[idx]) & (d < churn[idx])
        churned = (churn[idx] >= 0) & (d >= churn[idx])
        lead = ((m_day[idx] >= 0) & (d >= m_day[idx] - m_lead[idx]) & (d < m_day[idx])).any(axis=1)
        p_open = base_open[idx] * np.where(drifting, cfg.OPEN_MULT_DRIFT, 1.0)
        p_open = p_open * np.where(churned, cfg.OPEN_MULT_CHURNED, 1.0)
        p_open = np.minimum(p_open * np.where(lead, 1.3, 1.0), 0.95)
        bounce = rng.random(n) < np.where(bad[idx], cfg.BOUNCE_P_BAD_DOMAIN, cfg.BOUNCE_P)
        opened = ~bounce & (rng.random(n) < p_open)
        clicked = opened & (
            rng.random(n) < cfg.CLICK_P * np.where(lead, 1.6, 1.0) * np.where(drifting, 0.5, 1.0)
        )
        unsub = opened & (rng.random(n) < cfg.UNSUB_P_AFTER_OPEN * np.where(drifting | churned, 3.0, 1.0))
        sent_t = camp.send_sec + rng.integers(0, 1800, n)
        bounce_t = sent_t + rng.integers(5, 300, n)
        open_t = sent_t + 60 + np.minimum(rng.exponential(5 * 3600, n), 7 * DAY).astype(np.int64)
        click_t = open_t + 5 + rng.exponential(120, n).astype(np.int64)
        unsub_t = open_t + rng.integers(30, 600, n)
        hard = bounce & bad[idx]  # the ESP stops sending to dead addresses
        suppressed[idx[hard]] = bounce_t[hard]
        suppressed[idx[unsub]] = unsub_t[unsub]
        for t, mask, when in (
            (0, None, sent_t),
            (1, bounce, bounce_t),
            (2, opened, open_t),
            (3, clicked, click_t),
            (4, unsub, unsub_t),
        ):
            sel = slice(None) if mask is None else mask
            subs.append(idx[sel])
            secs.append(when[sel])
            types.append(np.full(idx[sel].size, t, dtype=np.int8))
            hards.append(hard[sel] if t == 1 else np.zeros(idx[sel].size, dtype=bool))
            camps.append(np.full(idx[sel].size, k, dtype=np.int16))

    camp_ids = pl.Series([c.campaign_id for c in campaigns(cal)])
    events = pl.DataFrame(
        {
            "sub": np.concatenate(subs) if subs else np.zeros(0, np.int64),
            "camp": np.concatenate(camps) if camps else np.zeros(0, np.int16),
            "type": np.concatenate(types) if types else np.zeros(0, np.int8),
            "sec": np.concatenate(secs) if secs else np.zeros(0, np.int64),
            "hard": np.concatenate(hards) if hards else np.zeros(0, bool),
        }
    ).filter(pl.col("sec") <= end_sec)
    events = events.sort("sec", "type", "sub", "camp")
    month = cal.yyyymm()[np.minimum(events["sec"].to_numpy() // DAY - cal.start_epoch_day, cal.days - 1)]
    return events.with_columns(
        seq=pl.int_range(1, pl.len() + 1),
        campaign_id=camp_ids.gather(events["camp"]),
        month=pl.Series(month),
    )


def format_events(events: pl.DataFrame, subscribers: pl.DataFrame) -> pl.DataFrame:
    """Numeric events (one month) -> contract columns; done per month to bound memory."""
    return events.select(
        padded(pl.col("seq"), 10, "EV").alias("event_id"),
        pl.col("sub")
        .map_batches(subscribers["subscriber_id"].gather, return_dtype=pl.String)
        .alias("subscriber_id"),
        pl.col("sub").map_batches(subscribers["email"].gather, return_dtype=pl.String).alias("email"),
        "campaign_id",
        pl.col("type")
        .replace_strict(dict(enumerate(EVENT_TYPES)), return_dtype=pl.String)
        .alias("event_type"),
        ts_utc(pl.col("sec")).alias("event_at"),
        # the ESP's bounce classification: a dead address (hard) or a full mailbox, a busy server (soft)
        pl.when(pl.col("type") == 1)
        .then(pl.when(pl.col("hard")).then(pl.lit("hard")).otherwise(pl.lit("soft")))
        .alias("bounce_type"),
    )
