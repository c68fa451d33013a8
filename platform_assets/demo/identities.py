"""Person-bearing source records: CRM contacts (with duplicates), loyalty cards, web-shop accounts.

Coverage is partial and overlapping on purpose: who has which record depends on how web-minded
and how loyal the person is. Records carry the noise of the people who keyed them in.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from platform_assets.demo import config as cfg
from platform_assets.demo import noise
from platform_assets.demo.people import NONE, ascii_fold
from platform_assets.demo.reference import EMAIL_DOMAINS, SALUTATIONS_FEMALE, SALUTATIONS_MALE, WORK_DOMAINS
from platform_assets.demo.timeline import DAY, Calendar, draw_sod, stream
from platform_assets.demo.writers import hex_ids, iso_date, padded, ts_plain, ts_utc


@dataclass
class Identities:
    contacts: pl.DataFrame  # contract columns + pid, is_dup, created_sec
    cards: pl.DataFrame  # contract columns + pid, card_no, valid_from, valid_to
    accounts: pl.DataFrame  # contract columns + pid, account_no, created_sec
    # per person, read by the behaviour simulation
    first_web: np.ndarray
    acq_sod: np.ndarray
    acq_sec: np.ndarray  # UTC epoch seconds of the first purchase
    has_crm: np.ndarray
    has_account: np.ndarray
    card: np.ndarray  # [person, 2] card number, -1 when none
    card_from: np.ndarray  # [person, 2] first day the card can be scanned
    account: np.ndarray  # [person, 2] account number, -1 when none
    account_from: np.ndarray  # [person, 2] first day the account can order


def _later(rng: np.random.Generator, base: np.ndarray, end_sec: int, min_gap: int = DAY) -> np.ndarray:
    """A time after base, skewed early, before the end of the history, in office hours (UTC)."""
    room = np.maximum(end_sec - base - min_gap, 0)
    t = base + np.minimum(min_gap, end_sec - base) + (rng.random(base.size) ** 1.5 * room).astype(np.int64)
    office = t - t % DAY + rng.integers(7 * 3600, 19 * 3600, base.size)
    return np.where((office > base) & (office <= end_sec), office, t)


def alt_emails(rng: np.random.Generator, persons: pl.DataFrame) -> pl.Series:
    """A second address of the person: work, or another personal mailbox."""
    n = persons.height
    country = persons["country"].to_numpy()
    work = np.empty(n, dtype=object)
    personal = np.empty(n, dtype=object)
    for c in range(3):
        idx = np.flatnonzero(country == c)
        work[idx] = np.array(WORK_DOMAINS[c], dtype=object)[rng.integers(0, len(WORK_DOMAINS[c]), idx.size)]
        doms = [d for d, _ in EMAIL_DOMAINS[c]]
        personal[idx] = np.array(doms, dtype=object)[rng.integers(0, len(doms), idx.size)]
    f = ascii_fold(persons["first_name"]).str.to_lowercase().str.replace_all(r"[^a-z]", "")
    last = ascii_fold(persons["last_name"]).str.to_lowercase().str.replace_all(r"[^a-z]", "")
    nn = pl.Series(rng.integers(1, 1000, n)).cast(pl.String)
    is_work = pl.Series(rng.random(n) < 0.5)
    alt = pl.select(
        pl.when(is_work)
        .then(f + "." + last + "@" + pl.Series(work.astype(str)))
        .otherwise(f.str.slice(0, 1) + last + nn + "@" + pl.Series(personal.astype(str)))
    ).to_series()
    return pl.select(pl.when(alt == persons["email"]).then("x" + alt).otherwise(alt)).to_series()


def _footprint(rng: np.random.Generator, persons: pl.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Who has a CRM contact, a web account, a loyalty card."""
    n = persons.height
    ws = persons["web_share"].to_numpy()
    profile = persons["profile"].to_numpy()
    store_only, web_only = ws <= 0.0, ws >= 1.0
    p_acc = np.where(store_only, 0.06, np.where(web_only, 0.85, np.clip(0.20 + 0.85 * ws, 0, 0.95)))
    p_crm = np.where(store_only, 0.90, np.where(web_only, 0.30, 0.83 - 0.2 * ws))
    has_acc = rng.random(n) < p_acc
    has_crm = rng.random(n) < p_crm
    p_card = np.clip(np.array([0.98, 0.92, 0.78, 0.66])[profile] - 0.25 * ws, 0.05, 0.99)
    p_card = np.clip(p_card * cfg.CARD_P_GIVEN_CRM / p_card[has_crm].mean(), 0, 0.99)
    has_card = has_crm & (rng.random(n) < p_card)
    return has_crm, has_acc, has_card


IDENTITY_NOISE = ("demo", "hard")


def harden_persons(seed: int, persons: pl.DataFrame) -> pl.DataFrame:
    """The hard profile's persons: compound first names and double surnames, households sharing an
    address (most with one surname), twins sharing surname, birth date and address. Persons stay
    distinct people (the ground truth): a household is never one customer."""
    rng = stream(seed, 4, 90)
    n = persons.height
    country = persons["country"].to_numpy()
    # another person of the same country, for every person: household head, twin, name donor
    other = np.arange(n)
    for c in range(3):
        idx = np.flatnonzero(country == c)
        if idx.size > 1:
            other[idx] = idx[(np.searchsorted(idx, idx) + rng.integers(1, idx.size, idx.size)) % idx.size]
    first, last = persons["first_name"], persons["last_name"]
    compound_first = pl.Series(rng.random(n) < 0.06) & (first != first.gather(other))
    double_last = pl.Series(rng.random(n) < 0.06) & (last != last.gather(other))
    sep = pl.Series(np.where(country == 1, "-", " "))
    persons = persons.with_columns(
        first_name=pl.when(compound_first).then(first + "-" + first.gather(other)).otherwise(first),
        last_name=pl.when(double_last).then(last + sep + last.gather(other)).otherwise(last),
    )
    u = rng.random(n)
    member = u < 0.20  # joins the household of `other`
    twin = (u >= 0.20) & (u < 0.21)
    heads = other
    shares = member | twin
    address = ("street", "postcode", "city", "new_street", "new_postcode", "new_city")
    same_name = twin | (member & (rng.random(n) < 0.6))
    idx = np.flatnonzero(shares)
    head = heads[idx]
    updates = {name: persons[name].scatter(idx, persons[name].gather(head)) for name in address}
    named = np.flatnonzero(same_name)
    updates["last_name"] = persons["last_name"].scatter(named, persons["last_name"].gather(heads[named]))
    twins = np.flatnonzero(twin)
    updates["birth_day"] = persons["birth_day"].scatter(twins, persons["birth_day"].gather(heads[twins]))
    return persons.with_columns(**updates)


def build_identities(
    seed: int, persons: pl.DataFrame, cal: Calendar, identity_noise: str = "demo"
) -> Identities:
    if identity_noise not in IDENTITY_NOISE:
        raise ValueError(f"identity_noise must be one of {IDENTITY_NOISE}, not {identity_noise!r}")
    hard = identity_noise == "hard"
    rng = stream(seed, 4)
    n = persons.height
    country = persons["country"].to_numpy()
    ws = persons["web_share"].to_numpy()
    acq_day = persons["acq_day"].to_numpy()
    end_sec = int(cal.epoch_seconds(cal.days - 1, 86_400)) - 4 * 3600

    has_crm, has_acc, has_card = _footprint(rng, persons)
    acc_first = has_acc & (~has_crm | (rng.random(n) < ws))
    crm_first = has_crm & ~acc_first
    # Persons with no record but some web share are known only through their guest orders.
    first_web = acc_first | (crm_first & (ws >= 1.0)) | (~has_crm & ~has_acc & (ws > 0))
    acq_sod = draw_sod(rng, first_web)
    acq_sec = cal.to_utc(country, acq_day, acq_sod)

    contact_sec = np.where(crm_first, acq_sec + rng.integers(30, 900, n), _later(rng, acq_sec, end_sec))
    account_sec = np.where(acc_first, acq_sec - rng.integers(120, 900, n), _later(rng, acq_sec, end_sec))
    has_dup = has_crm & (rng.random(n) < cfg.DUP_CONTACT_P) & (end_sec - contact_sec > 40 * DAY)
    dup_sec = _later(rng, contact_sec, end_sec, 30 * DAY)

    contacts = _contacts(
        rng, persons, cal, has_crm, has_dup, contact_sec, dup_sec, crm_first, first_web, end_sec
    )
    cards, card, card_from = _cards(rng, persons, cal, contacts, has_card, has_dup)
    accounts, account, account_from = _accounts(rng, persons, cal, has_acc, account_sec, end_sec)
    if hard:
        contacts, accounts = _hard_records(seed, contacts, accounts)
    return Identities(
        contacts=contacts,
        cards=cards,
        accounts=accounts,
        first_web=first_web,
        acq_sod=acq_sod,
        acq_sec=acq_sec,
        has_crm=has_crm,
        has_account=has_acc,
        card=card,
        card_from=card_from,
        account=account,
        account_from=account_from,
    )


def _address_at(persons: pl.DataFrame, pid: np.ndarray, day: np.ndarray) -> pl.DataFrame:
    """Street, postcode, city of each person on a given day (the new address after moving)."""
    p = persons[pid]
    moved = pl.Series((p["moving_day"].to_numpy() >= 0) & (day >= p["moving_day"].to_numpy()))
    return pl.DataFrame(
        {
            name: pl.select(pl.when(moved).then(p[f"new_{name}"]).otherwise(p[name])).to_series()
            for name in ("street", "postcode", "city")
        }
    )


def _day(cal: Calendar, sec: np.ndarray) -> np.ndarray:
    return (sec // DAY - cal.start_epoch_day).astype(np.int32)


def _contacts(
    rng: np.random.Generator,
    persons: pl.DataFrame,
    cal: Calendar,
    has_crm: np.ndarray,
    has_dup: np.ndarray,
    contact_sec: np.ndarray,
    dup_sec: np.ndarray,
    crm_first: np.ndarray,
    first_web: np.ndarray,
    end_sec: int,
) -> pl.DataFrame:
    main = np.flatnonzero(has_crm)
    dups = np.flatnonzero(has_dup)
    pid = np.r_[main, dups]
    is_dup = np.r_[np.zeros(main.size, bool), np.ones(dups.size, bool)]
    created = np.r_[contact_sec[main], dup_sec[dups]]
    m = pid.size
    p = persons[pid]
    country = p["country"].to_numpy()
    created_day = _day(cal, created)

    # Movers: half update their contact after moving; a contact created after the move has the new address.
    mv = p["moving_day"].to_numpy()
    upd_move = (mv >= 0) & (created_day < mv) & (rng.random(m) < 0.55)
    upd_move_sec = cal.epoch_seconds(mv + rng.integers(0, 90, m), rng.integers(8 * 3600, 19 * 3600, m)) - 3600
    updated = np.where(
        upd_move,
        np.minimum(upd_move_sec, end_sec),
        np.where(rng.random(m) < 0.4, created, _later(rng, created, end_sec, 3600)),
    )
    updated = np.maximum(updated, created)
    address = _address_at(persons, pid, np.where(upd_move, _day(cal, updated), created_day))

    # Origin: the first contact of a store-first person is keyed at the till.
    first_rec = ~is_dup & crm_first[pid]
    origin_first = np.where(
        first_web[pid],
        "web",
        np.array(["store", "event", "call_centre", "web"])[rng.choice(4, size=m, p=[0.75, 0.10, 0.08, 0.07])],
    )
    origin_later = np.array(["web", "store", "call_centre"])[rng.choice(3, size=m, p=[0.5, 0.38, 0.12])]
    origin = np.where(first_rec, origin_first, origin_later)

    # Names as keyed: lost accents on some records, upper case at some tills, rare typos.
    no_accent = pl.Series(rng.random(m) < 0.15)
    first = noise.vary_case(noise.drop_accents(p["first_name"], no_accent), rng, 0.18, 0.05)
    last = noise.vary_case(noise.drop_accents(p["last_name"], no_accent), rng, 0.28, 0.04)
    first, _ = noise.typos(first, rng, 0.015)
    last, _ = noise.typos(last, rng, 0.015)

    # E-mail: missing, or (duplicates) another address; typos and format slips.
    alt = alt_emails(rng, p)
    u = rng.random(m)
    email_missing = np.where(is_dup, u < 0.25, u < 0.10)
    use_alt = is_dup & (u >= 0.25) & (u < 0.45)
    email = pl.select(pl.when(pl.Series(use_alt)).then(alt).otherwise(p["email"])).to_series()
    email, _ = noise.email_noise(email, rng, 0.02, 0.05)
    email = noise.blank(email, email_missing)

    phone = noise.phones(p["phone_nsn"], country, rng)
    phone_missing = rng.random(m) < np.where(is_dup, 0.40, 0.20)
    phone = noise.blank(phone, phone_missing)

    female = p["female"].to_numpy()
    sal = np.empty(m, dtype=object)
    for c in range(3):
        for g, lists in ((False, SALUTATIONS_MALE), (True, SALUTATIONS_FEMALE)):
            idx = np.flatnonzero((country == c) & (female == g))
            options = np.array(lists[c], dtype=object)
            sal[idx] = options[
                np.minimum((rng.random(idx.size) ** 2 * options.size).astype(int), options.size - 1)
            ]
    salutation = noise.blank(pl.Series(sal.astype(str)), rng.random(m) < 0.08)

    birth_missing = rng.random(m) < 0.35
    frame = pl.DataFrame(
        {
            "pid": pid.astype(np.int32),
            "is_dup": is_dup,
            "created_sec": created,
            "updated_sec": updated,
            "salutation": salutation,
            "first_name": first,
            "last_name": last,
            "email": email,
            "phone": phone,
            "street": noise.drop_accents(address["street"], no_accent),
            "postcode": noise.postcode_noise(address["postcode"], country, rng, 0.2),
            "city": noise.vary_case(noise.drop_accents(address["city"], no_accent), rng, 0.2, 0.02),
            "country_code": np.array(cfg.COUNTRIES)[country],
            "birth_day": noise.blank(p["birth_day"], birth_missing),
            "origin": origin,
        },
        strict=False,
    )
    # CRM ids grow with creation time, with gaps (deleted test records...).
    frame = frame.sort("created_sec", "pid", "is_dup")
    ids = 10_000_000 + np.cumsum(rng.integers(1, 4, m))
    return frame.with_columns(
        contact_id=padded(pl.Series(ids), 8, "C"),
        birth_date=iso_date(pl.col("birth_day"), "%d/%m/%Y"),
        created_at=ts_plain(pl.col("created_sec"), " "),
        updated_at=ts_plain(pl.col("updated_sec"), " "),
    )


def _ean13(body: np.ndarray) -> np.ndarray:
    """12-digit integers -> 13-digit EAN with its check digit."""
    digits = (body[:, None] // 10 ** np.arange(11, -1, -1)) % 10
    weights = np.where(np.arange(12) % 2 == 0, 1, 3)
    check = (10 - (digits * weights).sum(axis=1) % 10) % 10
    return body * 10 + check


def _cards(
    rng: np.random.Generator,
    persons: pl.DataFrame,
    cal: Calendar,
    contacts: pl.DataFrame,
    has_card: np.ndarray,
    has_dup: np.ndarray,
) -> tuple[pl.DataFrame, np.ndarray, np.ndarray]:
    n = persons.height
    # Each holder's card goes to one of their contacts: the main one, or sometimes the duplicate.
    by_pid = contacts.select("pid", "is_dup", "contact_id", "created_sec").sort("pid", "is_dup")
    main = by_pid.filter(~pl.col("is_dup"))
    dup = by_pid.filter(pl.col("is_dup"))
    main_id = np.full(n, "", dtype=object)
    main_id[main["pid"].to_numpy()] = main["contact_id"].to_numpy()
    main_sec = np.zeros(n, dtype=np.int64)
    main_sec[main["pid"].to_numpy()] = main["created_sec"].to_numpy()
    dup_id = np.full(n, "", dtype=object)
    dup_id[dup["pid"].to_numpy()] = dup["contact_id"].to_numpy()
    dup_sec = np.zeros(n, dtype=np.int64)
    dup_sec[dup["pid"].to_numpy()] = dup["created_sec"].to_numpy()

    end = cal.days - 1
    on_dup = has_dup & (rng.random(n) < 0.35)
    base_day = ((np.where(on_dup, dup_sec, main_sec)) // DAY - cal.start_epoch_day).astype(np.int64)
    issued1 = np.where(
        rng.random(n) < 0.6, base_day, base_day + (rng.random(n) ** 2 * (end - base_day)).astype(int)
    )
    second = has_card & (rng.random(n) < cfg.SECOND_CARD_P * 1.1) & (end - issued1 > 30)
    issued2 = issued1 + 30 + (rng.random(n) * (end - issued1 - 30)).astype(int)
    second_on_dup = np.where(has_dup & (rng.random(n) < 0.5), ~on_dup, on_dup)
    churned = persons["churn_day"].to_numpy() >= 0
    closed = churned & (rng.random(n) < 0.3)

    holders = np.flatnonzero(has_card)
    seconds = np.flatnonzero(second)
    pid = np.r_[holders, seconds]
    is_second = np.r_[np.zeros(holders.size, bool), np.ones(seconds.size, bool)]
    issued = np.r_[issued1[holders], issued2[seconds]]
    contact = np.r_[
        np.where(on_dup, dup_id, main_id)[holders], np.where(second_on_dup, dup_id, main_id)[seconds]
    ].astype(str)
    status = np.where(is_second | ~second[pid], np.where(closed[pid], "closed", "active"), "lost")
    mv = persons["moving_day"].to_numpy()[pid]
    store = np.where(
        (mv >= 0) & (issued >= mv),
        persons["new_home_store"].to_numpy()[pid],
        persons["home_store"].to_numpy()[pid],
    )
    country = persons["country"].to_numpy()[pid]

    # Serial numbers follow the issue date; 29 = in-store numbering, then the country digit.
    order = np.lexsort((is_second, pid, issued))
    serial = np.empty(pid.size, dtype=np.int64)
    serial[order] = 100_000_000 + np.cumsum(rng.integers(1, 20, pid.size))
    card_no = _ean13((290 + country.astype(np.int64) + 1) * 10**9 + serial)

    card = np.full((n, 2), -1, dtype=np.int64)
    card_from = np.full((n, 2), NONE, dtype=np.int32)
    card[pid, is_second.astype(int)] = card_no
    card_from[pid, is_second.astype(int)] = issued
    frame = pl.DataFrame(
        {
            "pid": pid.astype(np.int32),
            "card_no": card_no,
            "contact_id": contact,
            "issued_day": issued + cal.start_epoch_day,
            "store": store,
            "card_status": status,
        }
    ).with_columns(card_number=pl.col("card_no").cast(pl.String), issued_at=iso_date(pl.col("issued_day")))
    return frame.sort("card_number"), card, card_from


def _accounts(
    rng: np.random.Generator,
    persons: pl.DataFrame,
    cal: Calendar,
    has_acc: np.ndarray,
    account_sec: np.ndarray,
    end_sec: int,
) -> tuple[pl.DataFrame, np.ndarray, np.ndarray]:
    n = persons.height
    second = has_acc & (rng.random(n) < cfg.SECOND_ACCOUNT_P * 1.1) & (end_sec - account_sec > 40 * DAY)
    second_sec = _later(rng, account_sec, end_sec, 30 * DAY)
    holders = np.flatnonzero(has_acc)
    seconds = np.flatnonzero(second)
    pid = np.r_[holders, seconds]
    is_second = np.r_[np.zeros(holders.size, bool), np.ones(seconds.size, bool)]
    created = np.r_[account_sec[holders], second_sec[seconds]]
    m = pid.size
    p = persons[pid]
    country = p["country"].to_numpy()

    # Login: usually the person's own address; some use a work or other mailbox (most second accounts).
    alt = alt_emails(rng, p)
    use_alt = rng.random(m) < np.where(is_second, 0.8, cfg.ALT_LOGIN_EMAIL_P)
    login = pl.select(pl.when(pl.Series(use_alt)).then(alt).otherwise(p["email"])).to_series()
    login, _ = noise.email_noise(login, rng, 0.003, 0.02)
    no_accent = pl.Series(rng.random(m) < 0.05)
    first, _ = noise.typos(
        noise.vary_case(noise.drop_accents(p["first_name"], no_accent), rng, 0.02, 0.08), rng, 0.005
    )
    last, _ = noise.typos(
        noise.vary_case(noise.drop_accents(p["last_name"], no_accent), rng, 0.03, 0.08), rng, 0.005
    )
    phone = noise.phones(p["phone_nsn"], country, rng)
    phone = noise.blank(phone, rng.random(m) < 0.45)

    numbers = rng.choice(2**47, size=m, replace=False) + 2**44  # unique, always 12 hex digits
    frame = pl.DataFrame(
        {
            "pid": pid.astype(np.int32),
            "is_second": is_second,
            "account_no": numbers,
            "account_id": hex_ids(numbers, 12),
            "login_email": login,
            "first_name": first,
            "last_name": last,
            "phone": phone,
            "birth_day": noise.blank(p["birth_day"], rng.random(m) >= 0.3),
            "country_code": np.array(cfg.COUNTRIES)[country],
            "created_sec": created,
        },
        strict=False,
    ).with_columns(birth_date=iso_date(pl.col("birth_day")), created_at=ts_utc(pl.col("created_sec")))

    account = np.full((n, 2), -1, dtype=np.int64)
    account_from = np.full((n, 2), NONE, dtype=np.int32)
    account[pid, is_second.astype(int)] = numbers
    # Orders before the account existed were guest checkouts.
    account_from[pid, is_second.astype(int)] = _day(cal, created)
    return frame.sort("account_id"), account, account_from


def _hard_records(
    seed: int, contacts: pl.DataFrame, accounts: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The hard profile's record noise, on top of the demo's (its own random stream, so the demo
    profile's files stay byte for byte the same): names swapped, initials, missing parts and typos,
    typos in every other field, CRM contacts often without an e-mail, web accounts without any phone."""
    rng = stream(seed, 4, 91)
    m = contacts.height
    first, last = noise.hard_names(contacts["first_name"], contacts["last_name"], rng)
    email, _ = noise.email_noise(contacts["email"], rng, 0.05, 0.0)
    contacts = contacts.with_columns(
        first_name=first,
        last_name=last,
        email=noise.blank(email, rng.random(m) < 0.2),
        phone=noise.digit_typos(contacts["phone"], rng, 0.03),
        street=noise.typos(contacts["street"], rng, 0.05)[0],
        postcode=noise.digit_typos(contacts["postcode"], rng, 0.03),
        city=noise.typos(contacts["city"], rng, 0.03)[0],
        birth_day=noise.day_typos(contacts["birth_day"], rng, 0.03),
    ).with_columns(birth_date=iso_date(pl.col("birth_day"), "%d/%m/%Y"))
    a = accounts.height
    first, last = noise.hard_names(accounts["first_name"], accounts["last_name"], rng)
    login, _ = noise.email_noise(accounts["login_email"], rng, 0.03, 0.0)
    accounts = accounts.with_columns(
        first_name=first,
        last_name=last,
        login_email=login,
        phone=pl.lit(None, dtype=pl.String),  # a source with no phone at all
        birth_day=noise.day_typos(accounts["birth_day"], rng, 0.03),
    ).with_columns(birth_date=iso_date(pl.col("birth_day")))
    assert a == accounts.height
    return contacts, accounts
