"""The reference date of a run with no tag follows the data: the latest full refresh's date, else the
day after the newest sale; chosen once per run and written into its tags, so two steps never differ."""

from datetime import date, datetime

import dagster as dg
import duckdb
import pytest

from platform_assets.lib.reference_date import (
    REFRESH_LOG,
    SOURCE_TAG,
    NoReferenceDateError,
    choose_reference_date,
    last_full_refresh,
    newest_sale,
    run_reference_date,
)
from platform_assets.lib.resources import settings_from_env
from platform_assets.lib.settings import REFERENCE_DATE_TAG, PlatformSettings
from platform_assets.lib.warehouse import Warehouse
from platform_assets.publish.publication import create_log

REFRESHED = date(2026, 11, 1)
NEWEST_SALE = date(2026, 12, 1)


def test_the_tag_wins_over_everything():
    chosen = choose_reference_date({REFERENCE_DATE_TAG: "2026-11-23"}, "2026-01-01", REFRESHED, NEWEST_SALE)
    assert (chosen.day, chosen.source) == (date(2026, 11, 23), "tag")


def test_a_date_chosen_by_an_earlier_step_keeps_its_source():
    tags = {REFERENCE_DATE_TAG: "2026-11-01", SOURCE_TAG: "newest_sales"}
    chosen = choose_reference_date(tags, None, date(2027, 1, 1), NEWEST_SALE)
    assert (chosen.day, chosen.source) == (REFRESHED, "newest_sales")


def test_the_setting_wins_over_the_warehouse():
    chosen = choose_reference_date({}, "2026-01-01", REFRESHED, NEWEST_SALE)
    assert (chosen.day, chosen.source) == (date(2026, 1, 1), "setting")


def test_without_tag_or_setting_the_latest_full_refresh_dates_the_run():
    chosen = choose_reference_date({}, None, REFRESHED, NEWEST_SALE)
    assert (chosen.day, chosen.source) == (REFRESHED, "last_full_refresh")
    assert chosen.tags == {REFERENCE_DATE_TAG: "2026-11-01", SOURCE_TAG: "last_full_refresh"}


def test_before_any_refresh_the_day_after_the_newest_sale():
    chosen = choose_reference_date({}, None, None, NEWEST_SALE)
    assert (chosen.day, chosen.source) == (date(2026, 12, 2), "newest_sales")
    assert "2026-12-01" in chosen.reason


def test_nothing_to_go_by_is_an_error_saying_what_to_do():
    with pytest.raises(NoReferenceDateError, match="tag the run with cdp/reference_date=YYYY-MM-DD"):
        choose_reference_date({}, None, None, None)


def _log(conn, reference_date: date, published_at: datetime, full: bool) -> None:
    create_log(conn)
    conn.execute(
        f"insert into {REFRESH_LOG} (run_id, reference_date, published_at, full_refresh) values (?, ?, ?, ?)",
        ["r", reference_date, published_at, full],
    )


def _sales(conn, *days: date) -> None:
    conn.execute("create schema if not exists sales")
    conn.execute("create or replace table sales.fct_sales_lines (sold_date date)")
    conn.executemany("insert into sales.fct_sales_lines values (?)", [[d] for d in days])


def test_the_latest_full_refresh_is_read_from_the_publication_log_and_partial_ones_are_ignored():
    conn = duckdb.connect()
    assert last_full_refresh(conn) is None
    _log(conn, date(2026, 10, 1), datetime(2026, 10, 1, 6), True)
    _log(conn, REFRESHED, datetime(2026, 11, 1, 6), True)
    _log(conn, date(2025, 1, 1), datetime(2026, 11, 2, 9), False)  # a backfill of a few assets, published
    assert last_full_refresh(conn) == REFRESHED


def test_a_log_from_before_the_full_refresh_column_dates_nothing():
    conn = duckdb.connect()
    conn.execute("create schema ops")
    conn.execute(f"create table {REFRESH_LOG} (run_id varchar, reference_date date, published_at timestamp)")
    conn.execute(f"insert into {REFRESH_LOG} values ('r', '2026-11-01', '2026-11-01 06:00')")
    assert last_full_refresh(conn) is None
    create_log(conn)  # the next publication adds the column; the old rows stay unknown (null)
    assert last_full_refresh(conn) is None


def test_the_newest_sale_is_the_latest_sold_date():
    conn = duckdb.connect()
    assert newest_sale(conn) is None
    _sales(conn, date(2026, 3, 1), NEWEST_SALE, date(2025, 12, 31))
    assert newest_sale(conn) == NEWEST_SALE


# In a run: the first step chooses, the tags keep it, a later step reads the same date even when the
# warehouse has meanwhile recorded another full refresh.


def _job(tmp_path):
    seen = {}

    @dg.asset
    def first(context: dg.AssetExecutionContext, platform: PlatformSettings, warehouse: Warehouse):
        seen["first"] = run_reference_date(context, platform, warehouse)
        with warehouse.connect() as conn:  # another refresh lands between the two steps
            _log(conn, date(2027, 1, 1), datetime(2027, 1, 1, 6), True)

    @dg.asset(deps=[first])
    def second(context: dg.AssetExecutionContext, platform: PlatformSettings, warehouse: Warehouse):
        seen["second"] = run_reference_date(context, platform, warehouse)

    db = tmp_path / "cdp.duckdb"
    with duckdb.connect(str(db)) as conn:
        _log(conn, REFRESHED, datetime(2026, 11, 1, 6), True)
        _sales(conn, NEWEST_SALE)
    resources = {
        "platform": settings_from_env({"CDP_DATA_DIR": str(tmp_path)}),
        "warehouse": Warehouse(database=str(db), lock_timeout=1),
    }
    defs = dg.Definitions(assets=[first, second], resources=resources)
    return defs.resolve_implicit_global_asset_job_def(), seen


def test_an_untagged_run_takes_the_last_refresh_date_once_and_shows_it_in_its_tags(tmp_path):
    job, seen = _job(tmp_path)
    instance = dg.DagsterInstance.ephemeral()
    result = job.execute_in_process(instance=instance)
    assert seen == {"first": REFRESHED, "second": REFRESHED}
    tags = instance.get_run_by_id(result.run_id).tags
    assert tags[REFERENCE_DATE_TAG] == "2026-11-01"
    assert tags[SOURCE_TAG] == "last_full_refresh"
    [first] = result.asset_materializations_for_node("first")
    [second] = result.asset_materializations_for_node("second")
    assert first.metadata["reference_date_source"].value.startswith("last_full_refresh: the latest")
    assert "chosen by an earlier step" in second.metadata["reference_date_source"].value


def test_a_tagged_run_keeps_its_date_and_its_tags(tmp_path):
    job, seen = _job(tmp_path)
    instance = dg.DagsterInstance.ephemeral()
    result = job.execute_in_process(instance=instance, tags={REFERENCE_DATE_TAG: "2026-06-30"})
    assert seen == {"first": date(2026, 6, 30), "second": date(2026, 6, 30)}
    assert SOURCE_TAG not in instance.get_run_by_id(result.run_id).tags
