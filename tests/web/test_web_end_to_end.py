"""The whole graph with a web analytics export (tests/web/scenario.py: hand-written files in place of
the export of the session's 600-customer generation): landing, the bot rule, stitching, erasure, browsing features,
stitch quality against the truth, and the analyst file without cookies, IPs or user agents."""

import shutil
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from platform_assets.lib.settings import REFERENCE_DATE_TAG
from tests.conftest import E2E_REFERENCE_DATE
from tests.dbt_parse import parse_dbt
from tests.web.scenario import add_web_export


@pytest.fixture(scope="module")
def web_run(demo_dir, tmp_path_factory):
    import dagster as dg

    from platform_assets.definitions import build_defs
    from platform_assets.lib.resources import resources_from_env

    root = tmp_path_factory.mktemp("web")
    shutil.copytree(demo_dir, root, dirs_exist_ok=True)
    shutil.rmtree(root / "landing" / "web")  # the generator's export: this run lands the scenario's instead
    scenario = add_web_export(root)
    db = root / "cdp.duckdb"
    parse_dbt(db)  # for this warehouse: each dbt step then re-parses only what changed
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CDP_LANDING_DIR", str(root / "landing"))
        mp.setenv("CDP_DUCKDB_PATH", str(db))
        mp.setenv("CDP_DATA_DIR", str(root))
        result = (
            build_defs(resources_from_env())
            .resolve_job_def("daily_refresh")
            .execute_in_process(
                instance=dg.DagsterInstance.ephemeral(), tags={REFERENCE_DATE_TAG: E2E_REFERENCE_DATE}
            )
        )
    return result, db, root, scenario


def _rows(db: Path, sql: str, params=None) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as conn:
        return conn.execute(sql, params or []).fetchall()


def _customer_of(db: Path, account_id: str) -> list[tuple]:
    return _rows(
        db,
        "select customer_id from referential.customer_xref where source_system = 'ecommerce' and source_id = ?",
        [account_id],
    )


def test_the_graph_runs_and_the_malformed_line_is_quarantined(web_run):
    result, db, _, scenario = web_run
    assert result.success
    assert _rows(db, "select _source_file, _row_number, quarantine_rule from quarantine.web_events") == [
        (scenario.malformed_file, scenario.malformed_line, "malformed_json")
    ]
    assert _rows(db, "select count(*) from raw.web_events") == [(scenario.events,)]
    checks = {
        (e.asset_key.to_user_string(), e.check_name): e.passed for e in result.get_asset_check_evaluations()
    }
    assert checks[("raw/web_events", "reconciliation")]
    assert not checks[("raw/web_events", "quarantine")]  # a warning: one row, within the limit


def test_bots_are_flagged_by_the_rule_and_kept_in_staging(web_run):
    _, db, _, scenario = web_run
    flagged = _rows(
        db,
        "select cookie_id, count(*), bool_and(is_bot), any_value(bot_reason) from staging.stg_web__events "
        "where is_bot group by 1 order by 1",
    )
    assert flagged == [("ck_crawler", 1, True, "user_agent"), ("ck_heavy", 320, True, "events_per_day")]
    assert _rows(db, "select count(*) from staging.stg_web__events") == [(scenario.events,)]
    assert _rows(
        db, "select count(*) from marketing.fct_web_events where cookie_id in ('ck_crawler', 'ck_heavy')"
    ) == [(0,)]


def test_a_cookie_is_attributed_with_its_history_before_the_login(web_run):
    _, db, _, scenario = web_run
    [(customer,)] = _customer_of(db, scenario.accounts[0])
    assert _rows(
        db,
        "select cookie_id, customer_id, first_seen_at, first_login_at, logins from referential.cookie_xref",
    ) == [("ck_known", customer, datetime(2026, 10, 3, 8, 0), datetime(2026, 10, 4, 18, 0, 5), 1)]
    attributed = _rows(
        db,
        "select attribution, count(*) from marketing.fct_web_events where customer_id = ? group by 1 order by 1",
        [customer],
    )
    assert attributed == [("after_login", 3), ("before_login", 5)]


def test_a_cookie_of_two_customers_is_kept_apart_and_reported(web_run):
    result, db, _, scenario = web_run
    assert (
        len(_customer_of(db, scenario.accounts[1])) == 1 and len(_customer_of(db, scenario.accounts[2])) == 1
    )
    assert _rows(db, "select cookie_id, customers, logins from referential.web_cookie_conflicts") == [
        ("ck_shared", 2, 2)
    ]
    assert _rows(
        db, "select count(*), count(customer_id) from marketing.fct_web_events where cookie_id = 'ck_shared'"
    ) == [(3, 0)]
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert checks["no_cookie_shared_by_customers"] is False  # the warning that counts them
    metadata = {
        e.asset_key.to_user_string(): e.materialization.metadata
        for e in result.get_asset_materialization_events()
    }["ops/web_stitch_quality"]
    assert metadata["shared_cookies_kept_apart"].value == 1
    assert "ck_" not in metadata["shared_cookie_examples"].value  # counts and dates, no identifier


def test_an_erased_persons_cookie_and_events_reach_nothing(web_run):
    _, db, _, scenario = web_run
    assert _customer_of(db, scenario.accounts[3]) == []  # the erasure request took the account
    for table in ("intermediate.int_web_cookies", "referential.cookie_xref", "marketing.fct_web_events"):
        assert _rows(db, f"select count(*) from {table} where cookie_id = 'ck_erased'") == [(0,)], table


def test_stitch_quality_is_measured_against_the_truth(web_run):
    _, db, _, _ = web_run
    [row] = _rows(
        db,
        "select cookies, bot_precision, bot_recall, single_person_cookies, single_person_cookies_logged_in, "
        "attributed_cookies, stitch_precision, stitch_recall, stitch_recall_logged_in, shared_cookies, "
        "shared_cookies_kept_apart, erased_person_cookies, erased_person_cookies_attributed "
        "from ops.web_stitch_quality",
    )
    # known and anonymous are single-person cookies (erased and shared are counted apart); one logged in
    assert row == (6, 1.0, 1.0, 2, 1, 1, 1.0, 0.5, 1.0, 1, 1, 1, 0)


def test_browsing_features_as_of_the_reference_date(web_run):
    _, db, _, scenario = web_run
    [(customer,)] = _customer_of(db, scenario.accounts[0])
    browsing = _rows(
        db,
        "select department_id, reference_date, product_views_30d, product_views_90d, category_page_views_90d, "
        "cart_adds_90d, searches_90d, days_since_last_view from features.customer_department_browsing "
        "order by department_id",
    )
    ref = date.fromisoformat(E2E_REFERENCE_DATE)
    assert browsing == [("D01", ref, 1, 1, 1, 1, 0, 29), ("D02", ref, 1, 1, 0, 0, 1, 28)]
    [profile] = _rows(
        db,
        "select web_sessions_30d, web_sessions_90d, days_since_last_web_visit, web_product_views_90d, "
        "web_searches_90d, cart_visits_90d, main_arrival_channel_90d, top_search_department_90d "
        "from features.customer_profile where customer_id = ?",
        [customer],
    )
    assert profile == (2, 2, 28, 2, 1, 1, "direct", "D02")  # one e-mail visit, one direct: ties by name
    [(others,)] = _rows(
        db,
        "select count(*) from features.customer_profile where customer_id <> ? and web_sessions_90d > 0",
        [customer],
    )
    assert others == 0


def test_the_analyst_file_has_no_cookie_ip_or_user_agent(web_run):
    _, _, root, _ = web_run
    analyst = root / "published" / "analyst.duckdb"
    columns = _rows(
        analyst,
        "select table_schema || '.' || table_name, column_name from information_schema.columns "
        "where column_name in ('cookie_id', 'session_id', 'search_query', 'ip_address', 'user_agent')",
    )
    assert columns == []
    tables = {
        t
        for (t,) in _rows(analyst, "select table_schema || '.' || table_name from information_schema.tables")
    }
    assert {
        "marketing.fct_web_events",
        "referential.cookie_xref",
        "features.customer_department_browsing",
    } <= tables
