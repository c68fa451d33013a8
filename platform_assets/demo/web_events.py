"""Web analytics export: sessions (web.py) expanded into events, one gzip NDJSON file per day.

A session is a session_start (with its UTM), then pages drawn from a small table (the landing page
depends on where the visitor came from), then, for a web order, the product, the cart, the login
with the order's account and the checkout. Pages stay mostly in the session's focus department;
a cart_add adds the product viewed last and a cart_remove removes the product added last. Sessions
are expanded month by month (a stream per month), so memory holds the sessions and one month of
events; files are written day by day, sorted by (event_at, session, position), ids in that order.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import numpy as np
import polars as pl

from platform_assets.demo import config as cfg
from platform_assets.demo import noise
from platform_assets.demo.behaviour import N_DEPTS, Tables
from platform_assets.demo.catalog import DEPARTMENTS, DEPT_POPULARITY, Catalog, category_table
from platform_assets.demo.timeline import DAY, Calendar, stream
from platform_assets.demo.web import (
    BOT,
    CAMPAIGN_PREFIX,
    EMAIL,
    MEDIUMS,
    RESEARCH,
    SOURCES,
    USER_AGENTS,
    cookie_ids,
    draw_cats,
    draw_depts,
    end_second,
    mix64,
    salt,
    window_start,
)
from platform_assets.demo.writers import hex_ids, padded, ts_utc

EVENT_TYPES = ("session_start", "page_view", "product_view", "search", "cart_add", "cart_remove", "login")
START, PAGE_VIEW, PRODUCT_VIEW, SEARCH, CART_ADD, CART_REMOVE, LOGIN = range(7)
PAGE_TYPES = ("home", "category", "product", "search", "cart", "checkout", "account")
HOME, CATEGORY, PRODUCT, SEARCH_PAGE, CART, CHECKOUT, ACCOUNT = range(7)
# Pages (event type, page type) and their probabilities: inside a visit, on landing by arrival
# (direct, cpc, social, email, referral, display), and for bots.
OUTCOMES = np.array(
    [
        (PAGE_VIEW, HOME),
        (PAGE_VIEW, CATEGORY),
        (PRODUCT_VIEW, PRODUCT),
        (SEARCH, SEARCH_PAGE),
        (CART_ADD, PRODUCT),
        (CART_REMOVE, CART),
        (PAGE_VIEW, CART),
        (PAGE_VIEW, ACCOUNT),
    ]
)
OUTCOME_P = np.array(
    [
        [0.05, 0.24, 0.42, 0.10, 0.10, 0.02, 0.05, 0.02],  # inside a visit
        [0.50, 0.15, 0.20, 0.15, 0.00, 0.00, 0.00, 0.00],  # landing: direct
        [0.05, 0.35, 0.55, 0.05, 0.00, 0.00, 0.00, 0.00],  # cpc
        [0.10, 0.30, 0.60, 0.00, 0.00, 0.00, 0.00, 0.00],  # social
        [0.10, 0.60, 0.30, 0.00, 0.00, 0.00, 0.00, 0.00],  # email
        [0.10, 0.30, 0.60, 0.00, 0.00, 0.00, 0.00, 0.00],  # referral
        [0.10, 0.20, 0.70, 0.00, 0.00, 0.00, 0.00, 0.00],  # display
        [0.02, 0.30, 0.60, 0.08, 0.00, 0.00, 0.00, 0.00],  # bots
    ]
)
OUTCOME_CDF = np.cumsum(OUTCOME_P / OUTCOME_P.sum(axis=1, keepdims=True), axis=1)
BOT_GROUP = 7
# Checkout tails (web.SESSION_SCHEMA tail 1 guest, 2 with login): product, cart add, cart, (login,) checkout.
TAIL_TYPE = np.array(
    [
        [PAGE_VIEW] * 5,
        [PRODUCT_VIEW, CART_ADD, PAGE_VIEW, PAGE_VIEW, PAGE_VIEW],
        [PRODUCT_VIEW, CART_ADD, PAGE_VIEW, LOGIN, PAGE_VIEW],
    ]
)
TAIL_PAGE = np.array(
    [
        [HOME] * 5,
        [PRODUCT, PRODUCT, CART, CHECKOUT, CHECKOUT],
        [PRODUCT, PRODUCT, CART, ACCOUNT, CHECKOUT],
    ]
)
TAIL_LEN = np.array([0, 4, 5])
# Search vocabulary: every category's name and product nouns, lower case.
_TERMS = [
    [name.lower(), *(noun.lower() for noun in nouns)] for _, cats in DEPARTMENTS for name, _, _, nouns in cats
]
TERMS = np.array([term for terms in _TERMS for term in terms])
TERM_COUNT = np.array([len(terms) for terms in _TERMS])
TERM_FIRST = np.cumsum(TERM_COUNT) - TERM_COUNT


def _within(first: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Index of the last row <= each row where mask holds, -1 if none in the row's session
    (first: each row's session's first row)."""
    last = np.maximum.accumulate(np.where(mask, np.arange(mask.size), -1))
    return np.where(last >= first, last, -1)


def expand(
    rng: np.random.Generator, s: pl.DataFrame, pref: np.ndarray, t: Tables, cal: Calendar, catalog: Catalog
) -> pl.DataFrame:
    """Events of sessions s (web.SESSION_SCHEMA + skey), numeric."""
    n_body = s["n_body"].to_numpy().astype(np.int64)
    tail = s["tail"].to_numpy().astype(np.int64)
    kind = s["kind"].to_numpy()
    length = 1 + n_body + TAIL_LEN[tail]
    sess = np.repeat(np.arange(s.height), length)
    first = np.repeat(np.cumsum(length) - length, length)
    total = sess.size
    pos = np.arange(total) - first
    nb = n_body[sess]

    # Pages: landing page by arrival, then the visit's table; bots their own; the checkout tail.
    group = np.where(pos == 1, 2 + s["medium"].to_numpy()[sess], 0)
    group = np.where(kind[sess] == BOT, BOT_GROUP, group)
    outcome = (OUTCOME_CDF[group] < rng.random(total)[:, None]).sum(axis=1).clip(0, len(OUTCOMES) - 1)
    etype, page = OUTCOMES[outcome, 0].copy(), OUTCOMES[outcome, 1].copy()
    researched = (kind[sess] == RESEARCH) & (pos == 1)  # the product about to be bought
    etype[researched], page[researched] = PRODUCT_VIEW, PRODUCT
    tpos = np.clip(pos - nb - 1, 0, 4)
    in_tail = pos > nb
    etype = np.where(in_tail, TAIL_TYPE[tail[sess], tpos], etype)
    page = np.where(in_tail, TAIL_PAGE[tail[sess], tpos], page)
    slot = s["login_slot"].to_numpy()[sess]
    login = (slot > 0) & (pos == slot)
    etype[login], page[login] = LOGIN, ACCOUNT
    etype[pos == 0], page[pos == 0] = START, -1
    # A cart_add needs a product viewed before it, a cart_remove a product added before it.
    orphan = (etype == CART_ADD) & (_within(first, etype == PRODUCT_VIEW) < 0)
    etype[orphan], page[orphan] = PRODUCT_VIEW, PRODUCT
    orphan = (etype == CART_REMOVE) & (_within(first, etype == CART_ADD) < 0)
    etype[orphan], page[orphan] = PRODUCT_VIEW, PRODUCT

    # Categories: mostly the session's focus (its category, or another of its department).
    day = s["day"].to_numpy().astype(np.int64)[sess].clip(0, cal.days - 1)
    lead = s["lead"].to_numpy().astype(np.int64)[sess]
    u = rng.random(total)
    focus = u < cfg.WEB_FOCUS_P
    dept = s["dept"].to_numpy().astype(np.int64)[sess]
    fresh = np.flatnonzero(~focus)
    pid = s["pid"].to_numpy()[sess[fresh]]
    w = np.where((pid >= 0)[:, None], pref[np.maximum(pid, 0)], DEPT_POPULARITY[None, :])
    w = np.where((kind[sess[fresh]] == BOT)[:, None], np.ones(N_DEPTS)[None, :], w)
    after = s["after"].to_numpy().astype(np.int64)[sess[fresh]]
    dept[fresh] = draw_depts(rng, t, w, day[fresh], lead[fresh], after)
    cat = draw_cats(rng, t, dept, lead)
    same = focus & (u < cfg.WEB_FOCUS_P / 2)
    cat = np.where(same, s["cat"].to_numpy()[sess], cat)

    # Products: the person's price tier; the researched or ordered product where it is shown.
    premium = s["premium"].to_numpy()[sess]
    v = rng.random(total)
    tier = np.where(v < 0.45 - 0.3 * premium, 0, np.where(v > 0.92 - 0.35 * premium, 2, 1))
    sku = catalog.sample(cat, tier, rng.random(total), day + cal.start_epoch_day)
    bought = s["sku"].to_numpy().astype(np.int64)[sess]
    shows = (researched | (in_tail & (etype == PRODUCT_VIEW))) & (bought >= 0)
    sku = np.where(shows, bought, sku)
    last_view = _within(first, etype == PRODUCT_VIEW)
    sku = np.where(etype == CART_ADD, sku[np.maximum(last_view, 0)], sku)
    last_add = _within(first, etype == CART_ADD)
    sku = np.where(etype == CART_REMOVE, sku[np.maximum(last_add, 0)], sku)
    has_sku = np.isin(etype, [PRODUCT_VIEW, CART_ADD, CART_REMOVE])
    category = np.where(has_sku, catalog.cat[sku], np.where(page == CATEGORY, cat, -1))
    term = np.where(etype == SEARCH, TERM_FIRST[cat] + (rng.random(total) * TERM_COUNT[cat]).astype(int), -1)

    # Times: a few seconds to minutes between pages (bots: 1-4 s).
    gap = np.where(
        kind[sess] == BOT, rng.integers(1, 5, total), 3 + rng.exponential(35.0, total).astype(np.int64)
    )
    gap[pos == 0] = 0
    elapsed = np.cumsum(gap)
    sec = s["sec"].to_numpy()[sess] + elapsed - elapsed[first]
    start = pos == 0
    events = pl.DataFrame(
        {
            "sec": sec,
            "day": sec // DAY - cal.start_epoch_day,
            "skey": s["skey"].to_numpy()[sess],
            "pos": pos.astype(np.int16),
            "cookie": s["cookie"].to_numpy()[sess],
            "country": s["country"].to_numpy()[sess],
            "etype": etype.astype(np.int8),
            "page": page.astype(np.int8),
            "category": category.astype(np.int16),
            "sku": np.where(has_sku, sku, -1).astype(np.int32),
            "term": term.astype(np.int16),
            "medium": np.where(start, s["medium"].to_numpy()[sess], -1).astype(np.int8),
            "source": np.where(start, s["source"].to_numpy()[sess], -1).astype(np.int8),
            "camp": np.where(start, s["camp"].to_numpy()[sess], -1).astype(np.int16),
            "account": np.where(etype == LOGIN, s["account"].to_numpy()[sess], -1),
            "ua": s["ua"].to_numpy()[sess],
            "ip": s["ip"].to_numpy()[sess],
        }
    )
    return events.filter(pl.col("sec") <= end_second(cal))


@dataclass(frozen=True)
class Labels:
    """Lookups from the numeric events to the export's text."""

    seed: int
    category_ids: pl.Series
    skus: pl.Series
    campaign_ids: pl.Series
    yyyymm: np.ndarray  # day index -> yyyymm


def _gather(values: list[str] | pl.Series, index: pl.Expr) -> pl.Expr:
    """Label of a non-negative index, null where the index is -1."""
    series = values if isinstance(values, pl.Series) else pl.Series(values)
    return pl.when(index >= 0).then(
        index.clip(0).map_batches(lambda i: series.gather(i), return_dtype=pl.String)
    )


def _per_key(keys: pl.Series, text: Callable[[np.ndarray], np.ndarray]) -> pl.Series:
    """text(keys) computed once per distinct key (numpy strings are slow to hand to polars)."""
    distinct, inverse = np.unique(keys.to_numpy(), return_inverse=True)
    return pl.Series(text(distinct)).gather(inverse)


def format_events(ev: pl.DataFrame, first_id: int, rng: np.random.Generator, labels: Labels) -> pl.DataFrame:
    """Numeric events -> the export's JSON objects (contract key order), sorted by time, session and
    position, ids numbered from first_id in that order; plus the day index to split files by."""
    ev = ev.sort("sec", "skey", "pos")
    cookie = _per_key(ev["cookie"], lambda k: cookie_ids(k, labels.seed))
    session = _per_key(
        ev["skey"],
        lambda k: np.char.add("ss_", hex_ids(mix64(k.astype(np.uint64) ^ salt(labels.seed, 8)), 16)),
    )
    account = _per_key(ev["account"], lambda k: hex_ids(np.maximum(k, 0), 12))
    term = ev["term"].cast(pl.Int64)
    query = pl.select(pl.when(term >= 0).then(pl.Series(TERMS).gather(term.clip(0)))).to_series()
    query, _ = noise.typos(query, rng, 0.06)
    capital = pl.Series(rng.random(ev.height) < 0.15)
    country = _gather(list(cfg.COUNTRIES), pl.col("country").cast(pl.Int64))
    medium = pl.col("medium").cast(pl.Int64)
    month = pl.Series(labels.yyyymm[np.clip(ev["day"].to_numpy(), 0, labels.yyyymm.size - 1)])
    paid = pl.concat_str(
        [_gather(list(CAMPAIGN_PREFIX), medium), pl.lit("-"), country, pl.lit("-"), month.cast(pl.String)]
    )
    ip = pl.col("ip").cast(pl.Int64)
    octets = [((ip // 2 ** (8 * k)) % 256).cast(pl.String) for k in (3, 2, 1, 0)]
    return ev.select(
        padded(pl.int_range(first_id, first_id + pl.len()), 12, "WEB").alias("event_id"),
        ts_utc(pl.col("sec")).alias("event_at"),
        cookie.alias("cookie_id"),
        session.alias("session_id"),
        _gather(list(EVENT_TYPES), pl.col("etype").cast(pl.Int64)).alias("event_type"),
        country.alias("country_code"),
        pl.when(pl.col("account") >= 0).then(account).alias("account_id"),
        _gather(list(PAGE_TYPES), pl.col("page").cast(pl.Int64)).alias("page_type"),
        _gather(labels.category_ids, pl.col("category").cast(pl.Int64)).alias("category_id"),
        _gather(labels.skus, pl.col("sku").cast(pl.Int64)).alias("sku"),
        pl.when(capital).then(query.str.to_titlecase()).otherwise(query).alias("search_query"),
        _gather([s[1] for s in SOURCES], pl.col("source").cast(pl.Int64)).alias("utm_source"),
        _gather(list(MEDIUMS), medium).alias("utm_medium"),
        pl.when(medium == EMAIL)
        .then(_gather(labels.campaign_ids, pl.col("camp").cast(pl.Int64)))
        .when(medium >= 0)
        .then(paid)
        .alias("utm_campaign"),
        _gather(list(USER_AGENTS), pl.col("ua").cast(pl.Int64)).alias("user_agent"),
        pl.concat_str(octets, separator=".").alias("ip_address"),
        "day",
    )


def write_gzip_ndjson(df: pl.DataFrame, path: Path) -> None:
    """NDJSON, gzip-compressed with no time or name in the header: same rows, same bytes."""
    buffer = io.BytesIO()
    df.write_ndjson(buffer)
    path.write_bytes(gzip.compress(buffer.getbuffer(), compresslevel=cfg.WEB_GZIP_LEVEL, mtime=0))


def write_web(
    seed: int,
    sessions: pl.DataFrame,
    pref: np.ndarray,
    t: Tables,
    cal: Calendar,
    catalog: Catalog,
    campaign_ids: list[str],
    landing: Path,
    log: Callable[[str, int], None],
) -> dict[str, int]:
    """Expand the sessions month by month and write landing/web/events_YYYY-MM-DD.ndjson.gz."""
    folder = landing / "web"
    folder.mkdir(parents=True, exist_ok=True)
    labels = Labels(
        seed,
        category_table()["category_id"],
        pl.Series(catalog.sku),
        pl.Series(campaign_ids, dtype=pl.String),
        cal.yyyymm(),
    )
    yyyymm = cal.yyyymm()
    first_day = window_start(cal)
    session_month = yyyymm[sessions["day"].to_numpy()]
    counts: dict[str, int] = {}
    pending: pl.DataFrame | None = None  # events of sessions running past the month's last day
    next_id, day = 1, first_day
    with ThreadPoolExecutor(max_workers=2) as pool:  # gzip releases the GIL: files compress in parallel
        writing: list[Future] = []
        for month in sorted(set(yyyymm[first_day:].tolist())):
            of_month = sessions.filter(pl.Series(session_month == month))
            step = cfg.WEB_EXPAND_SESSIONS  # expansion's temporaries are ~400 bytes an event
            ev = pl.concat(
                [
                    *([] if pending is None else [pending]),
                    *(
                        expand(stream(seed, 74, month, k), of_month.slice(lo, step), pref, t, cal, catalog)
                        for k, lo in enumerate(range(0, max(of_month.height, 1), step))
                    ),
                ]
            )
            del of_month
            last_day = int(np.flatnonzero(yyyymm == month)[-1])
            pending = ev.filter(pl.col("day") > last_day)
            ready = ev.filter(pl.col("day") <= last_day)
            del ev
            # Formatted text is ~10x the numeric events: format whole days, about a batch at a time.
            per_day = np.bincount(ready["day"].to_numpy() - day, minlength=last_day + 1 - day)
            batch_of_day = np.cumsum(per_day) // cfg.WEB_FORMAT_BATCH
            month_events = 0
            for b in np.unique(batch_of_day):
                days = day + np.flatnonzero(batch_of_day == b)
                out = format_events(
                    ready.filter(pl.col("day").is_between(days[0], days[-1])),
                    next_id,
                    stream(seed, 75, month, int(b)),
                    labels,
                )
                next_id += out.height
                month_events += out.height
                per_day = np.bincount(out["day"].to_numpy() - days[0], minlength=days.size)
                offset = np.cumsum(per_day) - per_day
                out = out.drop("day")  # sorted by day: each day is a slice (no copy)
                for f in writing:  # at most two batches of text in memory
                    f.result()
                writing = []
                for d, start, rows in zip(days.tolist(), offset.tolist(), per_day.tolist(), strict=True):
                    if not rows:  # a day nobody visited (a small demo): no file, as an empty one reads as cut
                        continue
                    name = f"events_{(cal.start + timedelta(days=d)).isoformat()}.ndjson.gz"
                    writing.append(pool.submit(write_gzip_ndjson, out.slice(start, rows), folder / name))
                    counts[f"landing/web/{name}"] = rows
                del out
            day = last_day + 1
            log(f"web events {month}", month_events)
        for f in writing:
            f.result()
    return counts
