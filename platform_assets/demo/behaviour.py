"""Shopping behaviour: visits as an inhomogeneous Poisson process, baskets, returns.

Vectorised over a chunk of persons: candidate visit times are drawn at each person's maximum
rate (np.repeat over persons) and thinned by seasonality, day of week, life moments and the
pre-churn drift. Baskets then follow the person's department preferences and the context of
the visit (moment windows, drift). Output stays numeric (cents, day indexes) until writing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from platform_assets.demo import config as cfg
from platform_assets.demo.catalog import (
    GARDEN,
    MOMENT_AFTER_DEPTS,
    MOMENT_LEAD_CATEGORIES,
    Catalog,
    Stores,
    category_table,
)
from platform_assets.demo.identities import Identities
from platform_assets.demo.timeline import Calendar, draw_sod, stream

MOMENT_COLS = ("moving", "renovation", "garden")
N_DEPTS = 10


@dataclass
class Chunk:
    """Per-person inputs of one chunk, as numpy arrays."""

    pid: np.ndarray
    country: np.ndarray
    profile: np.ndarray
    rate: np.ndarray
    web_share: np.ndarray
    premium: np.ndarray
    acq_day: np.ndarray
    acq_sod: np.ndarray
    first_web: np.ndarray
    end_day: np.ndarray  # exclusive: churn day or the end of the history
    drift_day: np.ndarray
    moment_day: np.ndarray  # [person, 3]
    moment_lead: np.ndarray
    moment_after: np.ndarray
    moving_day: np.ndarray
    home_store: np.ndarray
    new_home_store: np.ndarray
    card: np.ndarray  # [person, 2]
    card_from: np.ndarray
    account: np.ndarray
    account_from: np.ndarray
    pref: np.ndarray  # [person, department]


def chunk_inputs(
    persons: pl.DataFrame, pref: np.ndarray, ids: Identities, cal: Calendar, lo: int, hi: int
) -> Chunk:
    p = persons.slice(lo, hi - lo)
    churn = p["churn_day"].to_numpy()

    def stack(suffix: str) -> np.ndarray:
        return np.stack([p[f"{m}_{suffix}"].to_numpy() for m in MOMENT_COLS], axis=1)

    return Chunk(
        pid=p["pid"].to_numpy(),
        country=p["country"].to_numpy().astype(np.int64),
        profile=p["profile"].to_numpy(),
        rate=p["rate"].to_numpy(),
        web_share=p["web_share"].to_numpy(),
        premium=p["premium"].to_numpy(),
        acq_day=p["acq_day"].to_numpy().astype(np.int64),
        acq_sod=ids.acq_sod[lo:hi],
        first_web=ids.first_web[lo:hi],
        end_day=np.where(churn >= 0, churn, cal.days).astype(np.int64),
        drift_day=p["drift_day"].to_numpy(),
        moment_day=stack("day"),
        moment_lead=stack("lead"),
        moment_after=stack("after"),
        moving_day=p["moving_day"].to_numpy(),
        home_store=p["home_store"].to_numpy(),
        new_home_store=p["new_home_store"].to_numpy(),
        card=ids.card[lo:hi],
        card_from=ids.card_from[lo:hi],
        account=ids.account[lo:hi],
        account_from=ids.account_from[lo:hi],
        pref=pref[lo:hi],
    )


@dataclass(frozen=True)
class Tables:
    """Lookup tables shared by all chunks."""

    month: np.ndarray  # day -> 0..11
    weekday: np.ndarray
    traffic: np.ndarray  # day -> seasonal multiplier
    cat_dept: np.ndarray
    cat_qty: np.ndarray
    cat_cdf: np.ndarray  # [context, department, slot] cumulative category probability
    cat_index: np.ndarray  # [department, slot] category index
    lead_depts: tuple[np.ndarray, ...]


def build_tables(cal: Calendar, catalog: Catalog) -> Tables:
    cats = category_table()
    names = cats["name"].to_list()
    dept = cats["dept"].to_numpy()
    # Wider ranges sell more; cheap everyday items (screws, pipes) far more often than water heaters.
    breadth = np.bincount(catalog.cat, minlength=len(names)) * cats["median_eur"].to_numpy() ** -0.7
    max_slots = np.bincount(dept).max()
    cat_index = np.zeros((N_DEPTS, max_slots), dtype=np.int64)
    cdf = np.ones((4, N_DEPTS, max_slots))
    for d in range(N_DEPTS):
        members = np.flatnonzero(dept == d)
        cat_index[d, : members.size] = members
        cat_index[d, members.size :] = members[-1]
        for ctx in range(4):
            w = breadth[members].copy()
            if ctx > 0:  # lead-in of a moment: its signal categories dominate their department
                w *= np.where(np.isin(np.array(names)[members], MOMENT_LEAD_CATEGORIES[ctx - 1]), 8.0, 1.0)
            cdf[ctx, d, : members.size] = np.cumsum(w) / w.sum()
    lead_depts = tuple(np.unique(dept[np.isin(names, list(c))]) for c in MOMENT_LEAD_CATEGORIES)
    month = cal.month_index()
    return Tables(
        month=month,
        weekday=cal.weekday(),
        traffic=cfg.MONTH_TRAFFIC[month],
        cat_dept=dept,
        cat_qty=cats["qty_lambda"].to_numpy(),
        cat_cdf=cdf,
        cat_index=cat_index,
        lead_depts=lead_depts,
    )


def moment_windows(c: Chunk, who: np.ndarray, day: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each visit: in the lead-in of moment k, after moment k ([visit, 3] each), in the drift."""
    m_day = c.moment_day[who]
    has = m_day >= 0
    lead = has & (day[:, None] >= m_day - c.moment_lead[who]) & (day[:, None] < m_day)
    after = has & (day[:, None] >= m_day) & (day[:, None] < m_day + c.moment_after[who])
    drift = (c.drift_day[who] >= 0) & (day >= c.drift_day[who])
    return lead, after, drift


def simulate_visits(
    rng: np.random.Generator, c: Chunk, t: Tables, cal: Calendar, stores: Stores
) -> pl.DataFrame:
    n = c.pid.size
    # Thinning: candidates at the person's highest possible rate, kept with probability mult / ceiling.
    dow_max = np.maximum(cfg.STORE_DOW.max(axis=1), cfg.WEB_DOW.max())[c.country]
    moment_max = np.prod(
        np.where(c.moment_day >= 0, np.maximum(cfg.LEAD_VISIT_MULT, cfg.AFTER_VISIT_MULT)[None, :], 1.0),
        axis=1,
    )
    ceiling = cfg.MONTH_TRAFFIC.max() * dow_max * moment_max
    bound = c.rate * ceiling
    span = np.maximum(c.end_day - (c.acq_day + 1), 0)
    n_cand = rng.poisson(bound * span)
    who = np.repeat(np.arange(n), n_cand)
    day = c.acq_day[who] + 1 + np.floor(rng.random(who.size) * span[who]).astype(np.int64)
    ws = c.web_share[who]
    lead, after, drift = moment_windows(c, who, day)
    ws = np.where(lead[:, 0] & (ws > 0), np.minimum(ws + 0.25, 1.0), ws)  # movers browse and order online
    web = rng.random(who.size) < ws
    dow = np.where(web, cfg.WEB_DOW[t.weekday[day]], cfg.STORE_DOW[c.country[who], t.weekday[day]])
    mult = t.traffic[day] * dow
    mult *= np.prod(np.where(lead, cfg.LEAD_VISIT_MULT, 1.0), axis=1)
    mult *= np.prod(np.where(after, cfg.AFTER_VISIT_MULT[None, :], 1.0), axis=1)
    mult *= np.where(drift, cfg.DRIFT_VISIT_MULT, 1.0)
    keep = rng.random(who.size) < mult / ceiling[who]
    who, day, web = who[keep], day[keep], web[keep]
    sod = draw_sod(rng, web)

    # Every person's first purchase is their acquisition; one-shot buyers may come back once.
    one = np.flatnonzero(c.profile == cfg.ONE_SHOT)
    second_day = c.acq_day[one] + rng.integers(7, 365, one.size)
    ok = (rng.random(one.size) < 0.4) & (second_day < c.end_day[one])
    one, second_day = one[ok], second_day[ok]
    second_web = rng.random(one.size) < c.web_share[one]
    who = np.r_[np.arange(n), who, one]
    day = np.r_[c.acq_day, day, second_day]
    web = np.r_[c.first_web, web, second_web]
    sod = np.r_[c.acq_sod, sod, draw_sod(rng, second_web)]

    # Where: the web shop, the home store (the new one after moving), sometimes another store.
    moved = (c.moving_day[who] >= 0) & (day >= c.moving_day[who])
    store = np.where(moved, c.new_home_store[who], c.home_store[who])
    other = rng.random(who.size) < 0.12
    for k in range(3):
        cand = stores.of_country(k)
        idx = np.flatnonzero(other & (c.country[who] == k) & ~web)
        store[idx] = cand[rng.integers(0, cand.size, idx.size)]
    store = np.where(web, stores.web(c.country[who]), store)
    return pl.DataFrame(
        {
            "who": who.astype(np.int32),
            "day": day.astype(np.int32),
            "sod": sod,
            "web": web,
            "store": store,
        }
    ).sort("who", "day", "sod", maintain_order=True)


def _card_or_account(
    rng, c: Chunk, who, day, web, scan_p: float = cfg.CARD_SCAN_P
) -> tuple[np.ndarray, np.ndarray]:
    """Card scanned at the till (valid card, 80 %); account used for a web order (else guest)."""
    has2 = (c.card_from[who, 1] >= 0) & (day >= c.card_from[who, 1])
    has1 = (c.card_from[who, 0] >= 0) & (day >= c.card_from[who, 0])
    card = np.where(has2, c.card[who, 1], np.where(has1, c.card[who, 0], -1))
    card = np.where(~web & (rng.random(who.size) < scan_p), card, -1)
    a1 = (c.account_from[who, 0] >= 0) & (day >= c.account_from[who, 0])
    a2 = (c.account_from[who, 1] >= 0) & (day >= c.account_from[who, 1])
    use2 = a2 & (~a1 | (rng.random(who.size) < 0.7))
    account = np.where(use2, c.account[who, 1], np.where(a1, c.account[who, 0], -1))
    return card, np.where(web, account, -1)


def _pick_products(
    rng, c: Chunk, t: Tables, cal: Calendar, catalog: Catalog, lp, lday, l_lead, l_after, l_drift
):
    """Category and SKU of each basket line."""
    n = lp.size
    # Department: the person's taste x the garden season x moment boosts.
    w = c.pref[lp].astype(np.float64)
    w[:, GARDEN] *= cfg.GARDEN_SEASON[t.month[lday]]
    for k in range(3):
        boost = np.zeros(N_DEPTS)
        boost[list(MOMENT_AFTER_DEPTS[k])] = 1.0
        w *= 1.0 + 6.0 * l_after[:, k : k + 1] * boost[None, :]
        boost = np.zeros(N_DEPTS)
        boost[t.lead_depts[k]] = 1.0
        w *= 1.0 + 3.0 * l_lead[:, k : k + 1] * boost[None, :]
    cdf = np.cumsum(w, axis=1)
    dept = (cdf < (rng.random(n) * cdf[:, -1])[:, None]).sum(axis=1).clip(0, N_DEPTS - 1)
    del w, cdf
    # Category within the department, tilted to the signal categories during a lead-in.
    ctx = np.where(l_lead[:, 0], 1, np.where(l_lead[:, 1], 2, np.where(l_lead[:, 2], 3, 0)))
    slot = (t.cat_cdf[ctx, dept] < rng.random(n)[:, None]).sum(axis=1)
    cat = t.cat_index[dept, np.minimum(slot, t.cat_index.shape[1] - 1)]

    # Tier: the person's taste; drifting customers trade down, renovators trade up.
    p_entry = 0.45 - 0.3 * c.premium[lp] + cfg.DRIFT_ENTRY_SHIFT * l_drift - 0.1 * l_after[:, 1]
    p_prem = (0.08 + 0.35 * c.premium[lp]) * np.where(l_drift, cfg.DRIFT_PREMIUM_MULT, 1.0)
    p_prem = p_prem + 0.15 * l_after[:, 1]
    u = rng.random(n)
    tier = np.where(u < p_entry, 0, np.where(u > 1 - p_prem, 2, 1))
    sku = catalog.sample(cat, tier, rng.random(n), lday + cal.start_epoch_day)
    return cat, sku


def simulate_chunk(
    seed: int,
    chunk_no: int,
    c: Chunk,
    t: Tables,
    cal: Calendar,
    catalog: Catalog,
    stores: Stores,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Visits (receipts and orders) and their lines for one chunk of persons."""
    rng = stream(seed, 10, chunk_no)
    v = simulate_visits(rng, c, t, cal, stores)
    return baskets(rng, c, t, cal, catalog, stores, v, np.int64(chunk_no) << 32)


def baskets(
    rng: np.random.Generator,
    c: Chunk,
    t: Tables,
    cal: Calendar,
    catalog: Catalog,
    stores: Stores,
    v: pl.DataFrame,
    base: np.int64,
    scan_p: float = cfg.CARD_SCAN_P,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Baskets, payment identifiers and returns of the visits ``v`` (who, day, sod, web, store);
    visit keys from ``base``. ``scan_p``: probability a valid loyalty card is scanned at the till."""
    who = v["who"].to_numpy()
    day = v["day"].to_numpy().astype(np.int64)
    web = v["web"].to_numpy()
    nv = who.size
    lead, after, drift = moment_windows(c, who, day)
    card, account = _card_or_account(rng, c, who, day, web, scan_p)

    # Basket size: bigger after a moment, small during a move's lead-in, smaller while drifting.
    lam = np.where(web, cfg.LINES_LAMBDA_WEB, cfg.LINES_LAMBDA_STORE) + after @ cfg.AFTER_EXTRA_LINES
    lam = np.where(lead[:, 0], np.minimum(lam, 1.0), lam)
    lam = np.where(drift, lam * 0.6, lam)
    n_lines = 1 + np.minimum(rng.poisson(lam), cfg.MAX_LINES - 1)
    vis = np.repeat(np.arange(nv), n_lines)
    line_no = np.arange(vis.size) - np.repeat(np.cumsum(n_lines) - n_lines, n_lines) + 1
    lp = who[vis]
    lday = day[vis]
    l_lead, l_after, l_drift = lead[vis], after[vis], drift[vis]

    cat, sku = _pick_products(rng, c, t, cal, catalog, lp, lday, l_lead, l_after, l_drift)
    qty = 1 + np.minimum(rng.poisson(t.cat_qty[cat]), 60)
    country = c.country[lp]
    unit = catalog.list_cents[country, sku]
    disc_p = np.where(l_drift, cfg.DISCOUNT_P_DRIFT, cfg.DISCOUNT_P)
    pct = cfg.DISCOUNT_PCTS[rng.integers(0, cfg.DISCOUNT_PCTS.size, vis.size)]
    disc = np.where(rng.random(vis.size) < disc_p, np.round(qty * unit * pct), 0).astype(np.int64)
    amount = qty * unit - disc

    # Web orders: a few cancelled; shipping below the free-shipping threshold.
    cancelled = web & (rng.random(nv) < cfg.CANCEL_P)
    subtotal = np.bincount(vis, weights=amount, minlength=nv).round().astype(np.int64)
    fx = cfg.FX_PER_EUR[c.country[who]]
    fee = np.where(
        subtotal < cfg.FREE_SHIPPING_EUR * fx * 100, np.round(cfg.SHIPPING_FEE_EUR * fx) * 100 - 1, 0
    )
    fee = np.where(web, fee, 0).astype(np.int64)

    # Returns: 3-30 days later, more while drifting; not after the end or the churn date.
    ret_p = np.where(l_drift, cfg.RETURN_P_DRIFT, cfg.RETURN_P * 0.9) * np.where(web[vis], 1.4, 1.0)
    ret_day = day + rng.integers(cfg.RETURN_DAYS[0], cfg.RETURN_DAYS[1] + 1, nv)
    ret_ok = (ret_day < c.end_day[who]) & (ret_day < cal.days) & ~cancelled
    returned = (rng.random(vis.size) < ret_p) & ret_ok[vis]
    n_ret = np.bincount(vis, weights=returned, minlength=nv).astype(np.int64)

    vkey = base + np.arange(nv)
    status = np.where(cancelled, 1, np.where(web & (n_ret == n_lines), 2, 0))
    visits = v.select("day", "sod", "web", "store").with_columns(
        vkey=vkey,
        pid=c.pid[who],
        country=c.country[who].astype(np.int8),
        card_no=card,
        account_no=account,
        is_return=pl.lit(False),
        register=rng.integers(1, 100, nv) % stores.registers[v["store"].to_numpy()] + 1,
        status=status.astype(np.int8),
        total=subtotal + fee,
        shipping=fee,
    )
    lines = pl.DataFrame(
        {
            "vkey": vkey[vis],
            "line_no": line_no.astype(np.int16),
            "sku": sku.astype(np.int32),
            "qty": qty.astype(np.int32),
            "unit": unit,
            "disc": disc,
            "amount": amount,
            "is_return": np.zeros(vis.size, bool),
            "line_day": lday.astype(np.int32),
            "line_sod": v["sod"].to_numpy()[vis],
            "web": web[vis],
            "country": c.country[who][vis].astype(np.int8),
        }
    )
    rvisits, rlines = _returns(rng, c, who, visits, lines, returned, vis, n_lines, ret_day, base + nv)
    # File month: web times are after 06:00 local, so their UTC date is the local date.
    yyyymm = cal.yyyymm()
    visits = pl.concat([visits, rvisits])
    lines = pl.concat([lines, rlines])
    visits = visits.with_columns(month=pl.Series(yyyymm[visits["day"].to_numpy()]))
    lines = lines.with_columns(month=pl.Series(yyyymm[lines["line_day"].to_numpy()]))
    return visits, lines


def _returns(rng, c: Chunk, who, visits, lines, returned, vis, n_lines, ret_day, next_key):
    """Store returns are new receipts (negative lines); web returns are 'return' lines on the order."""
    nv = who.size
    web = visits["web"].to_numpy()
    r = np.flatnonzero(returned)
    rv = vis[r]
    r_web = web[rv]
    # One return receipt per original receipt with returned lines, on the return day.
    store_visits = np.unique(rv[~r_web])
    key_of = np.full(nv, -1, dtype=np.int64)
    key_of[store_visits] = next_key + np.arange(store_visits.size)
    sod_of = np.zeros(nv, dtype=np.int32)
    sod_of[store_visits] = draw_sod(rng, np.zeros(store_visits.size, bool))
    pw, rday = who[store_visits], ret_day[store_visits]
    has2 = (c.card_from[pw, 1] >= 0) & (rday >= c.card_from[pw, 1])
    has1 = (c.card_from[pw, 0] >= 0) & (rday >= c.card_from[pw, 0])
    card = np.where(has2, c.card[pw, 1], np.where(has1, c.card[pw, 0], -1))
    card = np.where(rng.random(store_visits.size) < cfg.CARD_SCAN_P, card, -1)

    src = lines[r]
    ret_amount = -src["amount"].to_numpy()
    # Receipt line numbers restart on the return receipt; web return lines follow the order's lines.
    k = np.arange(r.size) - np.searchsorted(rv, rv) + 1  # rank within the visit (r is sorted by visit)
    line_no = np.where(r_web, n_lines[rv] + k, k)
    rlines = pl.DataFrame(
        {
            "vkey": np.where(r_web, visits["vkey"].to_numpy()[rv], key_of[rv]),
            "line_no": line_no.astype(np.int16),
            "sku": src["sku"],
            "qty": -src["qty"],
            "unit": src["unit"],
            "disc": src["disc"],
            "amount": ret_amount,
            "is_return": np.ones(r.size, bool),
            "line_day": ret_day[rv].astype(np.int32),
            "line_sod": np.where(r_web, draw_sod(rng, np.ones(r.size, bool)), sod_of[rv]),
            "web": r_web,
            "country": src["country"],
        }
    )
    totals = np.zeros(nv, dtype=np.int64)
    np.add.at(totals, rv[~r_web], ret_amount[~r_web])
    sv = visits[store_visits]
    rvisits = sv.with_columns(
        day=pl.Series(rday.astype(np.int32)),
        sod=pl.Series(sod_of[store_visits]),
        vkey=pl.Series(key_of[store_visits]),
        card_no=pl.Series(card),
        is_return=pl.lit(True),
        status=pl.lit(0, dtype=pl.Int8),
        total=pl.Series(totals[store_visits]),
    )
    return rvisits, rlines
