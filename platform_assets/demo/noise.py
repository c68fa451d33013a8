"""Data-entry noise: casing, lost accents, typos, phone and postcode formats, e-mail slips.

Each function takes a polars Series and the random stream and returns a new Series. Typos touch
only a few per cent of values, so they are applied with a short Python loop over that subset.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from platform_assets.demo.reference import ACCENT_MAP

LETTERS = "abcdefghijklmnopqrstuvwxyz"


def blank(values, mask: np.ndarray) -> pl.Series:
    """Values with nulls (empty in the file) where mask is true."""
    s = values if isinstance(values, pl.Series) else pl.Series(values)
    return pl.select(pl.when(pl.Series(mask)).then(None).otherwise(s)).to_series()


def vary_case(s: pl.Series, rng: np.random.Generator, p_upper: float, p_lower: float) -> pl.Series:
    u = pl.Series(rng.random(s.len()))
    return pl.select(
        pl.when(u < p_upper)
        .then(s.str.to_uppercase())
        .when(u < p_upper + p_lower)
        .then(s.str.to_lowercase())
        .otherwise(s)
    ).to_series()


def drop_accents(s: pl.Series, mask: pl.Series) -> pl.Series:
    """Lose accents where mask is true (a keyboard or system without them)."""
    folded = s.str.replace_many(list(ACCENT_MAP), list(ACCENT_MAP.values()))
    return pl.select(pl.when(mask).then(folded).otherwise(s)).to_series()


def _typo(word: str, rng: np.random.Generator) -> str:
    if len(word) < 3:
        return word
    i = int(rng.integers(1, len(word) - 1))
    op = int(rng.integers(0, 4))
    if op == 0:  # swap two neighbours
        return word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :]
    if op == 1:  # drop one
        return word[:i] + word[i + 1 :]
    if op == 2:  # hit a wrong key
        c = LETTERS[int(rng.integers(0, 26))]
        return word[:i] + (c.upper() if word[i].isupper() else c) + word[i + 1 :]
    return word[:i] + word[i] + word[i:]  # double one


def typos(s: pl.Series, rng: np.random.Generator, p: float) -> tuple[pl.Series, np.ndarray]:
    """One-character typo in a share p of values; returns the series and the mask of changed rows."""
    hit = (rng.random(s.len()) < p) & s.is_not_null().to_numpy()
    pos = np.flatnonzero(hit)
    if pos.size:
        s = s.scatter(pos, [_typo(w, rng) for w in s.gather(pos).to_list()])
    return s, hit


def _email_typo(email: str, rng: np.random.Generator) -> str:
    local, _, domain = email.partition("@")
    op = int(rng.integers(0, 4))
    name, _, tld = domain.rpartition(".")
    if op == 0 and len(name) > 3:  # gmial.com
        i = int(rng.integers(1, len(name) - 1))
        return f"{local}@{name[:i]}{name[i + 1]}{name[i]}{name[i + 2 :]}.{tld}"
    if op == 1:  # .con / .fe
        return f"{local}@{name}.{tld[:-1]}{'n' if tld.endswith('m') else 'e'}"
    if op == 2 and len(name) > 3:  # gmal.com
        i = int(rng.integers(1, len(name) - 1))
        return f"{local}@{name[:i]}{name[i + 1 :]}.{tld}"
    return f"{_typo(local, rng)}@{domain}"


def email_noise(
    s: pl.Series, rng: np.random.Generator, p_typo: float, p_format: float
) -> tuple[pl.Series, np.ndarray]:
    """Typos (a share p_typo) and formatting slips: upper case, capital, spaces (a share p_format)."""
    n = s.len()
    hit = (rng.random(n) < p_typo) & s.is_not_null().to_numpy()
    pos = np.flatnonzero(hit)
    if pos.size:
        s = s.scatter(pos, [_email_typo(e, rng) for e in s.gather(pos).to_list()])
    u = pl.Series(rng.random(n) / max(p_format, 1e-9))
    s = pl.select(
        pl.when(u < 0.3).then(s.str.to_uppercase())
        .when(u < 0.6).then(s.str.slice(0, 1).str.to_uppercase() + s.str.slice(1))
        .when(u < 0.8).then(" " + s)
        .when(u < 1.0).then(s + " ")
        .otherwise(s)
    ).to_series()  # fmt: skip
    return s, hit


# Phone formats per country and their shares: FR, PL, GB.
PHONE_STYLE_P = (
    np.array([0.35, 0.25, 0.12, 0.12, 0.12, 0.04]),
    np.array([0.30, 0.30, 0.12, 0.15, 0.13, 0.0]),
    np.array([0.35, 0.20, 0.20, 0.25, 0.0, 0.0]),
)


def phones(nsn: pl.Series, country: np.ndarray, rng: np.random.Generator, style_p=PHONE_STYLE_P) -> pl.Series:
    """National significant number -> the way people write it (spaces, dots, +33, 0033...)."""
    n = nsn.len()
    style = np.zeros(n, dtype=np.int8)
    u = rng.random(n)
    for c in range(3):
        m = country == c
        style[m] = np.searchsorted(np.cumsum(style_p[c]), u[m], side="right")
    d = nsn

    def sl(a: int, b: int) -> pl.Series:
        return d.str.slice(a, b - a)

    fr_nat = "0" + d
    fr_pairs = sl(0, 1) + " " + sl(1, 3) + " " + sl(3, 5) + " " + sl(5, 7) + " " + sl(7, 9)
    fr = [
        "0" + fr_pairs,  # 06 12 34 56 78
        fr_nat,  # 0612345678
        "+33 " + fr_pairs,  # +33 6 12 34 56 78
        "+33" + d,  # +33612345678
        "0" + sl(0, 1) + "." + sl(1, 3) + "." + sl(3, 5) + "." + sl(5, 7) + "." + sl(7, 9),
        "0033" + d,
    ]
    pl_groups = sl(0, 3) + " " + sl(3, 6) + " " + sl(6, 9)
    pl_ = [
        "+48 " + pl_groups,  # +48 512 345 678
        d,  # 512345678
        sl(0, 3) + "-" + sl(3, 6) + "-" + sl(6, 9),  # 512-345-678
        "+48" + d,
        pl_groups,
        d,
    ]
    gb = [
        "0" + sl(0, 4) + " " + sl(4, 10),  # 07700 900123
        "+44 " + sl(0, 4) + " " + sl(4, 10),  # +44 7700 900123
        "+44" + d,  # +447700900123
        "0" + d,  # 07700900123
        "0" + d,
        "0" + d,
    ]
    c_s, st = pl.Series(country), pl.Series(style)
    expr = pl.when(pl.lit(False)).then(pl.lit(None, dtype=pl.String))
    for c, forms in enumerate((fr, pl_, gb)):
        for k, form in enumerate(forms):
            expr = expr.when((c_s == c) & (st == k)).then(form)
    return pl.select(expr).to_series()


def e164(nsn: pl.Series, country: np.ndarray) -> pl.Series:
    return pl.Series(np.array(["+33", "+48", "+44"])[country]) + nsn


def postcode_noise(pc: pl.Series, country: np.ndarray, rng: np.random.Generator, p: float) -> pl.Series:
    """GB without space or in lower case, PL without dash, FR with its leading zero lost (spreadsheets)."""
    u = pl.Series(rng.random(pc.len()) / max(p, 1e-9))
    c = pl.Series(country)
    return pl.select(
        pl.when((c == 2) & (u < 0.6)).then(pc.str.replace(" ", ""))
        .when((c == 2) & (u < 1.0)).then(pc.str.to_lowercase())
        .when((c == 1) & (u < 0.8)).then(pc.str.replace("-", ""))
        .when((c == 1) & (u < 1.0)).then(pc.str.replace("-", " "))
        .when((c == 0) & (u < 1.0) & pc.str.starts_with("0")).then(pc.str.slice(1))
        .otherwise(pc)
    ).to_series()  # fmt: skip


# --- The hard identity profile (--identity-noise hard) ------------------------------------------


def _digit_typo(value: str, rng: np.random.Generator) -> str:
    """One digit of a phone or postcode changed, or two neighbouring digits swapped."""
    pos = [i for i, c in enumerate(value) if c.isdigit()]
    if len(pos) < 2:
        return value
    k = int(rng.integers(0, len(pos) - 1))
    i, j = pos[k], pos[k + 1]
    if rng.random() < 0.5:
        return value[:i] + value[j] + value[i + 1 : j] + value[i] + value[j + 1 :]
    digit = str((int(value[i]) + int(rng.integers(1, 10))) % 10)
    return value[:i] + digit + value[i + 1 :]


def digit_typos(s: pl.Series, rng: np.random.Generator, p: float) -> pl.Series:
    """A digit typo in a share p of the values (phones, postcodes)."""
    hit = (rng.random(s.len()) < p) & s.is_not_null().to_numpy()
    pos = np.flatnonzero(hit)
    if pos.size:
        s = s.scatter(pos, [_digit_typo(v, rng) for v in s.gather(pos).to_list()])
    return s


def day_typos(days: pl.Series, rng: np.random.Generator, p: float) -> pl.Series:
    """Birth dates keyed wrong in a share p: a day off by one, by ten (the tens digit), or a year off."""
    n = days.len()
    hit = pl.Series(rng.random(n) < p)
    shift = pl.Series(rng.choice(np.array([-366, -10, -1, 1, 10, 365]), size=n))
    return pl.select(pl.when(hit & days.is_not_null()).then(days + shift).otherwise(days)).to_series()


def initials(s: pl.Series, mask: np.ndarray) -> pl.Series:
    """First names reduced to their initial ("J.") where mask is true."""
    return pl.select(
        pl.when(pl.Series(mask)).then(s.str.slice(0, 1).str.to_uppercase() + ".").otherwise(s)
    ).to_series()


def first_word(s: pl.Series, mask: np.ndarray) -> pl.Series:
    """Compound names keyed in part ("Anne" for "Anne-Marie", one of two surnames) where mask is true."""
    return pl.select(pl.when(pl.Series(mask)).then(s.str.extract(r"^([^ \-]+)", 1)).otherwise(s)).to_series()


@dataclass(frozen=True)
class HardNames:
    """Shares of the hard profile's name noise on each person record."""

    swapped: float = 0.05  # first and last name keyed in each other's field
    initial: float = 0.04  # first name reduced to its initial
    first_missing: float = 0.04
    last_missing: float = 0.02
    partial_compound: float = 0.4  # of compound names, keyed with their first word only
    typo: float = 0.08  # per name part


def hard_names(
    first: pl.Series, last: pl.Series, rng: np.random.Generator, shares: HardNames = HardNames()
) -> tuple[pl.Series, pl.Series]:
    """Names as the hard profile keys them: compounds in part, typos, initials, gaps, swaps."""
    m = first.len()
    first = first_word(first, rng.random(m) < shares.partial_compound)
    last = first_word(last, rng.random(m) < shares.partial_compound)
    first, _ = typos(first, rng, shares.typo)
    last, _ = typos(last, rng, shares.typo)
    first = initials(first, rng.random(m) < shares.initial)
    first = blank(first, rng.random(m) < shares.first_missing)
    last = blank(last, rng.random(m) < shares.last_missing)
    swap = pl.Series(rng.random(m) < shares.swapped)
    swapped_first = pl.select(pl.when(swap).then(last).otherwise(first)).to_series()
    swapped_last = pl.select(pl.when(swap).then(first).otherwise(last)).to_series()
    return swapped_first, swapped_last
