"""Generate the synthetic retailer: landing files for every source, ground truth, manifest.

    generate(Path("data/demo"), customers=10_000, seed=42, start=date(2023, 11, 1), end=date(2026, 10, 31))

Stages: catalogue and stores -> persons (truth) -> source records (CRM, cards, accounts, consents)
-> behaviour in person chunks -> monthly sales files -> e-mail events -> web analytics (sessions,
then daily event files) -> marketing -> truth.
Same arguments, same bytes: every random draw comes from a PCG64 stream keyed by (seed, stage,
chunk), and every file is sorted before it is written.
"""

from __future__ import annotations

import resource
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from platform_assets.demo import catalog as cat
from platform_assets.demo import geography, stats, web
from platform_assets.demo.behaviour import build_tables, chunk_inputs, simulate_chunk
from platform_assets.demo.campaigns import (
    build_campaigns,
    campaigns_frame,
    contact_log_frame,
    simulate_responses,
    truth_frame,
)
from platform_assets.demo.consent import build_consents, erased_mask
from platform_assets.demo.emailing import build_events, format_events
from platform_assets.demo.emailing import campaigns as email_campaigns
from platform_assets.demo.ground_truth import README, persons_frame, source_records, web_cookies_frame
from platform_assets.demo.identities import build_identities, harden_persons
from platform_assets.demo.marketing import build_acquisitions, build_spend
from platform_assets.demo.people import build_persons, draw_countries
from platform_assets.demo.timeline import Calendar
from platform_assets.demo.transactions import MonthlyParts, by_month, write_facts
from platform_assets.demo.web_events import write_web
from platform_assets.demo.writers import write_csv, write_json, write_source, write_text

DEFAULT_START = date(2023, 11, 1)
DEFAULT_END = date(2026, 10, 31)
CHUNK_PERSONS = 100_000


@dataclass
class GenerationSummary:
    out_dir: Path
    customers: int
    seed: int
    start: date
    end: date
    rows: dict[str, int]  # path relative to out_dir -> data rows
    bytes: dict[str, int]
    seconds: float
    measures: dict[str, float] = field(default_factory=dict)

    def report(self) -> str:
        return stats.format_report(self.rows, self.bytes, self.seconds, self.measures)


class _Progress:
    """Stage lines on stderr: stage, rows, seconds since the start."""

    def __init__(self, enabled: bool) -> None:
        self.t0 = time.perf_counter()
        self.enabled = enabled

    def __call__(self, stage: str, rows: int) -> None:
        if self.enabled:
            peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
            print(
                f"[demo] {stage:<34} {rows:>12,} rows {time.perf_counter() - self.t0:8.1f} s  peak {peak_mb:8,.0f} MB",
                file=sys.stderr,
                flush=True,
            )

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.t0


def generate(
    out_dir: Path,
    customers: int,
    seed: int,
    start: date = DEFAULT_START,
    end: date = DEFAULT_END,
    *,
    progress: bool = True,
    chunk_persons: int = CHUNK_PERSONS,
    identity_noise: str = "demo",
) -> GenerationSummary:
    if customers < 1:
        raise ValueError("customers must be at least 1")
    if end <= start:
        raise ValueError("end must be after start")
    out_dir = Path(out_dir)
    landing, truth = out_dir / "landing", out_dir / "ground_truth"
    for old in (landing, truth):  # stale monthly files of an earlier run must not linger
        if old.exists():
            shutil.rmtree(old)
    log = _Progress(progress)
    cal = Calendar(start, end)
    rows: dict[str, int] = {}

    def put(df: pl.DataFrame, system: str, entity: str, file_name: str) -> None:
        path, n = write_source(df, landing, system, entity, file_name)
        rows[path] = n

    # Reference data.
    country = draw_countries(seed, customers)
    stores = cat.build_stores(seed, np.bincount(country, minlength=3), cal)
    catalog = cat.build_catalog(seed, cal)
    put(cat.stores_frame(stores), "erp", "stores", "stores.csv")
    put(cat.categories_frame(), "catalog", "categories", "categories.csv")
    put(cat.products_frame(catalog), "catalog", "products", "products.csv")
    put(cat.prices_frame(catalog), "catalog", "prices", "prices.csv")
    log("catalogue and stores", catalog.sku.size)

    # Persons and the records they left in each system.
    persons, pref = build_persons(seed, country, cal, stores)
    if identity_noise == "hard":  # households, twins, compound names (identities.py)
        persons = harden_persons(seed, persons)
    log("persons", persons.height)
    # the national postcode files' centroids, for every postcode of the people (both homes) and stores
    store_postcodes = cat.stores_frame(stores).select(  # sorted by store code: its own country column
        pl.col("country_code")
        .replace_strict(geography.COUNTRY_INDEX, return_dtype=pl.Int64)
        .alias("country"),
        "postcode",
    )
    postcodes = pl.concat(
        [
            persons.select(pl.col("country").cast(pl.Int64), "postcode"),
            persons.select(pl.col("country").cast(pl.Int64), pl.col("new_postcode").alias("postcode")),
            store_postcodes.select(pl.col("country").cast(pl.Int64), "postcode"),
        ]
    )
    put(geography.centroids_frame(postcodes), "reference", "postcode_centroids", "postcode_centroids.csv")
    ids = build_identities(seed, persons, cal, identity_noise)
    consents = build_consents(seed, persons, ids, cal)
    erased = erased_mask(persons.height, consents)
    campaigns = build_campaigns(seed, persons, ids, consents.preferences, cal)
    _write_records(put, ids, consents, stores)
    put(campaigns_frame(campaigns, cal), "campaigns", "campaigns", "campaigns.csv")
    put(contact_log_frame(campaigns, cal), "campaigns", "contact_log", "contact_log.csv")
    consents.preferences = consents.preferences.clear()  # written; free the memory
    log("crm, loyalty, accounts, consents", ids.contacts.height + ids.cards.height + ids.accounts.height)

    # Behaviour, chunk by chunk, split by month as it comes; then the monthly sales files.
    tables = build_tables(cal, catalog)
    parts, tally = MonthlyParts(), stats.BehaviourTally(persons)
    buys = []  # each chunk's purchases in the web export's window: people browse before buying
    for k, lo in enumerate(range(0, customers, chunk_persons)):
        hi = min(customers, lo + chunk_persons)
        inputs = chunk_inputs(persons, pref, ids, cal, lo, hi)
        v, ln = simulate_chunk(seed, k, inputs, tables, cal, catalog, stores)
        responses = simulate_responses(
            seed, k, campaigns, inputs, lo, hi, tables, cal, catalog, stores, erased
        )
        if responses is not None:  # the campaigns' real effect: extra visits of treated persons
            v, ln = pl.concat([v, responses[0]]), pl.concat([ln, responses[1]])
        tally.add(v, ln)
        parts.add(v, ln)
        buys.append(web.purchases(v, ln, web.window_start(cal)))
        log(f"behaviour persons {lo:,}-{hi:,}", ln.height)
    counts, guests = write_facts(parts, persons, ids, catalog, stores, cal, seed, landing, log)
    rows.update(counts)

    events = build_events(seed, persons, consents.subscribers, cal)
    for month, part in by_month(events).items():
        put(format_events(part, consents.subscribers), "emailing", "events", f"events_{month}.ndjson")
    log("e-mail events", events.height)
    clicks = web.email_clicks(events, consents.subscribers)
    del events

    # Web analytics: sessions of persons (their interests, moments, purchases, e-mail clicks),
    # prospects and bots; then one gzip NDJSON file per day.
    sessions = web.build_sessions(seed, persons, pref, ids, cal, tables, catalog, buys, clicks, chunk_persons)
    del buys, clicks
    log("web sessions", sessions.height)
    web_counts = write_web(
        seed,
        sessions,
        pref,
        tables,
        cal,
        catalog,
        [c.campaign_id for c in email_campaigns(cal)],
        landing,
        log,
    )
    rows.update(web_counts)
    cookies = web.cookie_truth(sessions)
    web_measures = stats.web_measures(sessions, cookies, web_counts, customers, cal)
    del sessions, pref

    acquisitions = build_acquisitions(seed, persons, ids, cal)
    put(acquisitions, "marketing", "acquisitions", "acquisitions.csv")
    put(build_spend(seed, acquisitions, cal), "marketing", "spend", "spend.csv")
    log("marketing", acquisitions.height)

    sources = source_records(ids, consents, guests)
    rows["ground_truth/campaigns.csv"] = write_csv(
        truth_frame(campaigns, erased, cal), truth / "campaigns.csv"
    )
    rows["ground_truth/persons.csv"] = write_csv(
        persons_frame(persons, ids, erased, stores, cal), truth / "persons.csv"
    )
    rows["ground_truth/source_records.csv"] = write_csv(sources, truth / "source_records.csv")
    rows["ground_truth/access_requests.csv"] = write_csv(
        consents.access_requests.select("request_id", "kind", "person_id"), truth / "access_requests.csv"
    )
    rows["ground_truth/web_cookies.csv"] = write_csv(
        web_cookies_frame(cookies, seed), truth / "web_cookies.csv"
    )
    write_text(README, truth / "README.md")
    log("ground truth", sources.height)

    measures = {**stats.overlap(persons, ids, sources), **tally.result(), **web_measures}
    write_json(
        {
            "generator": "platform_assets.demo",
            "seed": seed,
            "customers": customers,
            **({"identity_noise": identity_noise} if identity_noise != "demo" else {}),
            "start": start.isoformat(),
            "end": end.isoformat(),
            "rows": dict(sorted(rows.items())),
        },
        out_dir / "manifest.json",
    )
    sizes = {path: (out_dir / path).stat().st_size for path in rows}
    return GenerationSummary(out_dir, customers, seed, start, end, rows, sizes, log.seconds, measures)


def _write_records(put: Callable[..., None], ids, consents, stores: cat.Stores) -> None:
    put(ids.contacts, "crm", "contacts", "contacts.csv")
    put(
        ids.cards.with_columns(issuing_store_code=pl.Series(stores.code[ids.cards["store"].to_numpy()])),
        "loyalty",
        "cards",
        "cards.csv",
    )
    put(ids.accounts, "ecommerce", "accounts", "accounts.csv")
    put(consents.preferences, "consent", "preferences", "preferences.csv")
    put(consents.erasures, "consent", "erasure_requests", "erasure_requests.csv")
    put(consents.access_requests, "consent", "access_requests", "access_requests.csv")
