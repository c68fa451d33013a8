"""A retailer unlike the demo, described in configuration only (no code change): a fourth business
unit, ES (EUR, Europe/Madrid, es), and no loyalty programme, web shop (nor web analytics) or e-mail tool.

One graph run on the session's small generation (600 customers): its GB unit's data relabelled as
ES (stores, receipts, contacts, prices, spend, campaigns; GB stays configured, with no data); the
loyalty, e-commerce and e-mailing folders deleted and left out of the configuration (their raw
tables are empty); the tills record the CRM customer number instead of a loyalty card (the
configuration maps the CRM's contact_id to customer_number).
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
import yaml

from platform_assets.lib.retailer import DEMO_RETAILER
from platform_assets.lib.settings import REFERENCE_DATE_TAG
from tests.conftest import DBT_DIR, E2E_REFERENCE_DATE
from tests.dbt_parse import parse_dbt

REMOVED = (
    "loyalty_cards",
    "ecommerce_accounts",
    "ecommerce_orders",
    "ecommerce_order_lines",
    "emailing_events",
    "web_events",
)
REMOVED_FOLDERS = ("loyalty", "ecommerce", "emailing", "web")
SPAIN = {
    "code": "ES",
    "name": "Spain",
    "country": "ES",
    "currency": "EUR",
    "time_zone": "Europe/Madrid",
    "language": "es",
}
NULL_WITHOUT_SOURCES = (
    "has_loyalty_card",
    "web_spend_share",
    "emails_received_12m",
    "email_open_rate_12m",
    "has_unsubscribed",
    "email_bounces_12m",
    "web_sessions_90d",
    "cart_abandonment_rate_90d",
    "main_arrival_channel_90d",
)
# GB's data as ES: store codes and the receipt ids built on them, unit and currency fields, time zone
RELABEL = (
    (re.compile(r"\bGB(\d{3})"), r"ES\1"),
    (re.compile(r"WEB-GB"), "WEB-ES"),
    (re.compile(r"(^|[,;])GB(?=[,;\n]|$)", re.M), r"\1ES"),
    (re.compile(r"(^|[,;])GBP(?=[,;\n]|$)", re.M), r"\1EUR"),
    (re.compile(r"Europe/London"), "Europe/Madrid"),
)


def _relabel_gb_as_es(landing: Path) -> None:
    for path in landing.rglob("*.csv"):
        text = path.read_text(encoding="utf-8")
        for pattern, replacement in RELABEL:
            text = pattern.sub(replacement, text)
        path.write_text(text, encoding="utf-8")


def _customer_numbers_at_the_tills(landing: Path) -> None:
    """The tills write the card holder's CRM number (column customer_number) instead of a card."""
    holder = {}
    for line in (landing / "loyalty" / "cards.csv").read_text(encoding="utf-8").splitlines()[1:]:
        card, contact = line.split(",")[:2]
        holder[card] = contact
    for path in (landing / "pos").glob("receipts_*.csv"):
        lines = path.read_text(encoding="utf-8").splitlines()
        header = lines[0].split(";")
        card = header.index("loyalty_card_no")
        header[card] = "customer_number"
        rows = [line.split(";") for line in lines[1:]]
        for row in rows:
            row[card] = holder.get(row[card], "")
        path.write_text("\n".join(";".join(r) for r in [header, *rows]) + "\n", encoding="utf-8")


def _config(path: Path) -> Path:
    document = yaml.safe_load(DEMO_RETAILER.read_text(encoding="utf-8"))
    document["business_units"].append(SPAIN)
    document["sources"] = {k: v for k, v in document["sources"].items() if k not in REMOVED}
    document["sources"]["crm_contacts"]["columns"]["customer_number"] = "contact_id"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def variant(demo_dir, tmp_path_factory):
    import dagster as dg

    from platform_assets.definitions import build_defs
    from platform_assets.lib.resources import resources_from_env

    root = tmp_path_factory.mktemp("variant")
    landing = root / "landing"
    shutil.copytree(demo_dir / "landing", landing)
    _relabel_gb_as_es(landing)
    _customer_numbers_at_the_tills(landing)
    for folder in REMOVED_FOLDERS:
        shutil.rmtree(landing / folder)
    db = root / "cdp.duckdb"
    parse_dbt(db)  # for this warehouse: each dbt step then re-parses only what changed
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CDP_LANDING_DIR", str(landing))
        mp.setenv("CDP_DUCKDB_PATH", str(db))
        mp.setenv("CDP_DATA_DIR", str(root / "data"))
        mp.setenv("CDP_RETAILER_CONFIG", str(_config(root / "retailer.yml")))
        result = (
            build_defs(resources_from_env())
            .resolve_job_def("daily_refresh")
            .execute_in_process(
                instance=dg.DagsterInstance.ephemeral(), tags={REFERENCE_DATE_TAG: E2E_REFERENCE_DATE}
            )
        )
    return result, db


def _rows(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as conn:
        return conn.execute(sql).fetchall()


def test_the_graph_runs_with_a_fourth_unit_and_three_sources_removed(variant):
    result, db = variant
    assert result.success
    units = _rows(
        db, "select country_code, currency_code, time_zone, language_code from referential.business_units"
    )
    assert ("ES", "EUR", "Europe/Madrid", "es") in units and len(units) == 4


def test_spanish_customers_get_features_and_scores(variant):
    _, db = variant
    for table in ("features.customer_profile", "features.customer_rfm", "features.customer_clv"):
        [(n,)] = _rows(db, f"select count(*) from {table} where business_unit = 'ES'")
        assert n > 0, table
    # no card at the tills: store sales reach their customers through the CRM number the till recorded
    [(attributed,)] = _rows(
        db, "select count(*) from sales.fct_sales_lines where channel = 'store' and customer_id is not null"
    )
    assert attributed > 0
    [(stores,)] = _rows(
        db,
        "select count(*) from referential.dim_store where country_code = 'ES' and time_zone = 'Europe/Madrid'",
    )
    assert stores > 0
    for table in (
        "scores.customer_churn",
        "scores.customer_segment",
        "scores.customer_life_moments",
        "scores.customer_appetence",
    ):
        [(n, es)] = _rows(db, f"select count(*), count(*) filter (where business_unit = 'ES') from {table}")
        assert n > 0 and es > 0, table


def test_features_of_the_removed_sources_are_null_and_models_say_what_was_missing(variant):
    result, db = variant
    filled = ", ".join(f"count({c})" for c in NULL_WITHOUT_SOURCES)
    [counts] = _rows(db, f"select count(*), {filled} from features.customer_profile")
    assert counts[0] > 0 and set(counts[1:]) == {0}
    [(store_share,)] = _rows(db, "select min(store_spend_share) from features.customer_profile")
    assert store_share == 1.0  # every sale is a till receipt: a constant column the models train with
    materialised = {
        e.asset_key.to_user_string(): e.materialization.metadata
        for e in result.get_asset_materialization_events()
    }
    for key in (
        "features/customer_profile",
        "scores/customer_churn",
        "scores/customer_segment",
        "scores/customer_life_moments",
        "scores/customer_appetence",
        "activation/audiences",
    ):
        assert "loyalty_cards" in materialised[key]["sources_not_delivered"].value, key
    assert "has_loyalty_card" in materialised["scores/customer_churn"]["input_columns_all_null"].value
    null_indicators = materialised["features/customer_profile"]["indicators_null_for_missing_sources"].value
    assert {"web_spend_share", "web_sessions_90d"} <= set(null_indicators.split(", "))
    # no web analytics: the web tables are empty, the browsing table is not built and says why
    for table in ("raw.web_events", "referential.cookie_xref", "marketing.fct_web_events"):
        assert _rows(db, f"select count(*) from {table}") == [(0,)], table
    assert _rows(
        db, "select count(*) from duckdb_tables() where table_name = 'customer_department_browsing'"
    ) == [(0,)]
    assert (
        "web_events: not delivered" in materialised["features/customer_department_browsing"]["skipped"].value
    )
    assert materialised["ops/web_stitch_quality"]["why"].value == "no web events"
    # ... and the scores run on purchases alone, as they did before browsing, and say so
    moments = materialised["scores/customer_life_moments"]
    assert moments["uses_browsing"].value is False and set(moments["follow_days"].value.values()) == {180}
    assert not any("web" in c for names in moments["covariates"].value.values() for c in names)
    assert materialised["scores/customer_churn"]["uses_browsing"].value is False
    assert _rows(
        db,
        "select distinct value from ops.model_metrics where model = 'churn' and business_unit = 'ALL' "
        "and metric in ('uses_browsing', 'backtest_uses_browsing')",
    ) == [(0.0,)]


def test_an_unconfigured_unit_and_a_date_outside_the_window_fail_the_dbt_tests(variant, tmp_path):
    """Downstream of the landing (which stops an unconfigured unit itself): on a copy of the warehouse
    where ES is no longer configured and the window ends before the last sales, the marts' unit and
    date tests fail (blocking), the staging one warns, each naming its column."""
    _, db = variant
    copy = tmp_path / "cdp.duckdb"
    shutil.copy(db, copy)
    with duckdb.connect(str(copy)) as conn:
        conn.execute("delete from referential.business_units where country_code = 'ES'")
        conn.execute("update referential.plausible_dates set latest_date = date '2026-06-30'")
    dbt = Path(sys.executable).parent / "dbt"
    command = [str(dbt), "test", "--select", "stg_erp__stores", "dim_store", "fct_sales_lines"]
    command += ["--indirect-selection", "eager", "--exclude-resource-type", "unit_test"]
    command += ["--target-path", str(tmp_path / "target")]
    env = {**os.environ, "CDP_DUCKDB_PATH": str(copy)}
    done = subprocess.run(command, cwd=DBT_DIR, env=env, capture_output=True, text=True)
    assert done.returncode != 0
    failed = set(re.findall(r"Failure in test (\w+)", done.stdout))
    warned = set(re.findall(r"Warning in test (\w+)", done.stdout))
    unit_test = "relationships_{}_country_code__country_code__source_retailer_business_units_"
    assert failed == {unit_test.format("dim_store"), "in_plausible_dates_fct_sales_lines_sold_date"}
    assert warned == {unit_test.format("stg_erp__stores")}  # ES's currency, EUR, is still configured
