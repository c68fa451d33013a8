"""Ground truth the pipeline never reads: the true persons and which source records are theirs."""

from __future__ import annotations

import numpy as np
import polars as pl

from platform_assets.demo import config as cfg
from platform_assets.demo.catalog import Stores
from platform_assets.demo.consent import Consents
from platform_assets.demo.identities import Identities
from platform_assets.demo.noise import e164
from platform_assets.demo.timeline import Calendar
from platform_assets.demo.web import cookie_ids
from platform_assets.demo.writers import iso_date, padded, ts_utc


def person_id(expr: pl.Expr) -> pl.Expr:
    return padded(expr + 1, 8, "P")


def persons_frame(
    persons: pl.DataFrame, ids: Identities, erased: np.ndarray, stores: Stores, cal: Calendar
) -> pl.DataFrame:
    def day_col(name: str) -> pl.Expr:
        return pl.when(pl.col(name) >= 0).then(iso_date(pl.col(name).cast(pl.Int64) + cal.start_epoch_day))

    country = persons["country"].to_numpy()
    return persons.select(
        person_id(pl.col("pid")).alias("person_id"),
        pl.Series(np.array(cfg.COUNTRIES)[country]).alias("country_code"),
        "first_name",
        "last_name",
        iso_date(pl.col("birth_day")).alias("birth_date"),
        "email",
        e164(persons["phone_nsn"], country).alias("phone_e164"),
        pl.Series(np.array(cfg.PROFILES)[persons["profile"].to_numpy()]).alias("behaviour_profile"),
        pl.Series(np.array(cfg.CHANNELS)[persons["channel"].to_numpy()]).alias("acquisition_channel"),
        ts_utc(pl.Series(ids.acq_sec)).alias("first_purchase_at"),
        day_col("churn_day").alias("churned_at"),
        day_col("moving_day").alias("moving_at"),
        day_col("renovation_day").alias("renovation_at"),
        day_col("garden_day").alias("new_garden_at"),
        pl.Series(erased).alias("erased"),
        # Extra context for evaluation (not part of any source).
        pl.when(pl.col("female")).then(pl.lit("F")).otherwise(pl.lit("M")).alias("gender"),
        pl.Series(stores.code[persons["home_store"].to_numpy()]).alias("home_store_code"),
        pl.col("web_share").round(3),
        "street",
        "postcode",
        "city",
    ).sort("person_id")


def web_cookies_frame(cookies: pl.DataFrame, seed: int) -> pl.DataFrame:
    """Every cookie of the web export: its person, the second person of a shared computer, bots."""
    return cookies.select(
        pl.Series(cookie_ids(cookies["cookie"].to_numpy(), seed)).alias("cookie_id"),
        person_id(pl.col("pid")).alias("person_id"),
        "is_bot",
        person_id(pl.col("shared_pid")).alias("shared_person_id"),
    ).sort("cookie_id")


def source_records(ids: Identities, consents: Consents, guests: pl.DataFrame) -> pl.DataFrame:
    parts = [
        ids.contacts.select(
            pl.lit("crm").alias("source_system"), pl.col("contact_id").alias("source_id"), "pid"
        ),
        ids.cards.select(
            pl.lit("loyalty").alias("source_system"), pl.col("card_number").alias("source_id"), "pid"
        ),
        ids.accounts.select(
            pl.lit("ecommerce").alias("source_system"), pl.col("account_id").alias("source_id"), "pid"
        ),
        guests.select("source_system", "source_id", pl.col("pid").cast(pl.Int32)),
        consents.subscribers.select(
            pl.lit("emailing").alias("source_system"), pl.col("subscriber_id").alias("source_id"), "pid"
        ),
        consents.erasures.select(
            pl.lit("consent").alias("source_system"), pl.col("request_id").alias("source_id"), "pid"
        ),
    ]
    return (
        pl.concat([p.with_columns(pl.col("pid").cast(pl.Int32)) for p in parts])
        .select("source_system", "source_id", person_id(pl.col("pid")).alias("person_id"))
        .sort("source_system", "source_id")
    )


README = """# Ground truth of the synthetic retailer

Written by `python -m platform_assets.demo`; **the pipeline never reads this folder**. It is the
answer key for identity resolution, churn, life-moment and value models.

## persons.csv — one row per true person
| column | meaning |
|---|---|
| person_id | `P` + 8 digits, stable for a given seed and customer count |
| country_code | business unit: FR, PL or GB |
| first_name, last_name, birth_date, email, phone_e164 | the true identity (sources hold noisy copies) |
| behaviour_profile | loyal, regular, occasional or one_shot |
| acquisition_channel | paid_search, social, display, affiliate, print_flyer, organic_search, store_walk_in, referral |
| first_purchase_at | UTC time of the first purchase (the acquisition) |
| churned_at | date the person stops buying (no purchase on or after it); empty if never |
| moving_at, renovation_at, new_garden_at | date the life moment starts; empty if none. Signals start 30-90 days before, big baskets follow for 60-120 days |
| erased | true if the person filed a right-to-erasure request (consent/erasure_requests.csv) |
| gender, home_store_code, web_share, street, postcode, city | extra context: home store and address at acquisition, share of visits made on the web shop |

## source_records.csv — which person each person-bearing source record belongs to
| source_system | source_id is |
|---|---|
| crm | crm/contacts.csv contact_id (duplicates of one person map to the same person) |
| loyalty | loyalty/cards.csv card_number |
| ecommerce | ecommerce/accounts.csv account_id |
| ecommerce_guest | ecommerce/orders_*.csv order_id of a guest checkout (no account) |
| emailing | emailing/events_*.ndjson subscriber_id |
| consent | consent/erasure_requests.csv request_id |

Receipts without a loyalty card are anonymous by design: about 3 % of persons only ever appear
there and cannot be identified. Account orders belong to the account's person; card receipts to
the card's person.

## access_requests.csv — who is behind each right-of-access request (consent/access_requests.csv)
| column | meaning |
|---|---|
| request_id | the request file's request_id |
| kind | known (a person with records), unknown (an e-mail nobody has), ambiguous (the e-mail of one person and the phone of another), erased (a person who asked to be erased earlier) |
| person_id | the person asking (for ambiguous: the e-mail's owner); empty for unknown |

## web_cookies.csv — who is behind each cookie of the web export (web/events_*.ndjson.gz)
| column | meaning |
|---|---|
| cookie_id | the export's cookie_id (`ck_` + 16 hex digits); one row per cookie seen in the export |
| person_id | the person using the browser (the device's owner); empty for prospects (visitors who are not in persons.csv) and bots |
| is_bot | true for crawlers and scrapers (thousands of events over a few days; half with a browser's user agent) |
| shared_person_id | the second person of a shared home computer (they may log in on it with their own account); else empty |

A person has several cookies (1-3 devices, cookies renewed every 30-400 days). Logins tie a cookie
to an ecommerce account_id (source_records.csv gives its person): only persons with an account log
in, on their own cookies or on a shared computer. Life moments are in persons.csv: browsing in the
30-90 days before moving_at, renovation_at, new_garden_at leans to the moment's departments.

## campaigns.csv — the true effect of each past campaign (campaigns/*.csv)
| column | meaning |
|---|---|
| campaign_code, country_code, channel, sent_on, measurement_days, currency | as in campaigns/campaigns.csv |
| treated_persons, control_persons | persons of the contact log in each group (persons who asked for erasure left out) |
| responders | treated persons who made the extra, campaign-driven visit |
| response_probability | the simulated probability that a treated (still active) person responds |
| incremental_revenue | net revenue of the campaign-driven visits booked inside the window (returns in the window deducted, cancelled orders excluded), local currency |
| true_incremental_revenue_per_treated | incremental_revenue / treated_persons: what the platform's treatment-minus-control revenue per customer estimates |

Everything else about treated and control persons is the same simulation, so the difference in
revenue per customer between the groups is the campaign's effect plus sampling noise.
"""
