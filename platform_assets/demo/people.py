"""The true persons: identity, address, acquisition, behaviour profile, churn and life moments.

One row per person, all columns vectorised. Every source record is later derived from this
table (with noise), so it is the ground truth the identity resolution will be scored against.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from platform_assets.demo import config as cfg
from platform_assets.demo.catalog import DEPT_POPULARITY, GARDEN, Stores
from platform_assets.demo.reference import (
    ACCENT_MAP,
    CITIES,
    EMAIL_DOMAINS,
    FIRST_NAMES_FEMALE,
    FIRST_NAMES_MALE,
    LAST_NAMES,
    STREET_NAMES,
)
from platform_assets.demo.timeline import Calendar, stream

NONE = -1  # "no date" in integer day columns


def zipf_pick(rng: np.random.Generator, n_items: int, size: int, a: float = 0.8) -> np.ndarray:
    """Index into a frequency-ordered list, the first items most common."""
    w = 1.0 / np.arange(1, n_items + 1) ** a
    return rng.choice(n_items, size=size, p=w / w.sum())


def ascii_fold(expr: pl.Expr) -> pl.Expr:
    return expr.str.replace_many(list(ACCENT_MAP), list(ACCENT_MAP.values()))


def draw_countries(seed: int, n: int) -> np.ndarray:
    return stream(seed, 3, 0).choice(3, size=n, p=cfg.COUNTRY_SHARE).astype(np.int8)


def _names(
    rng: np.random.Generator, country: np.ndarray, female: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    n = country.size
    first = np.empty(n, dtype=object)
    last = np.empty(n, dtype=object)
    for c in range(3):
        for g, lists in ((False, FIRST_NAMES_MALE), (True, FIRST_NAMES_FEMALE)):
            idx = np.flatnonzero((country == c) & (female == g))
            first[idx] = np.array(lists[c], dtype=object)[zipf_pick(rng, len(lists[c]), idx.size)]
        idx = np.flatnonzero(country == c)
        last[idx] = np.array(LAST_NAMES[c], dtype=object)[zipf_pick(rng, len(LAST_NAMES[c]), idx.size, 0.6)]
    return first, last


def _unique_digits(rng: np.random.Generator, country: np.ndarray) -> np.ndarray:
    """National significant number of a mobile phone (no trunk 0), unique across persons."""
    n = country.size
    lead = np.array(["6", "5", "7"])[country]
    second = rng.integers(0, 10, n)
    lead = np.where((country == 0) & (rng.random(n) < 0.35), "7", lead)  # FR 07 numbers
    lead = np.where((country == 1), np.array(["5", "6", "7", "8"])[rng.integers(0, 4, n)], lead)
    second = np.where(country == 2, rng.integers(1, 10, n), second)  # GB 071..079
    body7 = pl.Series(rng.integers(0, 10**7, n)).cast(pl.String).str.zfill(7)
    body8 = pl.Series(rng.integers(0, 10**8, n)).cast(pl.String).str.zfill(8)
    body = pl.select(pl.when(pl.Series(country == 2)).then(body8).otherwise(body7)).to_series()
    digits = pl.select(pl.concat_str([pl.Series(lead), pl.Series(second).cast(pl.String), body])).to_series()
    dup = digits.is_duplicated() & ~digits.is_first_distinct()
    if dup.any():  # rare: redraw the tail deterministically from the position
        pos = np.flatnonzero(dup.to_numpy())
        digits = digits.scatter(
            pos, [d[:-4] + f"{(p * 7919) % 10000:04d}" for d, p in zip(digits[pos], pos, strict=True)]
        )
    return digits.to_numpy()


def _postcodes(rng: np.random.Generator, country: np.ndarray, city: np.ndarray) -> np.ndarray:
    n = country.size
    seeds = np.empty(n, dtype=object)
    for c in range(3):
        idx = np.flatnonzero(country == c)
        seeds[idx] = np.array([s for _, s in CITIES[c]], dtype=object)[city[idx]]
    fr_offset = np.array([0, 0, 0, 1, 2, 3, 4, 5, 6, 7])[rng.integers(0, 10, n)]
    letters = np.array(list("ABDEFGHJLNPQRSTUWXYZ"))
    df = pl.DataFrame(
        {"c": country, "seed": seeds.astype(str), "off": fr_offset, "r3": rng.integers(0, 1000, n)}
    )
    df = df.with_columns(
        gb=pl.concat_str(
            [
                pl.col("seed"),
                pl.lit(" "),
                pl.Series(rng.integers(1, 10, n)).cast(pl.String),
                pl.Series(letters[rng.integers(0, 20, n)]),
                pl.Series(letters[rng.integers(0, 20, n)]),
            ]
        ),
        pl_=pl.concat_str([pl.col("seed"), pl.lit("-"), pl.col("r3").cast(pl.String).str.zfill(3)]),
        fr=(pl.col("seed").cast(pl.Int64, strict=False).fill_null(0) + pl.col("off"))
        .cast(pl.String)
        .str.zfill(5),
    )
    out = df.select(
        pl.when(pl.col("c") == 0)
        .then(pl.col("fr"))
        .when(pl.col("c") == 1)
        .then(pl.col("pl_"))
        .otherwise(pl.col("gb"))
    ).to_series()
    return out.to_numpy()


def _streets(rng: np.random.Generator, country: np.ndarray) -> np.ndarray:
    n = country.size
    name = np.empty(n, dtype=object)
    for c in range(3):
        idx = np.flatnonzero(country == c)
        name[idx] = np.array(STREET_NAMES[c], dtype=object)[rng.integers(0, len(STREET_NAMES[c]), idx.size)]
    df = pl.DataFrame(
        {
            "c": country,
            "name": name.astype(str),
            "num": rng.integers(1, 160, n),
            "flat": rng.integers(1, 40, n),
            "u": rng.random(n),
        }
    )
    num = pl.col("num").cast(pl.String)
    flat = pl.col("flat").cast(pl.String)
    fr = pl.concat_str(
        [
            num,
            pl.when(pl.col("u") < 0.05).then(pl.lit(" bis")).otherwise(pl.lit("")),
            pl.lit(" "),
            pl.col("name"),
        ]
    )
    pl_ = pl.concat_str(
        [pl.col("name"), pl.lit(" "), num, pl.when(pl.col("u") < 0.45).then("/" + flat).otherwise(pl.lit(""))]
    )
    gb = pl.concat_str(
        [
            pl.when(pl.col("u") < 0.10).then("Flat " + flat + ", ").otherwise(pl.lit("")),
            num,
            pl.lit(" "),
            pl.col("name"),
        ]
    )
    out = df.select(
        pl.when(pl.col("c") == 0).then(fr).when(pl.col("c") == 1).then(pl_).otherwise(gb)
    ).to_series()
    return out.to_numpy()


def _emails(
    rng: np.random.Generator, first: pl.Series, last: pl.Series, birth_year: np.ndarray, country: np.ndarray
) -> np.ndarray:
    n = country.size
    domain = np.empty(n, dtype=object)
    for c in range(3):
        idx = np.flatnonzero(country == c)
        names = np.array([d for d, _ in EMAIL_DOMAINS[c]], dtype=object)
        w = np.array([w for _, w in EMAIL_DOMAINS[c]], dtype=float)
        domain[idx] = names[rng.choice(names.size, size=idx.size, p=w / w.sum())]
    df = pl.DataFrame(
        {
            "f": first,
            "l": last,
            "y": birth_year,
            "nn": rng.integers(1, 100, n),
            "pat": rng.choice(8, size=n, p=[0.30, 0.10, 0.10, 0.15, 0.10, 0.05, 0.10, 0.10]),
            "dom": domain.astype(str),
        }
    ).with_columns(
        f=ascii_fold(pl.col("f")).str.to_lowercase().str.replace_all(r"[^a-z]", ""),
        l=ascii_fold(pl.col("l")).str.to_lowercase().str.replace_all(r"[^a-z]", ""),
    )
    f, lst, nn = pl.col("f"), pl.col("l"), pl.col("nn").cast(pl.String)
    local = (
        pl.when(pl.col("pat") == 0).then(f + "." + lst)
        .when(pl.col("pat") == 1).then(f + lst)
        .when(pl.col("pat") == 2).then(f.str.slice(0, 1) + "." + lst)
        .when(pl.col("pat") == 3).then(f + "." + lst + nn)
        .when(pl.col("pat") == 4).then(f + pl.col("y").cast(pl.String))
        .when(pl.col("pat") == 5).then(lst + "." + f)
        .when(pl.col("pat") == 6).then(f + "_" + lst)
        .otherwise(f.str.slice(0, 1) + lst + nn)
    )  # fmt: skip
    email = df.select(pl.concat_str([local, pl.lit("@"), pl.col("dom")])).to_series()
    # Two persons never share an address: later homonyms get a number appended.
    for round_ in range(5):
        dup = (email.is_duplicated() & ~email.is_first_distinct()).to_numpy()
        if not dup.any():
            break
        pos = np.flatnonzero(dup)
        parts = email[pos].str.split_exact("@", 1).struct.unnest()
        bump = pl.Series((pos * 31 + round_ * 7) % 997 + 3).cast(pl.String)
        email = email.scatter(pos, parts["field_0"] + bump + "@" + parts["field_1"])
    return email.to_numpy()


def build_persons(
    seed: int, country: np.ndarray, cal: Calendar, stores: Stores
) -> tuple[pl.DataFrame, np.ndarray]:
    """Persons table and their department preference matrix [person, department]."""
    rng = stream(seed, 3, 1)
    n = country.size
    female = rng.random(n) < 0.52
    first, last = _names(rng, country, female)
    last_s = pl.Series(last.astype(str))
    is_pl_f = pl.Series(female & (country == 1))
    last_s = pl.select(
        pl.when(is_pl_f & last_s.str.ends_with("ski")).then(last_s.str.strip_suffix("ski") + "ska")
        .when(is_pl_f & last_s.str.ends_with("cki")).then(last_s.str.strip_suffix("cki") + "cka")
        .otherwise(last_s)
    ).to_series()  # fmt: skip
    first_s = pl.Series(first.astype(str))

    end_day = cal.start_epoch_day + cal.days - 1
    age = np.clip(rng.normal(47, 15, n), 18, 85)
    birth = (end_day - age * 365.25).astype(np.int64)
    birth_year = 1970 + np.floor(birth / 365.2425).astype(int)

    # Home store: bigger stores draw more people; most live in their store's city.
    home = np.empty(n, dtype=np.int32)
    for c in range(3):
        idx = np.flatnonzero(country == c)
        cand = stores.of_country(c)
        w = stores.surface[cand].astype(float)
        home[idx] = cand[rng.choice(cand.size, size=idx.size, p=w / w.sum())]
    n_cities = np.array([len(x) for x in CITIES])
    city = np.where(rng.random(n) < 0.75, stores.city[home], rng.integers(0, 10**6, n) % n_cities[country])

    channel = rng.choice(len(cfg.CHANNELS), size=n, p=cfg.CHANNEL_SHARE)
    profile = (rng.random(n)[:, None] > np.cumsum(cfg.PROFILE_BY_CHANNEL[channel], axis=1)).sum(axis=1)
    profile = np.minimum(profile, 3)

    # Acquisition: 45 % in the first year, 40 % the second, 15 % the last; seasonal within.
    third = np.minimum(np.arange(cal.days) * 3 // cal.days, 2)
    p_day = (
        np.array([0.45, 0.40, 0.15])[third] / np.bincount(third)[third] * cfg.MONTH_TRAFFIC[cal.month_index()]
    )
    acq_day = rng.choice(cal.days, size=n, p=p_day / p_day.sum())

    # Web share: store-only, web-only and a mixed majority, tilted by the acquisition channel.
    tilt = cfg.CHANNEL_WEB_TILT[channel]
    u = rng.random(n)
    mixed = np.clip(rng.beta(1.3, 3.5, n) + tilt, 0.02, 0.98)
    web_share = np.where(
        u < 0.30 * (1 - 1.5 * tilt), 0.0, np.where(u > 1 - 0.08 * (1 + 3 * tilt), 1.0, mixed)
    )

    engagement = np.clip(rng.beta(2.0, 2.5, n) + np.array([0.12, 0.04, -0.04, -0.08])[profile], 0.01, 0.99)
    premium = rng.beta(2.0, 3.5, n)
    homeowner = rng.random(n) < np.clip(0.15 + (age - 25) * 0.015, 0.1, 0.8)
    conc = np.exp(rng.normal(np.log(6.0), 0.7, n))
    alpha = DEPT_POPULARITY[None, :] * conc[:, None]
    alpha[:, GARDEN] *= np.where(homeowner, 1.5, 0.6)
    pref = rng.gamma(alpha) + 1e-9
    pref = (pref / pref.sum(axis=1, keepdims=True)).astype(np.float32)
    rate = cfg.VISITS_PER_MONTH[profile] / 30.44 * rng.gamma(2.0, 0.5, n)

    churn_day, drift_day = _churn(rng, cal, profile, web_share, conc, engagement, acq_day)
    moments = _moments(rng, cal, profile, age, homeowner, acq_day, churn_day)

    # Movers get a new address from the moving date (half stay in the same city), some a new store.
    mv = moments["moving_day"] >= 0
    new_city = np.where(rng.random(n) < 0.5, city, rng.integers(0, 10**6, n) % n_cities[country])
    new_home = home.copy()
    switch = mv & (rng.random(n) < 0.4)
    for c in range(3):
        idx = np.flatnonzero(switch & (country == c))
        cand = stores.of_country(c)
        new_home[idx] = cand[rng.integers(0, cand.size, idx.size)]

    persons = pl.DataFrame(
        {
            "pid": np.arange(n, dtype=np.int32),
            "country": country,
            "female": female,
            "first_name": first_s,
            "last_name": last_s,
            "birth_day": birth,
            "email": _emails(rng, first_s, last_s, birth_year, country),
            "phone_nsn": _unique_digits(rng, country),
            "street": _streets(rng, country),
            "postcode": _postcodes(rng, country, city),
            "city": _city_names(country, city),
            "home_store": home,
            "homeowner": homeowner,
            "channel": channel.astype(np.int8),
            "acq_day": acq_day.astype(np.int32),
            "profile": profile.astype(np.int8),
            "web_share": web_share,
            "engagement": engagement,
            "premium": premium,
            "conc": conc,
            "rate": rate,
            "churn_day": churn_day,
            "drift_day": drift_day,
            **moments,
            "new_street": _streets(rng, country),
            "new_postcode": _postcodes(rng, country, new_city),
            "new_city": _city_names(country, new_city),
            "new_home_store": new_home,
        }
    )
    return persons, pref


def _city_names(country: np.ndarray, city: np.ndarray) -> np.ndarray:
    out = np.empty(country.size, dtype=object)
    for c in range(3):
        idx = np.flatnonzero(country == c)
        out[idx] = np.array([name for name, _ in CITIES[c]], dtype=object)[city[idx]]
    return out.astype(str)


def _churn(
    rng: np.random.Generator,
    cal: Calendar,
    profile: np.ndarray,
    web_share: np.ndarray,
    conc: np.ndarray,
    engagement: np.ndarray,
    acq_day: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Churn date and start of the pre-churn drift; the odds depend on observable behaviour."""
    n = profile.size
    end = cal.days - 1
    eligible = (profile != cfg.ONE_SHOT) & (acq_day + 150 < end)
    logit = (
        cfg.CHURN_PROFILE_LOGIT[profile]
        + cfg.CHURN_WEB_ONLY_LOGIT * (web_share >= 1.0)
        - cfg.CHURN_FEW_DEPTS_LOGIT * np.log(conc / 6.0)  # few departments -> more likely to leave
        - cfg.CHURN_ENGAGEMENT_LOGIT * (engagement - 0.45)
    )
    target = cfg.CHURN_TARGET * (profile != cfg.ONE_SHOT).sum() / max(eligible.sum(), 1)
    lo, hi = -10.0, 10.0
    for _ in range(50):  # bisection on the intercept to hit the target share
        mid = (lo + hi) / 2
        p = 1 / (1 + np.exp(-(logit[eligible] + mid)))
        lo, hi = (mid, hi) if p.mean() < target else (lo, mid)
    p = 1 / (1 + np.exp(-(logit + lo)))
    churns = eligible & (rng.random(n) < p)
    # 70 % of churn dates in the last 18 months, so churn is observable in recent data.
    first = acq_day + 120
    recent_lo = np.maximum(first, end - 548)
    lo_day = np.where(rng.random(n) < 0.7, recent_lo, first)
    churn = lo_day + np.floor(rng.random(n) * (end - lo_day)).astype(np.int64)
    churn_day = np.where(churns, churn, NONE).astype(np.int32)
    drift_len = rng.integers(cfg.DRIFT_DAYS[0], cfg.DRIFT_DAYS[1] + 1, n)
    drift_day = np.where(churns, np.maximum(churn_day - drift_len, acq_day + 1), NONE).astype(np.int32)
    return churn_day, drift_day


def _moments(
    rng: np.random.Generator,
    cal: Calendar,
    profile: np.ndarray,
    age: np.ndarray,
    homeowner: np.ndarray,
    acq_day: np.ndarray,
    churn_day: np.ndarray,
) -> dict[str, np.ndarray]:
    """Date, lead-in and after-window length of each life moment (-1 when the person has none)."""
    n = profile.size
    spring = np.isin(cal.month_index(), [2, 3, 4, 5])
    weights = (
        np.exp(-0.5 * ((age - 35) / 8) ** 2) + 0.1,  # moving: 25-45
        np.where(homeowner, 1.0, 0.25) * (np.exp(-0.5 * ((age - 50) / 10) ** 2) + 0.1),  # renovation
        np.where(homeowner, 1.0, 0.3),  # new garden
    )
    # Active until churn (leaving time for the drift) or the end of the history.
    active_end = np.where(churn_day >= 0, churn_day - 120, cal.days)
    out: dict[str, np.ndarray] = {}
    for k, name in enumerate(("moving", "renovation", "garden")):
        lead = rng.integers(cfg.LEAD_DAYS[0], cfg.LEAD_DAYS[1] + 1, n)
        after = rng.integers(cfg.AFTER_DAYS[0], cfg.AFTER_DAYS[1] + 1, n)
        lo = acq_day + lead
        eligible = (profile != cfg.ONE_SHOT) & (active_end - lo > 14)
        w = np.where(eligible, weights[k], 0.0)
        p = np.minimum(cfg.MOMENT_SHARE[k] * n * w / max(w.sum(), 1e-9), 0.9)
        has = rng.random(n) < p
        day = lo + np.floor(rng.random(n) * (active_end - lo)).astype(np.int64)
        if k == 2:  # new gardens start in spring: redraw until the date falls in March-June
            for _ in range(12):
                bad = has & ~spring[np.clip(day, 0, cal.days - 1)]
                if not bad.any():
                    break
                day = np.where(bad, lo + np.floor(rng.random(n) * (active_end - lo)).astype(np.int64), day)
        day = np.minimum(day, cal.days - 1)
        out[f"{name}_day"] = np.where(has, day, NONE).astype(np.int32)
        out[f"{name}_lead"] = np.where(has, lead, 0).astype(np.int32)
        out[f"{name}_after"] = np.where(has, after, 0).astype(np.int32)
    return out
