"""standardise.py: phones with phonenumbers for any country, bad values nulled with a warning row,
records without a usable identifier flagged; and the dbt macros that fold names and addresses."""

import random
from datetime import date, datetime

import duckdb
import polars as pl
import pytest

from platform_assets.referential.identity.standardise import (
    NumberingPlan,
    _parse_one,
    normalise_phones,
    phone_digits,
    standardise_records,
)
from tests.dbt_macros import render_macro


@pytest.mark.parametrize(
    ("phone", "region", "e164"),
    [
        ("06 12 34 56 78", "FR", "+33612345678"),
        ("+33 6 12 34 56 78", "FR", "+33612345678"),
        ("0033612345678", "FR", "+33612345678"),
        ("512-345-678", "PL", "+48512345678"),
        ("+48 512 345 678", "PL", "+48512345678"),
        ("07911 123456", "GB", "+447911123456"),
        ("+44 (0)7911 123456", "GB", "+447911123456"),
        ("612 34 56 78", "ES", "+34612345678"),  # Spain: not a demo country
        ("(201) 555-0123", "US", "+12015550123"),  # nor the United States
        ("+1 201 555 0123", "FR", "+12015550123"),  # written internationally: any region reads it
        ("0151 23456789", "DE", "+4915123456789"),
        ("07 16 32 02 78", "FR", "+33716320278"),  # possible though not allocated yet: kept
    ],
)
def test_phones_are_read_in_their_business_units_region_for_any_country(phone, region, e164):
    out = normalise_phones(pl.DataFrame({"phone": [phone], "region": [region]}))
    assert out["phone_e164"].to_list() == [e164]


@pytest.mark.parametrize(
    ("phone", "region"),
    [("06 12 34", "FR"), ("12345", "PL"), ("not a phone", "GB"), ("0612345678", None), ("+99 123", "FR")],
)
def test_a_number_that_is_not_possible_is_null(phone, region):
    out = normalise_phones(
        pl.DataFrame({"phone": [phone], "region": [region]}, schema={"phone": pl.String, "region": pl.String})
    )
    assert out["phone_e164"].to_list() == [None]


def test_the_bulk_path_reads_every_number_as_phonenumbers_does():
    rng = random.Random(7)
    prefixes = ["", "0", "00", "+33", "+34", "+1", "+44", "+48", "06", "07", "+44 (0)7", "1"]
    rows = [
        (rng.choice(prefixes) + "".join(rng.choice("0123456789") for _ in range(rng.choice([8, 9, 10, 11]))),
         rng.choice(["FR", "PL", "GB", "ES", "US", "DE", "IT", None]))
        for _ in range(3000)
    ]  # fmt: skip
    frame = pl.DataFrame(rows, schema={"phone": pl.String, "region": pl.String}, orient="row")
    got = normalise_phones(frame)["phone_e164"].to_list()
    digits = frame.select(phone_digits(pl.col("phone")).alias("digits"))["digits"].to_list()
    expected = [_parse_one(d, r) if d else None for d, r in zip(digits, frame["region"], strict=True)]
    assert got == expected
    assert sum(v is not None for v in got) > 300  # the sample holds valid numbers of several countries


def test_regions_whose_national_prefix_is_a_pattern_are_left_to_phonenumbers():
    assert NumberingPlan.of("FR").national_prefix == "0"
    assert NumberingPlan.of("GB").calling_code == "44"
    assert NumberingPlan.of("AR") is None  # prefix for parsing with a transform rule
    out = normalise_phones(pl.DataFrame({"phone": ["011 15-2345-6789"], "region": ["AR"]}))
    assert out["phone_e164"].to_list() == [_parse_one("011152345678" + "9", "AR")]


def records_frame(rows: list[dict]) -> pl.DataFrame:
    dates = {"birth_date": pl.Date, "record_created_at": pl.Datetime}
    return pl.DataFrame(rows, schema={k: dates.get(k, pl.String) for k in rows[0]})


def record(record_id: str, **values) -> dict:
    base = {
        "record_id": record_id,
        "source_system": record_id.split(":")[0],
        "source_id": record_id.split(":")[1],
        "country_code": "FR",
        "first_name": "Anne",
        "last_name": "Martin",
        "email": None,
        "phone": None,
        "street": None,
        "address_line_2": None,
        "postcode": None,
        "city": None,
        "birth_date": None,
        "customer_number": None,
        "record_created_at": datetime(2025, 1, 1),
        "email_std": None,
        "first_name_std": "anne",
        "last_name_std": "martin",
        "street_std": None,
        "postcode_std": None,
        "city_std": None,
        "customer_number_std": None,
    }
    return base | values


def test_a_bad_value_nulls_its_field_with_a_warning_and_keeps_the_record():
    records = records_frame(
        [
            record("crm:1", phone="06 12 34", email="anne@", email_std=None, postcode_std="69001"),
            record("crm:2", phone="06 12 34 56 78", birth_date=date(1850, 1, 1), postcode_std="69001"),
            record("crm:3", birth_date=date(2030, 1, 1), email="a@b.fr", email_std="a@b.fr"),
            record(
                "crm:4", first_name="1234", first_name_std=None, phone="+48 512 345 678", country_code="PL"
            ),
        ]
    )
    result = standardise_records(records, {"FR": "FR", "PL": "PL"})
    out = {r["record_id"]: r for r in result.records.iter_rows(named=True)}
    assert len(out) == 4  # nothing quarantined
    assert out["crm:1"]["phone_e164"] is None and out["crm:2"]["phone_e164"] == "+33612345678"
    assert out["crm:2"]["birth_date"] is None and out["crm:3"]["birth_date"] is None
    assert out["crm:4"]["phone_e164"] == "+48512345678"
    warned = {(w["record_id"], w["field"]): w for w in result.warnings.iter_rows(named=True)}
    assert set(warned) == {
        ("crm:1", "phone"),
        ("crm:1", "email"),
        ("crm:2", "birth_date"),
        ("crm:3", "birth_date"),
        ("crm:4", "first_name"),
    }
    assert warned[("crm:1", "phone")]["value"] == "06 12 34"
    assert warned[("crm:1", "phone")]["reason"] == "not a possible phone number for region FR"
    assert warned[("crm:2", "birth_date")]["reason"] == "implausible birth date"


def test_only_records_without_any_usable_identifier_are_left_unmatched_and_listed():
    records = records_frame(
        [
            record("crm:1", postcode_std="69001"),  # a name and an address: usable
            record(
                "crm:2",
                customer_number="K-1",
                customer_number_std="K1",
                first_name_std=None,
                last_name_std=None,
            ),
            record("ecommerce_guest:3"),  # a name alone
            record("crm:4", phone="garbage", first_name_std=None),  # a bad phone and a last name
        ]
    )
    result = standardise_records(records, {"FR": "FR"})
    flags = dict(zip(result.records["record_id"], result.records["has_too_little_identity"], strict=True))
    assert flags == {"crm:1": False, "crm:2": False, "ecommerce_guest:3": True, "crm:4": True}
    listed = result.warnings.filter(pl.col("field") == "record")
    assert sorted(listed["record_id"]) == ["crm:4", "ecommerce_guest:3"]
    assert listed["reason"].str.starts_with("no usable identifier").all()


def _macro(name: str, value: str | None):
    """Render a dbt macro of macros/standardise.sql on one value, as dbt would on DuckDB, and run it."""
    sql = render_macro(name, "x")
    return duckdb.sql(f"select {sql} from (select ?::varchar as x)", params=[value]).fetchall()[0][0]


@pytest.mark.parametrize(
    ("keyed", "folded"),
    [
        ("Anne-Marie", "anne marie"),
        ("  GARCÍA  LÓPEZ ", "garcia lopez"),
        ("Łukasz", "lukasz"),
        ("Lécuyer", "lecuyer"),
        ("O'Brien", "obrien"),
        ("J.", "j"),
        ("Müller-Lüdenscheidt", "muller ludenscheidt"),
        ("1234", None),
        ("   ", None),
    ],
)
def test_names_fold_accents_case_hyphens_and_punctuation(keyed, folded):
    assert _macro("fold_name", keyed) == folded


def test_addresses_fold_to_words_and_digits():
    assert _macro("fold_address", "12, Rue de l'Église") == "12 rue de l eglise"
    assert _macro("fold_address", "ul. Kwiatowa 46/31") == "ul kwiatowa 46 31"
