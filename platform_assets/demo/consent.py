"""Consents per record and channel, the e-mail subscribers they imply, and erasure requests.

A person has one underlying attitude per channel; each record mostly reflects it, so duplicate
contacts usually agree but sometimes do not (as in real consent platforms).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from platform_assets.demo import config as cfg
from platform_assets.demo import noise
from platform_assets.demo.identities import Identities
from platform_assets.demo.reference import EMAIL_DOMAINS, WORK_DOMAINS
from platform_assets.demo.timeline import Calendar, stream
from platform_assets.demo.writers import padded, ts_utc

KNOWN_DOMAINS = sorted({d for c in EMAIL_DOMAINS for d, _ in c} | {d for c in WORK_DOMAINS for d in c})


@dataclass
class Consents:
    preferences: pl.DataFrame  # contract columns + pid
    subscribers: pl.DataFrame  # subscriber_id, email, pid, since_sec, bad_domain
    erasures: pl.DataFrame  # contract columns + pid
    access_requests: pl.DataFrame  # contract columns + kind, person_id (ground truth)


def _records(ids: Identities) -> pl.DataFrame:
    crm = ids.contacts.select(
        pl.lit("crm").alias("source_system"),
        pl.col("contact_id").alias("source_id"),
        "pid",
        "created_sec",
        "email",
        pl.col("phone").is_not_null().alias("has_phone"),
    )
    web = ids.accounts.select(
        pl.lit("ecommerce").alias("source_system"),
        pl.col("account_id").alias("source_id"),
        "pid",
        "created_sec",
        pl.col("login_email").alias("email"),
        pl.col("phone").is_not_null().alias("has_phone"),
    )
    return pl.concat([crm, web]).sort("source_system", "source_id")


def build_consents(seed: int, persons: pl.DataFrame, ids: Identities, cal: Calendar) -> Consents:
    rng = stream(seed, 5)
    n = persons.height
    records = _records(ids)
    m = records.height
    pid = records["pid"].to_numpy()
    end_sec = int(cal.epoch_seconds(cal.days - 1, 86_400)) - 3600
    created = records["created_sec"].to_numpy()

    frames = []
    for channel in ("email", "sms", "phone", "post"):
        attitude = rng.random(n)[pid]
        u = np.where(rng.random(m) < 0.85, attitude, rng.random(m))
        opt_in = u < cfg.CONSENT_P[channel]
        if channel == "email":
            opt_in &= records["email"].is_not_null().to_numpy()
        elif channel in ("sms", "phone"):
            opt_in &= records["has_phone"].to_numpy()
        # Mostly collected with the record; some changed their mind later.
        later = created + (rng.random(m) * np.maximum(end_sec - created, 0)).astype(np.int64)
        collected = np.where(rng.random(m) < 0.8, created + rng.integers(0, 120, m), later)
        frames.append(
            records.select("source_system", "source_id", "pid", "email").with_columns(
                channel=pl.lit(channel),
                status=pl.Series(np.where(opt_in, "opt_in", "opt_out")),
                collected_sec=pl.Series(collected),
            )
        )
    prefs = pl.concat(frames).with_columns(collected_at=ts_utc(pl.col("collected_sec")))
    prefs = prefs.sort("source_system", "source_id", "channel")
    erasures = _erasures(rng, persons, ids, cal)
    return Consents(
        preferences=prefs.drop("email"),
        subscribers=_subscribers(prefs),
        erasures=erasures,
        access_requests=_access_requests(stream(seed, 5, 1), persons, ids, cal, erasures),
    )


def _subscribers(prefs: pl.DataFrame) -> pl.DataFrame:
    """One ESP subscriber per distinct (trimmed, lower-cased) opted-in address, typos included."""
    subs = (
        prefs.filter((pl.col("channel") == "email") & (pl.col("status") == "opt_in"))
        .with_columns(email=pl.col("email").str.strip_chars().str.to_lowercase())
        .sort("collected_sec", "source_system", "source_id")
        .group_by("email", maintain_order=True)
        .agg(pl.col("pid").first(), pl.col("collected_sec").first().alias("since_sec"))
        .sort("since_sec", "email")
    )
    return subs.with_columns(
        subscriber_id=padded(pl.int_range(1, pl.len() + 1), 9, "SUB"),
        bad_domain=~pl.col("email").str.split("@").list.last().is_in(KNOWN_DOMAINS),
    )


def _erasures(
    rng: np.random.Generator, persons: pl.DataFrame, ids: Identities, cal: Calendar
) -> pl.DataFrame:
    """About 0.3 % of known persons ask to be forgotten in the last six months, by e-mail and/or phone."""
    n = persons.height
    known = ids.has_crm | ids.has_account
    p = cfg.ERASURE_P * n / max(known.sum(), 1)
    pid = np.flatnonzero(known & (rng.random(n) < p))
    m = pid.size
    p_rows = persons[pid]
    country = p_rows["country"].to_numpy()
    mode = rng.choice(3, size=m, p=[0.20, 0.15, 0.65])  # e-mail only, phone only, both
    day = cal.days - 1 - rng.integers(0, 183, m)
    sec = cal.epoch_seconds(day, rng.integers(7 * 3600, 20 * 3600, m))
    frame = pl.DataFrame(
        {
            "pid": pid.astype(np.int32),
            "email": noise.blank(p_rows["email"], mode == 1),
            "phone": noise.blank(noise.phones(p_rows["phone_nsn"], country, rng), mode == 0),
            "country_code": np.array(cfg.COUNTRIES)[country],
            "requested_sec": sec,
        }
    ).sort("requested_sec", "pid")
    return frame.with_columns(
        request_id=padded(pl.int_range(1, pl.len() + 1), 6, "ER-"),
        requested_at=ts_utc(pl.col("requested_sec")),
    )


def _access_requests(
    rng: np.random.Generator, persons: pl.DataFrame, ids: Identities, cal: Calendar, erasures: pl.DataFrame
) -> pl.DataFrame:
    """A few persons ask what the retailer holds on them in the last month (by e-mail, phone, both, or a
    customer number: their CRM contact id, else their web account id); besides, one request names
    nobody, one gives the e-mail of one person and the phone of another (ambiguous), and one comes
    from a person who had asked to be erased. ``kind`` and ``person_id`` are the ground truth."""
    n = persons.height
    erased = np.zeros(n, dtype=bool)
    erased[erasures["pid"].to_numpy()] = True
    known = np.flatnonzero(
        (ids.has_crm | ids.has_account) & ~erased & persons["email"].is_not_null().to_numpy()
    )
    m = min(known.size, max(3, round(cfg.ACCESS_P * n)))
    pid = np.sort(rng.choice(known, size=m + 2, replace=False)) if known.size >= m + 2 else known
    asked, pair = pid[:m], pid[m : m + 2]
    p_rows = persons[asked]
    country = p_rows["country"].to_numpy()
    mode = rng.choice(4, size=asked.size, p=[0.4, 0.2, 0.2, 0.2])  # e-mail, phone, both, customer number
    number = (
        pl.DataFrame({"pid": asked.astype(np.int32)})
        .join(ids.contacts.group_by("pid").agg(pl.col("contact_id").min()), on="pid", how="left")
        .join(ids.accounts.group_by("pid").agg(pl.col("account_id").min()), on="pid", how="left")
        .select(pl.coalesce("contact_id", "account_id"))
        .to_series()
    )
    phone = noise.phones(p_rows["phone_nsn"], country, rng)
    mode = np.where((mode == 1) & phone.is_null().to_numpy(), 0, mode)  # no phone: they give the e-mail
    frames = [
        pl.DataFrame(
            {
                "pid": asked.astype(np.int32),
                "kind": "known",
                "email": noise.blank(p_rows["email"], ~np.isin(mode, (0, 2))),
                "phone": noise.blank(phone, ~np.isin(mode, (1, 2))),
                "customer_reference": noise.blank(number, mode != 3),
                "country_code": np.array(cfg.COUNTRIES)[country],
            }
        )
    ]
    codes = np.array(cfg.COUNTRIES)
    frames.append(  # an address nobody has
        pl.DataFrame(
            {
                "pid": [-1],
                "kind": "unknown",
                "email": ["no.such.customer@example.org"],
                "phone": [None],
                "customer_reference": [None],
                "country_code": [codes[0]],
            }
        )
    )
    if (
        pair.size == 2 and persons[int(pair[1])]["phone_nsn"][0] is not None
    ):  # e-mail of one, phone of another
        first, second = persons[int(pair[0])], persons[int(pair[1])]
        phone2 = noise.phones(second["phone_nsn"], second["country"].to_numpy(), rng)
        frames.append(
            pl.DataFrame(
                {
                    "pid": [int(pair[0])],
                    "kind": "ambiguous",
                    "email": first["email"],
                    "phone": phone2,
                    "customer_reference": [None],
                    "country_code": [codes[int(second["country"][0])]],
                }
            )
        )
    if erasures.height:  # a person erased earlier asks what is left
        gone = erasures.sort("pid").head(1)
        email = persons[int(gone["pid"][0])]["email"]
        frames.append(
            pl.DataFrame(
                {
                    "pid": gone["pid"],
                    "kind": "erased",
                    "email": email,
                    "phone": [None],
                    "customer_reference": [None],
                    "country_code": gone["country_code"],
                }
            )
        )
    frame = pl.concat(
        [
            f.with_columns(
                pl.col("pid").cast(pl.Int32),
                pl.col("phone").cast(pl.String),
                pl.col("customer_reference").cast(pl.String),
                pl.col("email").cast(pl.String),
            )
            for f in frames
        ]
    )
    day = cal.days - 1 - rng.integers(0, 30, frame.height)
    sec = cal.epoch_seconds(day, rng.integers(7 * 3600, 20 * 3600, frame.height))
    return (
        frame.with_columns(received_sec=pl.Series(sec))
        .sort("received_sec", "pid")
        .with_columns(
            request_id=padded(pl.int_range(1, pl.len() + 1), 6, "AR-"),
            received_at=ts_utc(pl.col("received_sec")),
            person_id=pl.when(pl.col("pid") >= 0).then(padded(pl.col("pid") + 1, 8, "P")),
        )
    )


def erased_mask(n: int, consents: Consents) -> np.ndarray:
    out = np.zeros(n, dtype=bool)
    out[consents.erasures["pid"].to_numpy()] = True
    return out
