"""Past campaigns the retailer ran, with a control group and a real effect on the treated.

Each campaign of ``config.PAST_CAMPAIGNS`` targets, in its business unit, every person with a CRM
contact (the main one, not a duplicate), a loyalty card issued before the send and the channel's
consent on that contact; a random ``CAMPAIGN_CONTROL_SHARE`` is held out. A treated person who is
still a customer comes back once within the measurement window with the campaign's response
probability: an extra visit whose basket is drawn like any other (``behaviour.baskets``), with the
loyalty card scanned or the web account used (the offer is redeemed with it), so the platform can
see it. Everything else about treated and control persons is the same simulation.

The truth (``ground_truth/campaigns.csv``): per campaign, the net revenue of those extra visits
booked inside the window (returns inside the window deducted, cancelled orders excluded) divided by
the treated persons - the incremental revenue per treated customer the platform should measure.
Persons who later asked for erasure are left out of the truth, as the platform cannot see them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from platform_assets.demo import config as cfg
from platform_assets.demo.behaviour import Chunk, Tables, baskets
from platform_assets.demo.catalog import Catalog, Stores
from platform_assets.demo.identities import Identities
from platform_assets.demo.timeline import DAY, Calendar, draw_sod, stream
from platform_assets.demo.writers import iso_date, money, ts_utc

# Campaign visits get keys in the upper half of the chunk's key space (regular ones start at 0).
KEY_OFFSET = np.int64(1) << 31
SEND_HOUR = 9  # local send time: e-mails and SMS at 09:00, letters delivered that morning
RESPONSE = {row[0]: row[7] for row in cfg.PAST_CAMPAIGNS}


@dataclass
class Campaigns:
    campaigns: pl.DataFrame  # contract columns + campaign (index), country, send_day, window, cents
    members: pl.DataFrame  # campaign, pid, contact_id, treated, response_day (-1: no response)
    revenue_cents: dict[int, int] = field(default_factory=dict)  # campaign -> incremental cents
    responders: dict[int, int] = field(default_factory=dict)


def build_campaigns(
    seed: int, persons: pl.DataFrame, ids: Identities, preferences: pl.DataFrame, cal: Calendar
) -> Campaigns:
    """Who each past campaign targeted, held out and turned into a buyer (deterministic by seed)."""
    rng = stream(seed, 60)
    main = ids.contacts.filter(~pl.col("is_dup")).select("pid", "contact_id", "created_sec")
    country = persons["country"].to_numpy()
    acq_day = persons["acq_day"].to_numpy()
    churn = persons["churn_day"].to_numpy()
    end_day = np.where(churn >= 0, churn, cal.days)
    rows, members = [], []
    for k, (code, name, bu, channel, offer, before_end, window, response, cost_eur) in enumerate(
        cfg.PAST_CAMPAIGNS
    ):
        send = cal.days - before_end
        if send < cfg.CAMPAIGN_MIN_HISTORY_DAYS or send + window > cal.days:
            continue
        consented = preferences.filter(
            (pl.col("source_system") == "crm")
            & (pl.col("channel") == channel)
            & (pl.col("status") == "opt_in")
        ).select(pl.col("source_id").alias("contact_id"))
        target = main.join(consented, on="contact_id").sort("pid")
        pid = target["pid"].to_numpy()
        card_day = ids.card_from[pid, 0]
        ok = (
            (country[pid] == bu)
            & (card_day >= 0)
            & (card_day < send)
            & (acq_day[pid] < send)
            & (target["created_sec"].to_numpy() // DAY - cal.start_epoch_day < send)
        )
        target, pid = target.filter(pl.Series(ok)), pid[ok]
        treated = rng.random(pid.size) >= cfg.CAMPAIGN_CONTROL_SHARE
        day = send + np.floor(rng.random(pid.size) * window).astype(np.int64)
        responds = treated & (rng.random(pid.size) < response) & (day < end_day[pid])
        members.append(
            target.select("pid", "contact_id").with_columns(
                campaign=pl.lit(k, dtype=pl.Int32),
                treated=pl.Series(treated),
                response_day=pl.Series(np.where(responds, day, -1).astype(np.int64)),
            )
        )
        cents = round(float(cost_eur * cfg.FX_PER_EUR[bu]) * 100)
        rows.append(
            {
                "campaign": k,
                "campaign_code": code,
                "campaign_name": name,
                "country_code": cfg.COUNTRIES[bu],
                "channel": channel,
                "offer": offer,
                "send_day": send,
                "measurement_days": window,
                "cents": cents,
                "currency": cfg.CURRENCIES[bu],
                "country": bu,
            }
        )
    schema = {"campaign": pl.Int32, "pid": pl.Int64, "contact_id": pl.String, "treated": pl.Boolean}
    member_frame = (
        pl.concat(members).select("campaign", "pid", "contact_id", "treated", "response_day")
        if members
        else pl.DataFrame(schema={**schema, "response_day": pl.Int64})
    )
    frame = pl.DataFrame(
        rows,
        schema={
            "campaign": pl.Int32,
            "campaign_code": pl.String,
            "campaign_name": pl.String,
            "country_code": pl.String,
            "channel": pl.String,
            "offer": pl.String,
            "send_day": pl.Int64,
            "measurement_days": pl.Int64,
            "cents": pl.Int64,
            "currency": pl.String,
            "country": pl.Int64,
        },
    )
    return Campaigns(frame, member_frame.with_columns(pl.col("pid").cast(pl.Int64)))


def campaigns_frame(c: Campaigns, cal: Calendar) -> pl.DataFrame:
    """The CRM tool's campaign list (contract columns)."""
    return c.campaigns.select(
        "campaign_code",
        "campaign_name",
        "country_code",
        "channel",
        "offer",
        iso_date(pl.col("send_day") + cal.start_epoch_day).alias("sent_on"),
        "measurement_days",
        money(pl.col("cents")).alias("cost_per_contact"),
        "currency",
    ).sort("campaign_code")


def contact_log_frame(c: Campaigns, cal: Calendar) -> pl.DataFrame:
    """The CRM tool's contact log: every targeted contact, treated (with the send time) or control."""
    send = c.campaigns.select("campaign", "campaign_code", "send_day", "country")
    log = c.members.join(send, on="campaign")
    day = log["send_day"].to_numpy()
    utc = cal.to_utc(log["country"].to_numpy(), day, np.full(day.size, SEND_HOUR * 3600))
    return log.select(
        "campaign_code",
        "contact_id",
        pl.when(pl.col("treated"))
        .then(pl.lit("treatment"))
        .otherwise(pl.lit("control"))
        .alias("contact_group"),
        pl.when(pl.col("treated")).then(ts_utc(pl.Series(utc))).alias("contacted_at"),
    ).sort("campaign_code", "contact_id")


def simulate_responses(
    seed: int,
    chunk_no: int,
    campaigns: Campaigns,
    c: Chunk,
    lo: int,
    hi: int,
    t: Tables,
    cal: Calendar,
    catalog: Catalog,
    stores: Stores,
    erased: np.ndarray,
) -> tuple[pl.DataFrame, pl.DataFrame] | None:
    """The extra visits (and their lines) of the chunk's responders; tallies the truth."""
    r = campaigns.members.filter(
        (pl.col("response_day") >= 0) & (pl.col("pid") >= lo) & (pl.col("pid") < hi)
    ).sort("pid", "campaign")
    if r.is_empty():
        return None
    rng = stream(seed, 61, chunk_no)
    who = (r["pid"].to_numpy() - lo).astype(np.int64)
    day = r["response_day"].to_numpy()
    a1 = (c.account_from[who, 0] >= 0) & (day >= c.account_from[who, 0])
    a2 = (c.account_from[who, 1] >= 0) & (day >= c.account_from[who, 1])
    web = (a1 | a2) & (rng.random(who.size) < c.web_share[who])  # guests would stay invisible
    moved = (c.moving_day[who] >= 0) & (day >= c.moving_day[who])
    store = np.where(
        web, stores.web(c.country[who]), np.where(moved, c.new_home_store[who], c.home_store[who])
    )
    v = pl.DataFrame(
        {
            "who": who.astype(np.int32),
            "day": day.astype(np.int32),
            "sod": draw_sod(rng, web),
            "web": web,
            "store": store,
        }
    ).sort("who", "day", "sod", maintain_order=True)
    base = (np.int64(chunk_no) << 32) + KEY_OFFSET
    visits, lines = baskets(rng, c, t, cal, catalog, stores, v, base, scan_p=1.0)
    _tally(campaigns, visits, lines, erased)
    return visits, lines


def _tally(campaigns: Campaigns, visits: pl.DataFrame, lines: pl.DataFrame, erased: np.ndarray) -> None:
    """Net revenue of the campaign visits booked inside their campaign's window, per campaign."""
    windows = campaigns.campaigns.select("campaign", "send_day", "measurement_days")
    treated = campaigns.members.filter(pl.col("treated")).select("campaign", "pid")
    owner = visits.select("vkey", "pid", cancelled=pl.col("status") == 1)
    booked = (
        lines.join(owner, on="vkey")
        .filter(~pl.col("cancelled"))
        .join(treated, on="pid")
        .join(windows, on="campaign")
        .filter(
            (pl.col("line_day") >= pl.col("send_day"))
            & (pl.col("line_day") < pl.col("send_day") + pl.col("measurement_days"))
        )
    )
    keep = ~erased[booked["pid"].to_numpy()]
    booked = booked.filter(pl.Series(keep))
    for (k,), part in booked.group_by("campaign"):
        campaigns.revenue_cents[int(k)] = campaigns.revenue_cents.get(int(k), 0) + int(part["amount"].sum())
    buyers = visits.filter(~pl.col("is_return")).select("pid").unique()
    responders = campaigns.members.filter(pl.col("response_day") >= 0).join(buyers, on="pid")
    for (k,), part in responders.group_by("campaign"):
        pids = part["pid"].to_numpy()
        campaigns.responders[int(k)] = campaigns.responders.get(int(k), 0) + int((~erased[pids]).sum())


def truth_frame(campaigns: Campaigns, erased: np.ndarray, cal: Calendar) -> pl.DataFrame:
    """ground_truth/campaigns.csv: the simulated true effect of each campaign."""
    m = campaigns.members.filter(pl.Series(~erased[campaigns.members["pid"].to_numpy()]))
    counts = m.group_by("campaign").agg(
        pl.col("treated").sum().cast(pl.Int64).alias("treated_persons"),
        (~pl.col("treated")).sum().cast(pl.Int64).alias("control_persons"),
    )
    c = campaigns.campaigns.join(counts, on="campaign", how="left").sort("campaign_code")
    k = c["campaign"].to_list()
    cents = pl.Series([campaigns.revenue_cents.get(i, 0) for i in k], dtype=pl.Int64)
    responders = pl.Series([campaigns.responders.get(i, 0) for i in k], dtype=pl.Int64)
    treated = c["treated_persons"].fill_null(0)
    return c.select(
        "campaign_code",
        "country_code",
        "channel",
        iso_date(pl.col("send_day") + cal.start_epoch_day).alias("sent_on"),
        "measurement_days",
        "currency",
        pl.col("treated_persons").fill_null(0),
        pl.col("control_persons").fill_null(0),
        pl.lit(responders).alias("responders"),
        pl.col("campaign_code")
        .replace_strict(RESPONSE, return_dtype=pl.Float64)
        .alias("response_probability"),
        money(pl.lit(cents)).alias("incremental_revenue"),
        (pl.lit(cents) / treated.clip(1) / 100).round(4).alias("true_incremental_revenue_per_treated"),
    )
