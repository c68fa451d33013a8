"""Identity resolution on generated people, without the graph: the generator's CRM contacts and web
accounts (hard profile: households, twins, swapped, partial and compound names, typos in every
field, accounts without any phone) are folded with the dbt macros, standardised and matched, then
measured against the generator's ground truth. A few hundred people: seconds, not a graph run."""

from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pytest

from platform_assets.demo.generator import generate
from platform_assets.referential.identity.matching import MatchingConfig, resolve
from platform_assets.referential.identity.quality import match_quality
from platform_assets.referential.identity.standardise import standardise_records
from tests.dbt_macros import render_macro

PERSONS = 800
REGIONS = {"FR": "FR", "PL": "PL", "GB": "GB"}


def _fold(macro: str, column: str) -> str:
    return render_macro(macro, column)


def person_records(out: Path, drop_phones: bool = False) -> tuple[duckdb.DuckDBPyConnection, pl.DataFrame]:
    """A warehouse holding the standardised records of the generated CRM contacts and web accounts
    (as int_customer_records would, for these two sources), and the truth: record_id -> person."""
    conn = duckdb.connect()
    landing = out / "landing"
    conn.execute(
        f"""
        create table folded as
        with unioned as (
            select 'crm' as source_system, contact_id as source_id, country_code, first_name, last_name,
                   email, phone, street, null as address_line_2, postcode, city,
                   strptime(birth_date, '%d/%m/%Y')::date as birth_date, null as customer_number,
                   created_at::timestamp as record_created_at
            from read_csv('{landing}/crm/contacts.csv', all_varchar = true)
            union all
            select 'ecommerce', account_id, country_code, first_name, last_name, login_email, phone, null,
                   null, null, null, birth_date::date, null, created_at::timestamp
            from read_csv('{landing}/ecommerce/accounts.csv', all_varchar = true)
        )
        select source_system || ':' || source_id as record_id, *,
               {_fold("standardise_email", "email")} as email_std,
               {_fold("fold_name", "first_name")} as first_name_std,
               {_fold("fold_name", "last_name")} as last_name_std,
               {_fold("fold_address", "street")} as street_std,
               {_fold("standardise_postcode", "postcode")} as postcode_std,
               {_fold("fold_name", "city")} as city_std,
               {_fold("standardise_postcode", "customer_number")} as customer_number_std
        from unioned
        """
    )
    if drop_phones:
        conn.execute("update folded set phone = null")
    records = standardise_records(conn.sql("select * from folded").pl(), REGIONS).records
    conn.execute("create schema intermediate")
    conn.execute("create schema staging")
    conn.register("records_frame", records.to_arrow())
    conn.execute("create table intermediate.int_customer_records_standardised as select * from records_frame")
    conn.execute("create table staging.stg_loyalty__cards (loyalty_card_id varchar, crm_contact_id varchar)")
    truth = pl.read_csv(out / "ground_truth" / "source_records.csv", infer_schema=False).select(
        (pl.col("source_system") + ":" + pl.col("source_id")).alias("record_id"),
        pl.col("person_id").alias("entity_id"),
    )
    return conn, truth


def measured(conn: duckdb.DuckDBPyConnection, truth: pl.DataFrame):
    result = resolve(conn, MatchingConfig(u_max_pairs=1e6))
    return result, match_quality(result.clusters.join(truth, on="record_id"))


@pytest.fixture(scope="module")
def hard(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("hard")
    generate(
        out,
        PERSONS,
        seed=5,
        start=date(2023, 11, 1),
        end=date(2026, 10, 31),
        progress=False,
        identity_noise="hard",
    )
    return out


def test_the_hard_profile_is_matched_with_few_false_merges_and_few_misses(hard):
    conn, truth = person_records(hard)
    result, quality = measured(conn, truth)
    # Measured at this scale (800 people, CRM contacts and web accounts only: no guest orders or
    # subscribers to bridge them, ~1,000 profiles to train on): precision 0.994, recall 0.60
    # (0.992 / 0.40 before pairs corroborated by a mistyped e-mail linked from 0.95). The 20k
    # figures are the benchmark's (benchmarks/README.md); these bounds catch a regression.
    assert quality.precision >= 0.99, quality
    assert quality.recall >= 0.55, quality
    assert "phone" in result.plan["comparisons"]


def test_a_source_set_without_any_phone_trains_and_says_which_steps_it_skipped(hard):
    conn, truth = person_records(hard, drop_phones=True)
    result, quality = measured(conn, truth)
    plan = result.plan
    assert plan["populated"]["phone_e164"] == 0
    assert "phone_e164" in plan["absent_identifiers"]
    assert "phone" not in plan["comparisons"] and "phone" not in plan["prediction_blocks"]
    assert plan["training"]["em:phone"] == "skipped: no value of phone_e164"
    assert any(v.startswith("trained") for k, v in plan["training"].items() if k.startswith("em:"))
    assert quality.precision >= 0.99 and quality.recall >= 0.52, quality  # measured 0.994 / 0.58
