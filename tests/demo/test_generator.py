"""Tests of the synthetic retailer generator (platform_assets.demo), on small populations."""

from __future__ import annotations

import gzip
import hashlib
import json
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from platform_assets.demo import config as cfg
from platform_assets.demo.__main__ import main
from platform_assets.demo.generator import GenerationSummary, generate
from platform_assets.landing.contracts import CONTRACTS, SourceContract
from platform_assets.lib.retailer import DEMO_RETAILER, load_retailer

DEMO = load_retailer(DEMO_RETAILER)  # the demo's file layout

START, END = date(2023, 11, 1), date(2026, 10, 31)
N = 1500
# optional contract columns the demo does not generate (read as empty at load)
NOT_GENERATED = {"customer_number", "address_line_2"}
MONTHS = [
    f"{y}{m:02d}"
    for y in (2023, 2024, 2025, 2026)
    for m in range(1, 13)
    if "202311" <= f"{y}{m:02d}" <= "202610"
]


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> GenerationSummary:
    return generate(tmp_path_factory.mktemp("demo"), N, seed=7, start=START, end=END, progress=False)


def read(out: Path, contract: SourceContract) -> pl.DataFrame:
    """All files of a source as text (empty -> null), with the file name."""
    layout = DEMO.sources[contract.table]
    files = sorted((out / "landing").glob(layout.files))
    frames = []
    for f in files:
        if layout.format == "ndjson":
            df = pl.read_ndjson(f, schema={c: pl.String for c in contract.column_names})
        else:
            df = pl.read_csv(f, separator=layout.delimiter, infer_schema=False)
        frames.append(df.with_columns(_file=pl.lit(f.name)))
    return pl.concat(frames)


def src(out: Path, table: str) -> pl.DataFrame:
    return read(out, next(c for c in CONTRACTS if c.table == table))


def truth(out: Path, name: str) -> pl.DataFrame:
    return pl.read_csv(out / "ground_truth" / f"{name}.csv", infer_schema=False)


def digests(out: Path) -> dict[str, str]:
    return {
        str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(out.rglob("*"))
        if p.is_file()
    }


# --- determinism ------------------------------------------------------------------------------


def test_same_seed_same_bytes_and_other_seed_differs(tmp_path: Path) -> None:
    a = generate(tmp_path / "a", 400, seed=3, start=START, end=END, progress=False)
    b = generate(tmp_path / "b", 400, seed=3, start=START, end=END, progress=False)
    c = generate(tmp_path / "c", 400, seed=4, start=START, end=END, progress=False)
    da, db, dc = digests(a.out_dir), digests(b.out_dir), digests(c.out_dir)
    assert da == db
    assert len(da) > 100
    differing = [k for k in da if da[k] != dc.get(k)]
    assert "landing/pos/receipts_202605.csv" in differing
    assert "landing/web/events_2026-05-14.ndjson.gz" in differing  # gzip without a time stamp
    assert "ground_truth/web_cookies.csv" in differing
    assert "ground_truth/persons.csv" in differing
    assert len(differing) > 0.9 * len(da) - 5  # only the fixed reference files may coincide


def test_rerun_replaces_previous_output(tmp_path: Path) -> None:
    generate(tmp_path, 200, seed=1, start=date(2024, 1, 1), end=date(2026, 10, 31), progress=False)
    generate(tmp_path, 200, seed=1, start=date(2025, 1, 1), end=date(2026, 10, 31), progress=False)
    assert not list((tmp_path / "landing" / "pos").glob("receipts_2024*.csv"))


# --- contracts --------------------------------------------------------------------------------


@pytest.mark.parametrize("contract", CONTRACTS, ids=lambda c: c.table)
def test_files_match_contract(dataset: GenerationSummary, contract: SourceContract) -> None:
    layout = DEMO.sources[contract.table]
    files = sorted((dataset.out_dir / "landing").glob(layout.files))
    assert files, f"no file for {contract.table}"
    if "*" in layout.files and contract.system in ("pos", "ecommerce"):
        assert [f.stem.rsplit("_", 1)[1] for f in files] == MONTHS
    # every contract column in order, but the optional ones the demo does not generate
    written = [c for c in contract.column_names if c not in NOT_GENERATED]
    for f in files:
        opener = gzip.open if f.suffix == ".gz" else open
        with opener(f, "rt", encoding="utf-8") as handle:
            text = handle.read()
        first = text.split("\n", 1)[0]
        if layout.format == "ndjson":
            for line in text.splitlines():
                assert list(json.loads(line)) == written
        else:
            assert first.split(layout.delimiter) == written, f.name
    df = read(dataset.out_dir, contract)
    for name in contract.required_columns:
        assert df[name].null_count() == 0, f"{contract.table}.{name} has empty values"
    assert df.select(contract.primary_key).is_duplicated().sum() == 0, (
        f"{contract.table} primary key not unique"
    )


def test_monthly_files_hold_their_month(dataset: GenerationSummary) -> None:
    out = dataset.out_dir
    receipts = src(out, "pos_receipts")
    assert (
        receipts["ticket_ts"].str.slice(0, 7).str.replace("-", "") == receipts["_file"].str.slice(9, 6)
    ).all()
    lines = src(out, "ecommerce_order_lines")
    assert (lines["line_at"].str.slice(0, 7).str.replace("-", "") == lines["_file"].str.slice(12, 6)).all()
    events = src(out, "emailing_events")
    assert (events["event_at"].str.slice(0, 7).str.replace("-", "") == events["_file"].str.slice(7, 6)).all()


def test_formats(dataset: GenerationSummary) -> None:
    out = dataset.out_dir
    contacts = src(out, "crm_contacts")
    assert contacts["birth_date"].drop_nulls().str.contains(r"^\d{2}/\d{2}/\d{4}$").all()
    assert contacts["created_at"].str.contains(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$").all()
    assert contacts["contact_id"].str.contains(r"^C\d{8}$").all()
    assert src(out, "loyalty_cards")["card_number"].str.contains(r"^\d{13}$").all()
    assert src(out, "ecommerce_accounts")["account_id"].str.contains(r"^[0-9a-f]{12}$").all()
    assert src(out, "catalog_products")["sku"].str.contains(r"^\d{8}$").all()
    assert src(out, "pos_receipts")["ticket_ts"].str.contains(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$").all()
    assert (
        src(out, "ecommerce_orders")["ordered_at"]
        .str.contains(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
        .all()
    )
    assert 1500 <= src(out, "catalog_products").height <= 3000
    stores = src(out, "erp_stores")
    assert set(stores.filter(pl.col("store_type") == "web")["store_code"]) == {"WEB-FR", "WEB-PL", "WEB-GB"}


def test_manifest_counts_rows(dataset: GenerationSummary) -> None:
    manifest = json.loads((dataset.out_dir / "manifest.json").read_text())
    assert manifest["seed"] == 7 and manifest["customers"] == N
    for path, rows in manifest["rows"].items():
        opener = gzip.open if path.endswith(".gz") else open
        with opener(dataset.out_dir / path, "rb") as f:
            assert sum(1 for _ in f) == rows + (path.endswith(".csv"))
    assert any(path.startswith("landing/web/") for path in manifest["rows"])


# --- coverage and noise -----------------------------------------------------------------------


def test_overlap_rates_plausible(dataset: GenerationSummary) -> None:
    m = dataset.measures
    assert 0.68 <= m["share_crm"] <= 0.82
    assert 0.52 <= m["share_loyalty"] <= 0.68
    assert 0.33 <= m["share_ecommerce_account"] <= 0.47
    assert 0.03 <= m["crm_duplicate_rate"] <= 0.11
    assert 0.01 <= m["share_anonymous_only"] <= 0.06
    assert m["share_in_2plus_sources"] >= 0.6
    assert 0.12 <= m["wrong_or_duplicate_crm_records"] <= 0.30
    persons = truth(dataset.out_dir, "persons")
    shares = persons["country_code"].value_counts(normalize=True).sort("country_code")
    assert dict(shares.iter_rows()) == pytest.approx({"FR": 0.55, "GB": 0.20, "PL": 0.25}, abs=0.05)


def test_crm_noise_present(dataset: GenerationSummary) -> None:
    contacts = src(dataset.out_dir, "crm_contacts")
    assert 0.05 <= contacts["email"].null_count() / contacts.height <= 0.16
    assert 0.14 <= contacts["phone"].null_count() / contacts.height <= 0.28
    assert 0.28 <= contacts["birth_date"].null_count() / contacts.height <= 0.42
    assert (contacts["last_name"] == contacts["last_name"].str.to_uppercase()).mean() > 0.1
    fr = contacts.filter(pl.col("country_code") == "FR")["phone"].drop_nulls()
    assert fr.str.contains(r"^0\d \d{2} \d{2} \d{2} \d{2}$").any() and fr.str.contains(r"^\+33\d{9}$").any()


# --- ground truth -----------------------------------------------------------------------------


def test_every_person_bearing_record_maps_to_one_person(dataset: GenerationSummary) -> None:
    out = dataset.out_dir
    sources = truth(out, "source_records")
    persons = truth(out, "persons")
    assert sources.select("source_system", "source_id").is_duplicated().sum() == 0
    assert sources["person_id"].is_in(persons["person_id"].implode()).all()
    orders = src(out, "ecommerce_orders")
    expected = {
        "crm": set(src(out, "crm_contacts")["contact_id"]),
        "loyalty": set(src(out, "loyalty_cards")["card_number"]),
        "ecommerce": set(src(out, "ecommerce_accounts")["account_id"]),
        "ecommerce_guest": set(orders.filter(pl.col("account_id").is_null())["order_id"]),
        "emailing": set(src(out, "emailing_events")["subscriber_id"]),
        "consent": set(src(out, "consent_erasure_requests")["request_id"]),
    }
    for system, ids in expected.items():
        mapped = set(sources.filter(pl.col("source_system") == system)["source_id"])
        assert ids <= mapped, system
        if system != "emailing":  # subscribers never mailed in the last year have no events
            assert mapped == ids, system
    erased = persons.filter(pl.col("erased") == "true")["person_id"]
    assert set(erased) == set(sources.filter(pl.col("source_system") == "consent")["person_id"])


def test_cards_belong_to_their_contacts_person(dataset: GenerationSummary) -> None:
    out = dataset.out_dir
    gt = truth(out, "source_records")
    cards = src(out, "loyalty_cards")
    assert cards["contact_id"].is_in(src(out, "crm_contacts")["contact_id"].implode()).all()
    card_person = cards.join(
        gt.filter(pl.col("source_system") == "loyalty"), left_on="card_number", right_on="source_id"
    )
    contact_person = gt.filter(pl.col("source_system") == "crm").select(
        "source_id", pl.col("person_id").alias("p2")
    )
    both = card_person.join(contact_person, left_on="contact_id", right_on="source_id")
    assert both.height == cards.height
    assert (both["person_id"] == both["p2"]).all()
    receipts = src(out, "pos_receipts")
    assert receipts["loyalty_card_no"].drop_nulls().is_in(cards["card_number"].implode()).all()
    assert 0.3 <= receipts["loyalty_card_no"].is_not_null().mean() <= 0.8


def _identified_sales(out: Path) -> pl.DataFrame:
    """Sales and return lines of identifiable transactions: person, date, department, amount."""
    gt = truth(out, "source_records")
    product_dept = src(out, "catalog_products").select(
        "sku", pl.col("category_id").str.slice(0, 3).alias("dept")
    )
    receipts = src(out, "pos_receipts").join(
        gt.filter(pl.col("source_system") == "loyalty"), left_on="loyalty_card_no", right_on="source_id"
    )
    pos = src(out, "pos_receipt_lines").join(
        receipts.select("ticket_id", "ticket_ts", "person_id"), on="ticket_id"
    )
    pos = pos.select(
        "person_id",
        pl.col("ticket_ts").str.slice(0, 10).str.to_date().alias("day"),
        "sku",
        pl.col("line_amount").cast(pl.Float64).alias("amount"),
        pl.col("qty").cast(pl.Int64).alias("qty"),
    )
    orders = src(out, "ecommerce_orders")
    account_gt = gt.filter(pl.col("source_system") == "ecommerce").select("source_id", "person_id")
    guest_gt = gt.filter(pl.col("source_system") == "ecommerce_guest").select(
        "source_id", pl.col("person_id").alias("g")
    )
    orders = (
        orders.join(account_gt, left_on="account_id", right_on="source_id", how="left")
        .join(guest_gt, left_on="order_id", right_on="source_id", how="left")
        .with_columns(person_id=pl.coalesce("person_id", "g"))
    )
    assert orders["person_id"].null_count() == 0
    web = src(out, "ecommerce_order_lines").join(orders.select("order_id", "person_id"), on="order_id")
    web = web.select(
        "person_id",
        pl.col("line_at").str.slice(0, 10).str.to_date().alias("day"),
        "sku",
        (
            pl.col("quantity").cast(pl.Float64) * pl.col("unit_price").cast(pl.Float64)
            - pl.col("discount").cast(pl.Float64)
        ).alias("amount"),
        pl.col("quantity").cast(pl.Int64).alias("qty"),
    )
    return pl.concat([pos, web]).join(product_dept, on="sku", how="left")


def test_no_purchase_after_churn_and_references_exist(dataset: GenerationSummary) -> None:
    out = dataset.out_dir
    sales = _identified_sales(out)
    assert sales["dept"].null_count() == 0  # every SKU sold exists in the catalogue
    persons = truth(out, "persons").select("person_id", pl.col("churned_at").str.to_date())
    late = sales.join(persons, on="person_id").filter(
        pl.col("churned_at").is_not_null() & (pl.col("day") >= pl.col("churned_at"))
    )
    assert late.height == 0
    stores = set(src(out, "erp_stores")["store_code"])
    assert set(src(out, "pos_receipts")["store_code"]) <= stores
    assert (
        src(out, "ecommerce_orders")["account_id"]
        .drop_nulls()
        .is_in(src(out, "ecommerce_accounts")["account_id"].implode())
        .all()
    )


def test_returns_negative_and_flagged(dataset: GenerationSummary) -> None:
    out = dataset.out_dir
    lines = src(out, "pos_receipt_lines").with_columns(
        qty=pl.col("qty").cast(pl.Int64),
        unit=(pl.col("unit_price").cast(pl.Float64) * 100).round(),
        disc=(pl.col("discount_amount").cast(pl.Float64) * 100).round(),
        amount=(pl.col("line_amount").cast(pl.Float64) * 100).round(),
    )
    ret = lines.filter(pl.col("is_return") == "Y")
    sale = lines.filter(pl.col("is_return") == "N")
    assert ret.height > 0 and (ret["qty"] < 0).all() and (ret["amount"] < 0).all()
    assert (sale["qty"] > 0).all() and (sale["amount"] >= 0).all()
    assert (lines["disc"] >= 0).all()
    # amount = sign(qty) * (|qty| * unit_price - discount)
    assert (
        lines["amount"] == lines["qty"].sign() * (lines["qty"].abs() * lines["unit"] - lines["disc"])
    ).all()
    totals = lines.group_by("ticket_id").agg(pl.col("amount").sum())
    receipts = src(out, "pos_receipts").with_columns(
        total=(pl.col("total_amount").cast(pl.Float64) * 100).round()
    )
    joined = receipts.join(totals, on="ticket_id")
    assert joined.height == receipts.height and (joined["total"] == joined["amount"]).all()
    web = src(out, "ecommerce_order_lines").with_columns(pl.col("quantity").cast(pl.Int64))
    assert ((web["line_type"] == "return") == (web["quantity"] < 0)).all()
    assert 0.02 <= (lines["is_return"] == "Y").mean() <= 0.07
    returned = src(out, "ecommerce_orders").filter(pl.col("order_status") == "returned")["order_id"]
    per_order = (
        web.filter(pl.col("order_id").is_in(returned.implode()))
        .group_by("order_id")
        .agg(pl.col("quantity").sum())
    )
    assert (per_order["quantity"] == 0).all()  # returned orders had every line returned


# --- behaviour --------------------------------------------------------------------------------

MOMENT_DEPTS = {
    "moving_at": ["D02", "D03", "D06", "D08"],
    "renovation_at": ["D04", "D05", "D10"],
    "new_garden_at": ["D01"],
}


@pytest.mark.parametrize("moment", list(MOMENT_DEPTS))
def test_life_moment_persons_buy_more_in_moment_departments_after(
    dataset: GenerationSummary, moment: str
) -> None:
    out = dataset.out_dir
    sales = _identified_sales(out).filter(pl.col("qty") > 0)
    people = truth(out, "persons").select("person_id", pl.col(moment).str.to_date().alias("m")).drop_nulls()
    people = people.filter((pl.col("m") >= date(2024, 3, 1)) & (pl.col("m") <= date(2026, 7, 31)))
    assert people.height >= 40
    s = sales.join(people, on="person_id").filter(pl.col("dept").is_in(MOMENT_DEPTS[moment]))
    offset = (pl.col("day") - pl.col("m")).dt.total_days()
    after = s.filter((offset >= 0) & (offset < 90))["amount"].sum()
    before = s.filter((offset >= -90) & (offset < 0))["amount"].sum()
    assert after > 2.0 * before, (moment, after, before)


def test_sales_lines_per_customer_and_concentration(dataset: GenerationSummary) -> None:
    out = dataset.out_dir
    pos = src(out, "pos_receipt_lines").filter(pl.col("is_return") == "N").height
    web = src(out, "ecommerce_order_lines").filter(pl.col("line_type") == "sale").height
    assert 15 <= (pos + web) / N <= 30
    m = dataset.measures
    assert 5 <= m["visits_per_person"] <= 10
    assert m["top15pct_revenue_share"] > 0.5
    assert 0.28 <= m["churned_share_of_non_one_shot"] <= 0.42


def test_churners_slow_down_before_churn(dataset: GenerationSummary) -> None:
    out = dataset.out_dir
    sales = _identified_sales(out).filter(pl.col("qty") > 0)
    churners = (
        truth(out, "persons").select("person_id", pl.col("churned_at").str.to_date().alias("c")).drop_nulls()
    )
    s = sales.join(churners, on="person_id").with_columns(gap=(pl.col("c") - pl.col("day")).dt.total_days())
    recent = s.filter(pl.col("gap") <= 90).select(pl.struct("person_id", "day").n_unique()).item() / 90
    earlier = (
        s.filter((pl.col("gap") > 150) & (pl.col("gap") <= 330))
        .select(pl.struct("person_id", "day").n_unique())
        .item()
        / 180
    )
    assert recent < 0.8 * earlier


def test_marketing_spend_matches_acquisitions(dataset: GenerationSummary) -> None:
    """Spend / acquired records per country and paid channel lands near the configured CAC."""
    out = dataset.out_dir
    spend = src(out, "marketing_spend").with_columns(pl.col("spend").cast(pl.Float64))
    paid = [c for c, is_paid in zip(cfg.CHANNELS, cfg.PAID, strict=True) if is_paid]
    assert set(spend["channel"]) <= set(paid)
    acq = src(out, "marketing_acquisitions")
    assert set(acq["source_system"]) == {"crm", "ecommerce"}
    country_of = pl.concat(
        [
            src(out, "crm_contacts").select(pl.col("contact_id").alias("source_id"), "country_code"),
            src(out, "ecommerce_accounts").select(pl.col("account_id").alias("source_id"), "country_code"),
        ]
    )
    counts = (
        acq.join(country_of, on="source_id")
        .group_by("country_code", pl.col("acquisition_channel").alias("channel"))
        .len()
    )
    cac = (
        spend.group_by("country_code", "channel")
        .agg(pl.col("spend").sum())
        .join(counts, on=["country_code", "channel"])
    )
    assert cac.height == 3 * len(paid)
    for country, channel, total, n in cac.iter_rows():
        c, ch = cfg.COUNTRIES.index(country), cfg.CHANNELS.index(channel)
        expected = cfg.CAC_EUR[ch] * cfg.FX_PER_EUR[c] * cfg.COUNTRY_COST_LEVEL[c]
        assert total / n == pytest.approx(expected, rel=0.15), (country, channel)


def test_cli_writes_manifest(tmp_path: Path) -> None:
    assert main(["--customers", "150", "--seed", "5", "--out", str(tmp_path), "--quiet"]) == 0
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["customers"] == 150 and manifest["start"] == "2023-11-01"
    assert (tmp_path / "ground_truth" / "README.md").exists()


# --- The hard identity profile (--identity-noise hard) ---------------------------------------------


@pytest.fixture(scope="module")
def hard(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("hard")
    generate(out, 1000, seed=7, start=START, end=END, progress=False, identity_noise="hard")
    return out


def test_the_hard_profile_has_households_twins_and_sources_without_phones_with_ground_truth(hard):
    persons = pl.read_csv(hard / "ground_truth" / "persons.csv", infer_schema=False)
    address = persons.group_by("street", "postcode").agg(
        pl.len().alias("people"), pl.col("last_name").n_unique().alias("names")
    )
    assert address.filter(pl.col("people") > 1).height > 50  # households share an address
    assert address.filter((pl.col("people") > 1) & (pl.col("names") == 1)).height > 20  # most one surname
    twins = persons.group_by("last_name", "birth_date", "street").agg(
        pl.col("first_name").n_unique().alias("n")
    )
    assert twins.filter(pl.col("n") > 1).height >= 3  # twins: surname, birth date, address, two first names
    assert persons["first_name"].str.contains("-").sum() > 20  # compound first names
    accounts = pl.read_csv(hard / "landing" / "ecommerce" / "accounts.csv", infer_schema=False)
    assert accounts["phone"].null_count() == accounts.height  # a source without any phone
    contacts = pl.read_csv(hard / "landing" / "crm" / "contacts.csv", infer_schema=False)
    assert contacts["email"].null_count() / contacts.height > 0.15
    assert contacts["first_name"].str.ends_with(".").sum() > 5  # initials
    assert contacts["first_name"].null_count() > 5 and contacts["last_name"].null_count() > 2
    truth = pl.read_csv(hard / "ground_truth" / "source_records.csv", infer_schema=False)
    keyed = {("crm", c) for c in contacts["contact_id"]} | {("ecommerce", a) for a in accounts["account_id"]}
    assert keyed <= set(truth.select("source_system", "source_id").iter_rows())
    manifest = json.loads((hard / "manifest.json").read_text())
    assert manifest["identity_noise"] == "hard"


def test_the_demo_profile_is_unchanged_by_the_hard_one(tmp_path):
    """The default profile's files do not depend on the hard profile's code: the same seed gives the
    same bytes with and without naming the profile."""
    a, b = tmp_path / "a", tmp_path / "b"
    generate(a, 300, seed=3, start=START, end=END, progress=False)
    generate(b, 300, seed=3, start=START, end=END, progress=False, identity_noise="demo")
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert files and all((a / f).read_bytes() == (b / f).read_bytes() for f in files)
    with pytest.raises(ValueError, match="identity_noise"):
        generate(tmp_path / "c", 10, seed=3, start=START, end=END, progress=False, identity_noise="harder")
