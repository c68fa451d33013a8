"""The generator's web analytics export (landing/web/events_YYYY-MM-DD.ndjson.gz) and its ground
truth (ground_truth/web_cookies.csv), on a small population."""

from __future__ import annotations

import gzip
import json
import math
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest

from platform_assets.demo.generator import GenerationSummary, generate
from platform_assets.landing.contracts import CONTRACTS_BY_TABLE

START, END = date(2023, 11, 1), date(2026, 10, 31)
WINDOW_START = date(2025, 10, 1)  # the last 13 calendar months
N = 2500
KEYS = CONTRACTS_BY_TABLE["web_events"].column_names  # the contract's keys, in order
EVENT_TYPES = {"session_start", "page_view", "product_view", "search", "cart_add", "cart_remove", "login"}
PAGE_TYPES = {"home", "category", "product", "search", "cart", "checkout", "account"}
# Documented band (platform_assets/demo/README.md): events of persons and prospects per customer and
# year; bots come on top (a few thousand events each).
EVENTS_PER_CUSTOMER_YEAR = (22.0, 36.0)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> GenerationSummary:
    return generate(tmp_path_factory.mktemp("web"), N, seed=11, start=START, end=END, progress=False)


@pytest.fixture(scope="module")
def events(dataset: GenerationSummary) -> pl.DataFrame:
    files = sorted((dataset.out_dir / "landing" / "web").glob("events_*.ndjson.gz"))
    frames = [
        pl.read_ndjson(gzip.decompress(f.read_bytes()), schema=dict.fromkeys(KEYS, pl.String)).with_columns(
            _file=pl.lit(f.name)
        )
        for f in files
    ]
    return pl.concat(frames)


@pytest.fixture(scope="module")
def cookies(dataset: GenerationSummary) -> pl.DataFrame:
    return pl.read_csv(dataset.out_dir / "ground_truth" / "web_cookies.csv", infer_schema=False)


def truth(out: Path, name: str) -> pl.DataFrame:
    return pl.read_csv(out / "ground_truth" / f"{name}.csv", infer_schema=False)


def with_person(events: pl.DataFrame, cookies: pl.DataFrame) -> pl.DataFrame:
    return events.join(cookies, on="cookie_id", how="left")


def test_one_gzip_ndjson_file_per_day_with_exactly_the_contract_keys(dataset: GenerationSummary) -> None:
    folder = dataset.out_dir / "landing" / "web"
    days = (END - WINDOW_START).days + 1
    expected = [f"events_{WINDOW_START + timedelta(days=d)}.ndjson.gz" for d in range(days)]
    files = sorted(folder.iterdir())
    assert [f.name for f in files] == expected
    previous = ""
    for f in files:
        raw = f.read_bytes()
        assert raw[:2] == b"\x1f\x8b"  # gzip
        rows = [json.loads(line) for line in gzip.decompress(raw).decode("utf-8").splitlines()]
        assert rows, f.name
        for row in rows:
            assert list(row) == KEYS, f.name
        stamps = [(r["event_at"], r["event_id"]) for r in rows]
        assert stamps == sorted(stamps), f"{f.name} not sorted by event_at, event_id"
        assert all(r["event_at"][:10] == f.name[7:17] for r in rows), f.name
        assert rows[0]["event_id"] > previous  # ids keep increasing from file to file
        previous = rows[-1]["event_id"]


def test_values_follow_the_contract(dataset: GenerationSummary, events: pl.DataFrame) -> None:
    e = events
    assert e["event_id"].str.contains(r"^WEB\d{12}$").all() and e["event_id"].n_unique() == e.height
    assert e["event_at"].str.contains(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$").all()
    assert e["cookie_id"].str.contains(r"^ck_[0-9a-f]{16}$").all()
    assert e["session_id"].null_count() == 0 and e["user_agent"].null_count() == 0
    assert e["ip_address"].str.contains(r"^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$").all()
    assert set(e["event_type"]) == EVENT_TYPES
    assert set(e["country_code"]) == {"FR", "PL", "GB"}
    starts = e.filter(pl.col("event_type") == "session_start")
    assert starts["session_id"].n_unique() == starts.height == e["session_id"].n_unique()
    assert starts["page_type"].null_count() == starts.height
    assert set(e["page_type"].drop_nulls()) == PAGE_TYPES
    others = e.filter(pl.col("event_type") != "session_start")
    for col in ("utm_source", "utm_medium", "utm_campaign"):
        assert others[col].null_count() == others.height, col
    assert set(starts["utm_medium"].drop_nulls()) == {"cpc", "social", "email", "referral", "display"}
    assert 0.25 <= starts["utm_medium"].null_count() / starts.height <= 0.6  # direct visits
    paid = starts.filter(pl.col("utm_medium").is_not_null())
    assert paid["utm_source"].null_count() == 0 and paid["utm_campaign"].null_count() == 0
    # only logins carry an account, only searches a query, products and carts a SKU
    assert (e["account_id"].is_not_null() == (e["event_type"] == "login")).all()
    assert (e["search_query"].is_not_null() == (e["event_type"] == "search")).all()
    has_sku = e["event_type"].is_in(["product_view", "cart_add", "cart_remove"])
    assert (e["sku"].is_not_null() == has_sku).all()
    has_category = has_sku | ((e["event_type"] == "page_view") & (e["page_type"] == "category"))
    assert (e["category_id"].is_not_null() == has_category).all()
    out = dataset.out_dir / "landing"
    categories = pl.read_csv(out / "catalog" / "categories.csv", infer_schema=False)
    products = pl.read_csv(out / "catalog" / "products.csv", infer_schema=False)
    assert e["category_id"].drop_nulls().is_in(categories.filter(pl.col("level") == "2")["category_id"]).all()
    viewed = e.filter(has_sku).join(products.select("sku", pl.col("category_id").alias("c")), on="sku")
    assert viewed.height == has_sku.sum() and (viewed["category_id"] == viewed["c"]).all()
    # a cart_remove follows a cart_add of the same product in the session
    carts = e.filter(pl.col("event_type").is_in(["cart_add", "cart_remove"]))
    removed = carts.filter(pl.col("event_type") == "cart_remove").select("session_id", "sku").unique()
    added = carts.filter(pl.col("event_type") == "cart_add").select("session_id", "sku").unique()
    assert removed.join(added, on=["session_id", "sku"], how="anti").height == 0
    searches = e.filter(pl.col("event_type") == "search")["search_query"]
    assert searches.str.to_lowercase().is_in(["paint", "laminate", "cordless drill"]).any()


def test_email_links_carry_the_campaign_the_person_clicked(
    dataset: GenerationSummary, events: pl.DataFrame, cookies: pl.DataFrame
) -> None:
    out = dataset.out_dir
    mail = (
        with_person(events, cookies)
        .filter(pl.col("utm_medium") == "email")
        .select("utm_campaign", "person_id", "shared_person_id")
    )
    assert mail.height > 50
    subscribers = truth(out, "source_records").filter(pl.col("source_system") == "emailing")
    clicks = (
        pl.read_ndjson(list((out / "landing" / "emailing").glob("events_*.ndjson")))
        .filter(pl.col("event_type") == "click")
        .join(subscribers, left_on="subscriber_id", right_on="source_id")
        .select(pl.col("campaign_id").alias("utm_campaign"), pl.col("person_id").alias("clicker"))
        .unique()
    )
    matched = mail.join(clicks, on="utm_campaign").filter(
        (pl.col("clicker") == pl.col("person_id")) | (pl.col("clicker") == pl.col("shared_person_id"))
    )
    assert matched.select("utm_campaign", "person_id").unique().height == mail.unique().height


def test_logins_only_by_persons_with_an_account_on_their_own_cookies(
    dataset: GenerationSummary, events: pl.DataFrame, cookies: pl.DataFrame
) -> None:
    out = dataset.out_dir
    accounts = truth(out, "source_records").filter(pl.col("source_system") == "ecommerce")
    logins = with_person(events.filter(pl.col("event_type") == "login"), cookies).join(
        accounts.select("source_id", pl.col("person_id").alias("account_person")),
        left_on="account_id",
        right_on="source_id",
        how="left",
    )
    assert logins.height > 500
    assert logins["account_person"].null_count() == 0  # every account logged in with exists
    own = (pl.col("account_person") == pl.col("person_id")) | (
        pl.col("account_person") == pl.col("shared_person_id")
    )
    assert logins.select(own.fill_null(False).all()).item()  # never on a prospect's or a bot's cookie
    person_cookies = cookies.filter(pl.col("person_id").is_not_null())
    logged = logins["cookie_id"].n_unique() / person_cookies.height
    assert 0.1 <= logged <= 0.7  # most cookies stay anonymous; stitching has something to tie
    # several cookies per person: devices and cookie resets
    per_person = person_cookies.group_by("person_id").len()
    assert 1.5 <= per_person["len"].mean() <= 4.0 and per_person["len"].max() >= 4
    # a shared computer: both persons log in on it somewhere
    shared = logins.filter(pl.col("shared_person_id").is_not_null())
    both = shared.group_by("cookie_id").agg(pl.col("account_person").n_unique().alias("k"))
    assert both.filter(pl.col("k") == 2).height >= 1
    assert 0.005 <= cookies["shared_person_id"].is_not_null().sum() / person_cookies.height <= 0.05


def test_account_web_orders_have_their_session_with_login(
    dataset: GenerationSummary, events: pl.DataFrame
) -> None:
    orders = (
        pl.read_csv(
            list((dataset.out_dir / "landing" / "ecommerce").glob("orders_*.csv")), infer_schema=False
        )
        .filter(pl.col("account_id").is_not_null())
        .with_columns(at=pl.col("ordered_at").str.to_datetime("%Y-%m-%dT%H:%M:%SZ"))
        .filter(pl.col("at") >= pl.datetime(WINDOW_START.year, WINDOW_START.month, 1) + pl.duration(hours=3))
    )
    logins = events.filter(pl.col("event_type") == "login").select(
        "account_id", pl.col("event_at").str.to_datetime("%Y-%m-%dT%H:%M:%SZ").alias("login_at")
    )
    near = orders.join(logins, on="account_id").filter(
        (pl.col("login_at") <= pl.col("at") + pl.duration(minutes=10))
        & (pl.col("login_at") >= pl.col("at") - pl.duration(hours=2))
    )
    assert orders.height > 200
    assert near["order_id"].n_unique() / orders.height >= 0.97


def test_bots_exist_are_marked_and_stand_out_by_volume(events: pl.DataFrame, cookies: pl.DataFrame) -> None:
    e = with_person(events, cookies)
    bots = cookies.filter(pl.col("is_bot") == "true")
    assert bots.height >= 3 and bots["person_id"].null_count() == bots.height
    per_cookie = e.group_by("cookie_id", "is_bot").agg(
        pl.len().alias("events"), pl.col("user_agent").first(), pl.col("account_id").drop_nulls().len()
    )
    bot_rows = per_cookie.filter(pl.col("is_bot") == "true")
    assert bot_rows.height == bots.height
    assert (bot_rows["events"] >= 1000).all() and (bot_rows["account_id"] == 0).all()
    declared = bot_rows["user_agent"].str.contains(r"(?i)bot|crawl|spider|python|curl|scrapy|headless")
    assert declared.any() and not declared.all()  # some pose as a browser: only their volume shows
    daily = e.group_by("cookie_id", "is_bot", pl.col("event_at").str.slice(0, 10)).len()
    assert daily.filter(pl.col("is_bot") == "true")["len"].max() >= 500
    assert daily.filter(pl.col("is_bot") == "false")["len"].max() < 200


def test_volume_per_customer_and_year_is_in_the_documented_band(
    dataset: GenerationSummary, events: pl.DataFrame, cookies: pl.DataFrame
) -> None:
    e = with_person(events, cookies)
    years = ((END - WINDOW_START).days + 1) / 365.25
    humans = e.filter(pl.col("is_bot") == "false")
    low, high = EVENTS_PER_CUSTOMER_YEAR
    assert low <= humans.height / N / years <= high
    prospects = humans.filter(pl.col("person_id").is_null())
    assert 0.05 <= prospects.height / humans.height <= 0.25  # visitors who are not customers
    assert dataset.measures["web_events"] == events.height
    assert (
        dataset.rows[f"landing/web/events_{END}.ndjson.gz"]
        == events.filter(pl.col("_file") == f"events_{END}.ndjson.gz").height
    )


# Departments a moment makes people browse in its lead-in (catalog.MOMENT_AFTER_DEPTS and the
# departments of MOMENT_LEAD_CATEGORIES; for renovation only what is bought after: its lead-in
# signals span half the catalogue).
MOMENT_DEPTS = {
    "moving_at": ["D02", "D03", "D06", "D08"],
    "renovation_at": ["D04", "D05", "D10"],
    "new_garden_at": ["D01"],
}


@pytest.mark.parametrize("moment", list(MOMENT_DEPTS))
def test_browsing_before_a_life_moment_is_enriched_in_its_departments(
    dataset: GenerationSummary, events: pl.DataFrame, cookies: pl.DataFrame, moment: str
) -> None:
    """Product and category views of persons in the 30 days before their moment fall in the moment's
    departments far more often than other persons' views in the same months (the base rate)."""
    persons = truth(dataset.out_dir, "persons").select("person_id", pl.col(moment).str.to_date().alias("m"))
    views = (
        with_person(events, cookies)
        .filter(pl.col("person_id").is_not_null() & pl.col("shared_person_id").is_null())
        .filter(pl.col("category_id").is_not_null() & (pl.col("event_type") != "cart_remove"))
        .select(
            "person_id",
            pl.col("event_at").str.slice(0, 10).str.to_date().alias("day"),
            pl.col("category_id").str.slice(0, 3).is_in(MOMENT_DEPTS[moment]).alias("hit"),
        )
        .join(persons, on="person_id")
        .with_columns(month=pl.col("day").dt.strftime("%Y-%m"))
    )
    before = (pl.col("m") - pl.col("day")).dt.total_days()
    lead = views.filter((before >= 1) & (before <= 30))
    base = views.filter(pl.col("m").is_null()).group_by("month").agg(pl.col("hit").mean().alias("p"))
    lead = lead.join(base, on="month")
    assert lead["person_id"].n_unique() >= 20 and lead.height >= 200
    observed, expected = lead["hit"].sum(), lead["p"].sum()
    sd = math.sqrt((lead["p"] * (1 - lead["p"])).sum())
    assert observed / expected >= 1.5, (moment, observed, expected)
    assert (observed - expected) / sd >= 5, (moment, observed, expected, sd)
