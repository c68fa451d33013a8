"""Web analytics sessions: who visits the web shop, when, on which device, arriving from where.

One row per visit (session) of persons, of prospects who never buy and of bots, kept numeric until
web_events.py expands the sessions into events and writes the daily export. A person browses at a
rate set by their web share and visit rate, three times as often in a life moment's lead-in (and
then mostly in the moment's departments), less while sliding towards churn, never after churning;
they research a product days before buying it (in store or online), every web order has its own
session (cart, login with the order's account, checkout), and every click in a campaign e-mail
opens a session whose UTM carries the campaign code. Devices: 1-3 per person, each with a cookie
that is renewed now and then (cookie resets); a few pairs of persons share a home computer.

Random draws come from PCG64 streams keyed by (seed, 70.., chunk); per-device attributes (cookie
lifetime, browser) from a hash of (seed, person, device), so a shared computer's cookie is the same
whichever person's chunk uses it.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from platform_assets.demo import config as cfg
from platform_assets.demo.behaviour import (
    N_DEPTS,
    Chunk,
    Tables,
    chunk_inputs,
    moment_windows,
)
from platform_assets.demo.catalog import DEPT_POPULARITY, GARDEN, MOMENT_AFTER_DEPTS, Catalog
from platform_assets.demo.identities import Identities
from platform_assets.demo.reference import (
    USER_AGENTS_BOT,
    USER_AGENTS_DESKTOP,
    USER_AGENTS_MOBILE,
    USER_AGENTS_TABLET,
)
from platform_assets.demo.timeline import DAY, Calendar, draw_sod, stream
from platform_assets.demo.writers import hex_ids

BROWSE, RESEARCH, ORDER, CLICK, PROSPECT, BOT = range(6)
MEDIUMS = ("cpc", "social", "email", "referral", "display")  # utm_medium; -1 = direct (no UTM)
CPC, SOCIAL, EMAIL, REFERRAL, DISPLAY = range(5)
ARRIVAL_MEDIUM = np.array([-1, CPC, SOCIAL, REFERRAL, DISPLAY])  # index of cfg.WEB_ARRIVAL_P
# utm_source per medium with its share; utm_campaign of paid media: <prefix>-<country>-<yyyymm>
SOURCES = (
    (CPC, "google", 0.85),
    (CPC, "bing", 0.15),
    (SOCIAL, "facebook", 0.50),
    (SOCIAL, "instagram", 0.35),
    (SOCIAL, "pinterest", 0.15),
    (EMAIL, "newsletter", 1.0),
    (REFERRAL, "houzz", 0.50),
    (REFERRAL, "idealo", 0.30),
    (REFERRAL, "diy_blog", 0.20),
    (DISPLAY, "criteo", 0.60),
    (DISPLAY, "google_display", 0.40),
)
NEWSLETTER = [s[1] for s in SOURCES].index("newsletter")  # utm_source of e-mail links
CAMPAIGN_PREFIX = ("PSR", "SOC", "", "REF", "DSP")  # as the marketing acquisitions' campaign codes
# Arrival multipliers by acquisition channel (cfg.CHANNELS) over (direct, cpc, social, referral, display).
CHANNEL_ARRIVAL_TILT = np.array(
    [
        [1.0, 2.5, 1.0, 1.0, 1.0],  # paid_search
        [1.0, 1.0, 2.5, 1.0, 1.0],  # social
        [1.0, 1.0, 1.0, 1.0, 2.5],  # display
        [1.0, 1.0, 1.0, 2.0, 1.0],  # affiliate
        [1.3, 1.0, 1.0, 1.0, 1.0],  # print_flyer
        [1.5, 1.0, 1.0, 1.0, 1.0],  # organic_search (search engine results carry no UTM)
        [1.3, 1.0, 1.0, 1.0, 1.0],  # store_walk_in
        [1.0, 1.0, 1.0, 2.0, 1.0],  # referral
    ]
)
DESKTOP, MOBILE, TABLET = range(3)
DEVICE_TYPE_P = np.array([[0.55, 0.45, 0.0], [0.15, 0.70, 0.15], [0.25, 0.25, 0.50]])  # [device no, type]
USER_AGENTS = USER_AGENTS_DESKTOP + USER_AGENTS_MOBILE + USER_AGENTS_TABLET + USER_AGENTS_BOT
UA_FIRST = np.cumsum([0, len(USER_AGENTS_DESKTOP), len(USER_AGENTS_MOBILE), len(USER_AGENTS_TABLET)])
UA_COUNT = np.array([len(USER_AGENTS_DESKTOP), len(USER_AGENTS_MOBILE), len(USER_AGENTS_TABLET)])
# First octet of IPv4 addresses: home broadband and mobile carriers per business unit, data centres.
IP_HOME = np.array([[82, 90, 86, 109], [83, 89, 178, 188], [81, 86, 92, 151]])
IP_MOBILE = np.array([[37, 176], [46, 31], [31, 85]])
IP_DATACENTRE = np.array([3, 34, 35, 52, 54, 157])
# Cookie keys: tag (person / prospect / bot) | owner index | device | cookie generation.
PERSON_TAG, PROSPECT_TAG, BOT_TAG = 1, 2, 3
_M1, _M2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)


def mix64(x: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser: a bijection of uint64, so distinct keys give distinct ids."""
    x = np.asarray(x).astype(np.uint64)  # a copy
    with np.errstate(over="ignore"):
        x ^= x >> np.uint64(30)
        x *= _M1
        x ^= x >> np.uint64(27)
        x *= _M2
        x ^= x >> np.uint64(31)
    return x


def salt(seed: int, purpose: int) -> np.uint64:
    return mix64(np.array([seed * 1_000 + purpose], dtype=np.uint64))[0]


def unit(h: np.ndarray) -> np.ndarray:
    """uint64 hash -> uniform [0, 1)."""
    return (h >> np.uint64(11)).astype(np.float64) / 2.0**53


def cookie_key(tag: int, owner: np.ndarray, device: np.ndarray, generation: np.ndarray) -> np.ndarray:
    return (
        (np.uint64(tag) << np.uint64(60))
        | (owner.astype(np.uint64) << np.uint64(20))
        | (device.astype(np.uint64) << np.uint64(16))
        | generation.astype(np.uint64)
    )


def window_start(cal: Calendar) -> int:
    """Day index of the export's first day: the first of the month cfg.WEB_MONTHS - 1 months back."""
    months = cal.end.year * 12 + cal.end.month - 1 - (cfg.WEB_MONTHS - 1)
    return max(cal.day_of(date(months // 12, months % 12 + 1, 1)), 0)


def end_second(cal: Calendar) -> int:
    """Last second of the history (UTC)."""
    return int(cal.epoch_seconds(cal.days - 1, DAY - 1))


def purchases(v: pl.DataFrame, lines: pl.DataFrame, first_day: int) -> pl.DataFrame:
    """A behaviour chunk's receipts and web orders in the export window, with their first SKU."""
    sales = v.filter(~pl.col("is_return") & (pl.col("day") >= first_day))
    first = lines.filter(~pl.col("is_return") & (pl.col("line_no") == 1)).select("vkey", "sku")
    return sales.select("vkey", "pid", "day", "sod", "web", "account_no").join(
        first, on="vkey", how="inner", maintain_order="left"
    )


def email_clicks(events: pl.DataFrame, subscribers: pl.DataFrame) -> pl.DataFrame:
    """Clicks of the e-mail tool (emailing.build_events) as (pid, sec, camp): each opens a session."""
    clicks = events.filter(pl.col("type") == 3)
    return pl.DataFrame(
        {
            "pid": subscribers["pid"].gather(clicks["sub"]).cast(pl.Int32),
            "sec": clicks["sec"],
            "camp": clicks["camp"].cast(pl.Int16),
        }
    )


# --- Devices and cookies ------------------------------------------------------------------------


def _device_hash(seed: int, tag: int, owner: np.ndarray, device: np.ndarray) -> np.ndarray:
    return mix64(cookie_key(tag, owner, device, np.zeros(owner.size, np.uint64)) ^ salt(seed, 1))


def device_count(seed: int, pid: np.ndarray) -> np.ndarray:
    u = unit(mix64(pid.astype(np.uint64) ^ salt(seed, 2)))
    return 1 + (u[:, None] > np.cumsum(cfg.WEB_DEVICES_P)[None, :-1]).sum(axis=1)


def person_cookies(
    seed: int, owner: np.ndarray, device: np.ndarray, day: np.ndarray, desktop_first: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Cookie key and device type of a person's device on a day: the cookie is renewed every
    lifetime days (30-400, per device), from a per-device phase."""
    h = _device_hash(seed, PERSON_TAG, owner, device)
    life_cdf = np.cumsum(cfg.WEB_COOKIE_DAYS_P)
    lifetime = cfg.WEB_COOKIE_DAYS[np.minimum((unit(h)[:, None] > life_cdf[None, :-1]).sum(axis=1), 3)]
    h2 = mix64(h)
    phase = (h2 % lifetime.astype(np.uint64)).astype(np.int64)
    generation = (day + phase) // lifetime
    u = unit(mix64(h2))
    dtype = (u[:, None] > np.cumsum(DEVICE_TYPE_P[device], axis=1)[:, :-1]).sum(axis=1)
    dtype = np.where(desktop_first & (device == 0), DESKTOP, dtype)  # the shared home computer
    return cookie_key(PERSON_TAG, owner, device, generation), dtype


def user_agent(seed: int, cookie: np.ndarray, dtype: np.ndarray) -> np.ndarray:
    """Index in USER_AGENTS of the browser of a device type, stable per cookie."""
    h = mix64(cookie ^ salt(seed, 3))
    return (UA_FIRST[dtype] + (h % UA_COUNT[dtype].astype(np.uint64)).astype(np.int64)).astype(np.int16)


def ip_address(
    seed: int, country: np.ndarray, home_key: np.ndarray, mobile_key: np.ndarray, dtype: np.ndarray
) -> np.ndarray:
    """IPv4 as uint32: the home connection (per home) for computers, a carrier's for phones."""
    hh = mix64(home_key.astype(np.uint64) ^ salt(seed, 4))
    hm = mix64(mobile_key.astype(np.uint64) ^ salt(seed, 5))
    home = IP_HOME[country, (hh >> np.uint64(40)) % np.uint64(4)].astype(np.uint64)
    mobile = IP_MOBILE[country, (hm >> np.uint64(40)) % np.uint64(2)].astype(np.uint64)
    low = np.where(dtype == MOBILE, hm, hh) & np.uint64(0xFFFFFF)
    return ((np.where(dtype == MOBILE, mobile, home) << np.uint64(24)) | low).astype(np.uint32)


# --- Shared devices -----------------------------------------------------------------------------


def shared_pairs(seed: int, country: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of persons of one business unit sharing a home computer: for each person, the owner of
    the computer they also use (-1 if none), and whether they own a shared computer."""
    rng = stream(seed, 71)
    n = country.size
    uses = np.full(n, -1, dtype=np.int64)
    owns = np.zeros(n, dtype=bool)
    for c in range(3):
        idx = rng.permutation(np.flatnonzero(country == c))
        half = idx.size // 2
        owner, second = idx[:half], idx[half : 2 * half]
        pick = rng.random(half) < cfg.WEB_SHARED_PAIR_P
        uses[second[pick]] = owner[pick]
        owns[owner[pick]] = True
    return uses, owns


# --- Departments and categories -----------------------------------------------------------------


def boost_tables(t: Tables) -> tuple[np.ndarray, np.ndarray]:
    """[context, department] weight multipliers: context 0 none, k + 1 the lead-in (or the time
    after) of moment k. A lead-in lifts the moment's signal departments and those bought after it."""
    lead = np.ones((4, N_DEPTS))
    after = np.ones((4, N_DEPTS))
    for k in range(3):
        lead[k + 1, t.lead_depts[k]] = cfg.WEB_LEAD_SIGNAL_BOOST
        lead[k + 1, list(MOMENT_AFTER_DEPTS[k])] = cfg.WEB_LEAD_DEPT_BOOST
        after[k + 1, list(MOMENT_AFTER_DEPTS[k])] = cfg.WEB_AFTER_DEPT_BOOST
    return lead, after


def draw_depts(
    rng: np.random.Generator, t: Tables, w: np.ndarray, day: np.ndarray, lead: np.ndarray, after: np.ndarray
) -> np.ndarray:
    """Department of each row from interest weights w [row, dept], the garden season and moments."""
    lead_boost, after_boost = boost_tables(t)
    w = w.astype(np.float64) * lead_boost[lead] * after_boost[after]
    w[:, GARDEN] *= cfg.GARDEN_SEASON[t.month[day]]
    cdf = np.cumsum(w, axis=1)
    return (cdf < (rng.random(day.size) * cdf[:, -1])[:, None]).sum(axis=1).clip(0, N_DEPTS - 1)


def draw_cats(rng: np.random.Generator, t: Tables, dept: np.ndarray, lead: np.ndarray) -> np.ndarray:
    """Category within the department; a lead-in tilts to the moment's signal categories."""
    slot = (t.cat_cdf[lead, dept] < rng.random(dept.size)[:, None]).sum(axis=1)
    return t.cat_index[dept, np.minimum(slot, t.cat_index.shape[1] - 1)]


def _context(windows: np.ndarray) -> np.ndarray:
    """[row, 3] moment windows -> 0 (none) or k + 1 (first moment whose window holds the row)."""
    return np.where(windows[:, 0], 1, np.where(windows[:, 1], 2, np.where(windows[:, 2], 3, 0))).astype(
        np.int8
    )


def _arrival(rng: np.random.Generator, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """utm medium (-1 direct) and source index from per-row arrival probabilities [row, 5]."""
    cdf = np.cumsum(p / p.sum(axis=1, keepdims=True), axis=1)
    medium = ARRIVAL_MEDIUM[np.minimum((cdf < rng.random(p.shape[0])[:, None]).sum(axis=1), 4)]
    return medium.astype(np.int8), draw_source(rng, medium)


def draw_source(rng: np.random.Generator, medium: np.ndarray) -> np.ndarray:
    source = np.full(medium.size, -1, dtype=np.int8)
    u = rng.random(medium.size)
    for m in range(len(MEDIUMS)):
        rows = np.flatnonzero(medium == m)
        idx = np.array([i for i, s in enumerate(SOURCES) if s[0] == m])
        w = np.array([SOURCES[i][2] for i in idx])
        cdf = np.cumsum(w) / w.sum()
        source[rows] = idx[np.minimum((cdf[None, :] < u[rows, None]).sum(axis=1), idx.size - 1)]
    return source


def _pages(rng: np.random.Generator, n: int, mean: float) -> np.ndarray:
    return rng.geometric(1.0 / mean, n).astype(np.int16)


# --- Sessions -----------------------------------------------------------------------------------

SESSION_SCHEMA = {
    "pid": pl.Int32,  # the person browsing (-1 prospect or bot)
    "owner": pl.Int32,  # owner of the device (the other person on a shared computer)
    "cookie": pl.UInt64,
    "sec": pl.Int64,  # UTC start
    "day": pl.Int32,  # UTC day index of the start
    "country": pl.Int8,
    "kind": pl.Int8,
    "medium": pl.Int8,
    "source": pl.Int8,
    "camp": pl.Int16,  # e-mail campaign index (emailing.campaigns) or -1
    "dept": pl.Int8,  # focus department and category of the visit
    "cat": pl.Int16,
    "sku": pl.Int32,  # the product researched or ordered, -1
    "account": pl.Int64,  # account logged in with, -1
    "login_slot": pl.Int16,  # page position turned into a login (0 none)
    "tail": pl.Int8,  # 0 none, 1 guest checkout, 2 checkout with login
    "n_body": pl.Int16,  # pages between session_start and the checkout tail
    "lead": pl.Int8,  # moment lead-in context 0..3
    "after": pl.Int8,
    "premium": pl.Float32,
    "ua": pl.Int16,
    "ip": pl.UInt32,
}


def person_sessions(
    seed: int,
    chunk_no: int,
    c: Chunk,
    channel: np.ndarray,
    buys: pl.DataFrame,
    clicks: pl.DataFrame,
    uses: np.ndarray,
    owns: np.ndarray,
    moving_day: np.ndarray,
    t: Tables,
    cal: Calendar,
    catalog: Catalog,
) -> pl.DataFrame:
    """Sessions of one chunk of persons: browsing, research before purchases, web orders, e-mail clicks."""
    rng = stream(seed, 70, chunk_no)
    n, p0 = c.pid.size, int(c.pid[0]) if c.pid.size else 0
    first_day, end_sec = window_start(cal), end_second(cal)

    # Browsing: an inhomogeneous Poisson process thinned like store visits (behaviour.simulate_visits).
    lo = np.maximum(first_day, c.acq_day - cfg.WEB_PRE_ACQUISITION_DAYS)
    span = np.maximum(c.end_day - lo, 0)
    ws = c.web_share
    rate = (
        cfg.WEB_BROWSE_SESSIONS_PER_YEAR
        / 365.25
        * ((0.15 + 0.85 * ws) / 0.575) ** 0.8
        * np.sqrt((0.3 * cfg.WEB_REF_RATE + c.rate) / (1.3 * cfg.WEB_REF_RATE))
        * rng.lognormal(-0.125, 0.5, n)
    )
    mult_max = max(cfg.WEB_LEAD_SESSION_MULT, cfg.WEB_AFTER_SESSION_MULT)
    ceiling = cfg.MONTH_TRAFFIC.max() * cfg.WEB_DOW.max() * mult_max ** (c.moment_day >= 0).sum(axis=1)
    who = np.repeat(np.arange(n), rng.poisson(rate * ceiling * span))
    day = lo[who] + np.floor(rng.random(who.size) * span[who]).astype(np.int64)
    lead, after, drift = moment_windows(c, who, day)
    mult = t.traffic[day] * cfg.WEB_DOW[t.weekday[day]]
    mult *= np.prod(np.where(lead, cfg.WEB_LEAD_SESSION_MULT, 1.0), axis=1)
    mult *= np.prod(np.where(after, cfg.WEB_AFTER_SESSION_MULT, 1.0), axis=1)
    mult *= np.where(drift, cfg.WEB_DRIFT_SESSION_MULT, 1.0)
    keep = rng.random(who.size) < mult / ceiling[who]
    who, day = who[keep], day[keep]
    sec = cal.to_utc(c.country[who], day, draw_sod(rng, np.ones(who.size, bool)))
    kind = np.full(who.size, BROWSE, dtype=np.int8)
    sku = np.full(who.size, -1, dtype=np.int64)
    account = np.full(who.size, -1, dtype=np.int64)
    camp = np.full(who.size, -1, dtype=np.int16)

    # Research days before a purchase (more for web-minded persons), and each web order's session.
    b_who = buys["pid"].to_numpy().astype(np.int64) - p0
    b_day = buys["day"].to_numpy().astype(np.int64)
    b_web = buys["web"].to_numpy()
    b_sku = buys["sku"].to_numpy().astype(np.int64)
    p_research = np.where(b_web, cfg.WEB_RESEARCH_P_WEB, cfg.WEB_RESEARCH_P_STORE + 0.5 * ws[b_who])
    gap = rng.geometric(0.3, b_who.size)  # days before the purchase, 1 or more
    r = np.flatnonzero((rng.random(b_who.size) < p_research) & (b_day - gap >= lo[b_who]))
    r_day = b_day[r] - gap[r]
    o = np.flatnonzero(b_web)
    o_sec = cal.to_utc(c.country[b_who[o]], b_day[o], buys["sod"].to_numpy()[o])
    r_sec = cal.to_utc(c.country[b_who[r]], r_day, draw_sod(rng, np.ones(r.size, bool)))

    c_who = clicks["pid"].to_numpy().astype(np.int64) - p0
    c_sec = clicks["sec"].to_numpy() + rng.integers(2, 30, c_who.size)

    who = np.r_[who, b_who[r], b_who[o], c_who]
    sec = np.r_[sec, r_sec, o_sec, c_sec]
    kind = np.r_[kind, np.full(r.size, RESEARCH), np.full(o.size, ORDER), np.full(c_who.size, CLICK)]
    sku = np.r_[sku, b_sku[r], b_sku[o], np.full(c_who.size, -1)]
    account = np.r_[account, np.full(r.size, -1), buys["account_no"].to_numpy()[o], np.full(c_who.size, -1)]
    camp = np.r_[camp, np.full(r.size + o.size, -1), clicks["camp"].to_numpy()]
    m = who.size
    order = kind == ORDER

    # Pages: an order session ends with the product, cart, login (account orders) and checkout.
    n_body = np.where(order, _pages(rng, m, 2.0) - 1, _pages(rng, m, cfg.WEB_PAGES_MEAN))
    tail = np.where(order, np.where(account >= 0, 2, 1), 0).astype(np.int8)
    length = 1 + n_body + np.array([0, 4, 5])[tail]
    sec = np.where(order, sec - 40 * length - rng.integers(0, 120, m), sec)  # checkout ~ order time
    day = sec // DAY - cal.start_epoch_day
    lead, after, _ = moment_windows(c, who, np.clip(day, 0, cal.days - 1))
    lead_ctx, after_ctx = _context(lead), _context(after)

    # Focus of the visit: the product researched or ordered, else the person's interests.
    has_sku = sku >= 0
    cat = np.where(has_sku, catalog.cat[np.maximum(sku, 0)], 0)
    dept = np.where(has_sku, t.cat_dept[cat], 0)
    free = np.flatnonzero(~has_sku)
    dept[free] = draw_depts(
        rng, t, c.pref[who[free]], np.clip(day[free], 0, cal.days - 1), lead_ctx[free], after_ctx[free]
    )
    cat[free] = draw_cats(rng, t, dept[free], lead_ctx[free])

    # Arrival: UTM of paid media, social, referrers (tilted by how the person was acquired); e-mail clicks.
    medium, source = _arrival(rng, cfg.WEB_ARRIVAL_P[None, :] * CHANNEL_ARRIVAL_TILT[channel[who]])
    is_click = kind == CLICK
    medium = np.where(is_click, EMAIL, medium).astype(np.int8)
    source = np.where(is_click, NEWSLETTER, source).astype(np.int8)

    # Device and cookie; the second person of a shared computer uses it for part of their visits.
    pid = c.pid[who].astype(np.int64)
    owner = uses[pid]
    on_shared = (owner >= 0) & (rng.random(m) < cfg.WEB_SHARED_USE_P)
    owner = np.where(on_shared, owner, pid)
    use_cdf = np.cumsum(cfg.WEB_DEVICE_USE)
    devices = device_count(seed, owner)
    device = np.searchsorted(use_cdf, rng.random(m) * use_cdf[devices - 1], side="right")
    device = np.where(on_shared, 0, np.minimum(device, devices - 1))
    cday = np.clip(day, 0, cal.days - 1)
    cookie, dtype = person_cookies(seed, owner, device, cday, owns[owner])
    moved = (moving_day[owner] >= 0) & (cday >= moving_day[owner])
    ip = ip_address(
        seed,
        c.country[who],
        owner * 2 + moved,
        cookie ^ cday.astype(np.uint64),
        dtype,
    )

    # Logins: persons with an account on that day, in part of their visits (always to check out).
    a1 = (c.account_from[who, 0] >= 0) & (cday >= c.account_from[who, 0])
    a2 = (c.account_from[who, 1] >= 0) & (cday >= c.account_from[who, 1])
    use2 = a2 & (~a1 | (rng.random(m) < 0.7))
    own_account = np.where(use2, c.account[who, 1], np.where(a1, c.account[who, 0], -1))
    login = ~order & (own_account >= 0) & (rng.random(m) < cfg.WEB_LOGIN_P)
    account = np.where(order, account, np.where(login, own_account, -1))
    login_slot = np.where(login, 1 + np.floor(rng.random(m) * np.minimum(n_body, 3)), 0)

    frame = pl.DataFrame(
        {
            "pid": pid,
            "owner": owner,
            "cookie": cookie,
            "sec": sec,
            "day": day,
            "country": c.country[who],
            "kind": kind,
            "medium": medium,
            "source": source,
            "camp": camp,
            "dept": dept,
            "cat": cat,
            "sku": sku,
            "account": account,
            "login_slot": login_slot,
            "tail": tail,
            "n_body": n_body,
            "lead": lead_ctx,
            "after": after_ctx,
            "premium": c.premium[who],
            "ua": user_agent(seed, cookie, dtype),
            "ip": ip,
        },
        schema=SESSION_SCHEMA,
    )
    return frame.filter((pl.col("day") >= first_day) & (pl.col("sec") <= end_sec))


def prospect_sessions(seed: int, customers: int, t: Tables, cal: Calendar) -> pl.DataFrame:
    """Visitors who never become customers: one cookie each, one to a few visits within a month."""
    rng = stream(seed, 72)
    first_day, end_sec = window_start(cal), end_second(cal)
    k = round(customers * cfg.WEB_PROSPECTS_PER_CUSTOMER)
    country = rng.choice(3, size=k, p=cfg.COUNTRY_SHARE)
    days = np.arange(first_day, cal.days)
    p_day = t.traffic[days] * cfg.WEB_DOW[t.weekday[days]]
    start = days[rng.choice(days.size, size=k, p=p_day / p_day.sum())] if days.size else np.zeros(k, int)
    visits = rng.geometric(0.6, k)
    who = np.repeat(np.arange(k), visits)
    later = np.arange(who.size) != np.searchsorted(who, who)  # all but each prospect's first visit
    day = np.minimum(start[who] + np.where(later, rng.integers(0, 30, who.size), 0), cal.days - 1)
    m = who.size
    country = country[who]
    sec = cal.to_utc(country, day, draw_sod(rng, np.ones(m, bool)))
    none = np.zeros(m, dtype=np.int8)
    dept = draw_depts(rng, t, np.broadcast_to(DEPT_POPULARITY, (m, N_DEPTS)), day, none, none)
    medium, source = _arrival(rng, np.broadcast_to(cfg.WEB_PROSPECT_ARRIVAL_P, (m, 5)))
    u = unit(mix64(who.astype(np.uint64) ^ salt(seed, 6)))
    dtype = np.where(u < 0.45, DESKTOP, np.where(u < 0.9, MOBILE, TABLET))
    cookie = cookie_key(PROSPECT_TAG, who, np.zeros(m, int), np.zeros(m, int))
    frame = pl.DataFrame(
        {
            "pid": np.full(m, -1),
            "owner": np.full(m, -1),
            "cookie": cookie,
            "sec": sec,
            "day": day,
            "country": country,
            "kind": np.full(m, PROSPECT),
            "medium": medium,
            "source": source,
            "camp": np.full(m, -1),
            "dept": dept,
            "cat": draw_cats(rng, t, dept, none),
            "sku": np.full(m, -1),
            "account": np.full(m, -1),
            "login_slot": np.zeros(m),
            "tail": none,
            "n_body": _pages(rng, m, 3.0),
            "lead": none,
            "after": none,
            "premium": np.full(m, 0.35),
            "ua": user_agent(seed, cookie, dtype),
            "ip": ip_address(seed, country, who, cookie ^ day.astype(np.uint64), dtype),
        },
        schema=SESSION_SCHEMA,
    )
    return frame.filter((pl.col("day") >= first_day) & (pl.col("sec") <= end_sec))


def bot_sessions(seed: int, customers: int, t: Tables, cal: Calendar) -> pl.DataFrame:
    """Crawlers and scrapers: one cookie each, thousands of page and product views over a few days,
    from data-centre addresses; half declare themselves in the user agent, half pose as a browser."""
    rng = stream(seed, 73)
    first_day, end_sec = window_start(cal), end_second(cal)
    b = max(cfg.WEB_MIN_BOTS, round(customers * cfg.WEB_BOTS_PER_CUSTOMER))
    total = rng.integers(*cfg.WEB_BOT_EVENTS, b)
    per_session = rng.integers(100, 400, b)
    active = rng.integers(1, 8, b)
    start = first_day + rng.integers(0, max(cal.days - first_day - 7, 1), b)
    country = rng.choice(3, size=b, p=cfg.COUNTRY_SHARE)
    declared = rng.random(b) < 0.5
    ua = np.where(
        declared,
        UA_FIRST[-1] + rng.integers(0, len(USER_AGENTS_BOT), b),
        rng.integers(0, len(USER_AGENTS_DESKTOP), b),
    )
    ip = (IP_DATACENTRE[rng.integers(0, IP_DATACENTRE.size, b)].astype(np.uint64) << np.uint64(24)) | (
        rng.integers(0, 2**24, b).astype(np.uint64)
    )
    who = np.repeat(np.arange(b), -(-total // per_session))
    m = who.size
    day = np.minimum(start[who] + rng.integers(0, active[who]), cal.days - 1)
    sec = cal.epoch_seconds(day, rng.integers(0, DAY - 1200, m))
    none = np.zeros(m, dtype=np.int8)
    dept = rng.integers(0, N_DEPTS, m)
    frame = pl.DataFrame(
        {
            "pid": np.full(m, -1),
            "owner": np.full(m, -1),
            "cookie": cookie_key(BOT_TAG, who, np.zeros(m, int), np.zeros(m, int)),
            "sec": sec,
            "day": day,
            "country": country[who],
            "kind": np.full(m, BOT),
            "medium": np.full(m, -1),
            "source": np.full(m, -1),
            "camp": np.full(m, -1),
            "dept": dept,
            "cat": draw_cats(rng, t, dept, none),
            "sku": np.full(m, -1),
            "account": np.full(m, -1),
            "login_slot": np.zeros(m),
            "tail": none,
            "n_body": per_session[who] - 1,
            "lead": none,
            "after": none,
            "premium": np.full(m, 0.5),
            "ua": ua[who],
            "ip": ip[who],
        },
        schema=SESSION_SCHEMA,
    )
    return frame.filter((pl.col("day") >= first_day) & (pl.col("sec") <= end_sec))


def build_sessions(
    seed: int,
    persons: pl.DataFrame,
    pref: np.ndarray,
    ids: Identities,
    cal: Calendar,
    t: Tables,
    catalog: Catalog,
    buys: list[pl.DataFrame],
    clicks: pl.DataFrame,
    chunk_persons: int,
) -> pl.DataFrame:
    """Every session of the export window, in start order; `skey` numbers them (the session id)."""
    n = persons.height
    uses, owns = shared_pairs(seed, persons["country"].to_numpy())
    moving_day = persons["moving_day"].to_numpy()
    channel = persons["channel"].to_numpy().astype(np.int64)
    click_pid = clicks["pid"].to_numpy()
    parts = []
    for k, lo in enumerate(range(0, n, chunk_persons)):
        hi = min(n, lo + chunk_persons)
        c = chunk_inputs(persons, pref, ids, cal, lo, hi)
        mine = clicks.filter(pl.Series((click_pid >= lo) & (click_pid < hi)))
        parts.append(
            person_sessions(
                seed, k, c, channel[lo:hi], buys[k], mine, uses, owns, moving_day, t, cal, catalog
            )
        )
    parts += [prospect_sessions(seed, n, t, cal), bot_sessions(seed, n, t, cal)]
    sessions = pl.concat(parts).sort("sec", "cookie", maintain_order=True)
    return sessions.with_columns(skey=pl.int_range(0, pl.len(), dtype=pl.Int64))


def cookie_truth(sessions: pl.DataFrame) -> pl.DataFrame:
    """cookie key -> the person using it (the device's owner if they used it), the second person
    of a shared computer, whether it is a bot."""
    per_cookie = sessions.group_by("cookie").agg(
        pl.col("owner").first(),
        pl.col("pid").unique().sort().alias("users"),
        (pl.col("kind") == BOT).any().alias("is_bot"),
    )
    owner_used = pl.col("users").list.contains(pl.col("owner"))
    others = pl.col("users").list.set_difference(pl.concat_list(pl.col("owner")))
    return per_cookie.select(
        "cookie",
        pl.when(pl.col("owner") < 0)
        .then(None)
        .when(owner_used)
        .then(pl.col("owner"))
        .otherwise(pl.col("users").list.first())
        .alias("pid"),
        pl.when(owner_used & (others.list.len() > 0)).then(others.list.first()).alias("shared_pid"),
        "is_bot",
    )


def cookie_ids(keys: np.ndarray, seed: int) -> np.ndarray:
    """The export's cookie_id of cookie keys: 'ck_' + 16 hex digits, distinct for distinct keys."""
    return np.char.add("ck_", hex_ids(mix64(keys.astype(np.uint64) ^ salt(seed, 7)), 16))
