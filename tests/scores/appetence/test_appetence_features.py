"""Customer x department rows on a hand-made warehouse: windows cut at the cutoff, returns and
cancellations left out, the population, the popularity baseline, and the browsing indicators when
the web path's table exists (a second shape of data: with and without a web source)."""

from datetime import date, datetime

import duckdb
import polars as pl
import pytest

from platform_assets.scores.appetence import data

CUTOFF = date(2026, 10, 1)


@pytest.fixture
def conn():
    conn = duckdb.connect()
    conn.execute(
        "create schema sales; create schema referential; create schema features; create schema staging"
    )
    conn.execute(
        "create table referential.dim_product as select * from (values "
        "('P1', 'D01', 'Garden & outdoor'), ('P2', 'D01', 'Garden & outdoor'), ('P3', 'D02', 'Kitchen'), "
        "('P4', 'D03', 'Flooring'), ('P9', null, null)) as t(product_id, department_id, department_name)"
    )
    conn.execute(
        "create table referential.dim_customer as select * from (values "
        "('A', 'FR'), ('B', 'FR'), ('C', 'GB'), ('OLD', 'FR'), ('NOBU', null)) as t(customer_id, country_code)"
    )
    conn.execute(
        "create table sales.fct_sales_lines (customer_id varchar, product_id varchar, sold_date date, "
        "net_amount decimal(18, 2), is_cancelled boolean, is_return boolean)"
    )
    lines = [
        ("A", "P1", date(2026, 9, 20), 100, False, False),  # garden 11 days before
        ("A", "P2", date(2026, 9, 20), 50, False, False),  # same day, same department: one day, two lines
        ("A", "P3", date(2026, 3, 1), 200, False, False),  # kitchen 214 days before
        ("A", "P3", date(2026, 10, 1), 999, False, False),  # on the cutoff: not known yet
        ("A", "P4", date(2026, 9, 25), 70, True, False),  # cancelled
        ("A", "P4", date(2026, 9, 26), -70, False, True),  # a return
        ("B", "P3", date(2026, 9, 1), 40, False, False),  # kitchen 30 days before: in the 30-day window
        ("C", "P1", date(2025, 1, 1), 10, False, False),  # garden 638 days before
        ("OLD", "P1", date(2024, 9, 30), 10, False, False),  # 731 days before: out of the population
        ("NOBU", "P1", date(2026, 9, 1), 10, False, False),  # no business unit
        (None, "P1", date(2026, 9, 1), 10, False, False),  # anonymous till sale
        ("B", "P9", date(2026, 9, 2), 10, False, False),  # a product without department
    ]
    conn.executemany("insert into sales.fct_sales_lines values (?, ?, ?, ?, ?, ?)", lines)
    return conn


def row(rows: pl.DataFrame, customer: str, department: str) -> dict:
    return rows.filter((pl.col("customer_id") == customer) & (pl.col("department_id") == department)).row(
        0, named=True
    )


def test_the_population_is_every_recent_buyer_with_a_unit_times_every_department(conn):
    rows = data.rows_as_of(conn, CUTOFF, browsing=False)
    assert sorted(set(rows["customer_id"])) == ["A", "B", "C"]
    assert rows.height == 3 * 3
    assert rows.select("customer_id", "department_id").is_unique().all()
    assert rows["customer_id"].to_list() == sorted(rows["customer_id"].to_list())  # sorted, not query order


def test_purchase_indicators_per_department_are_cut_at_the_cutoff(conn):
    rows = data.rows_as_of(conn, CUTOFF, browsing=False)
    garden = row(rows, "A", "D01")
    assert garden["dept_purchase_days_30d"] == 1 and garden["dept_lines_365d"] == 2
    assert garden["dept_spend_90d"] == 150 and garden["dept_days_since_last_purchase"] == 11
    kitchen = row(rows, "A", "D02")
    assert kitchen["dept_purchase_days_90d"] == 0 and kitchen["dept_purchase_days_365d"] == 1
    assert kitchen["dept_spend_365d"] == 200 and kitchen["dept_days_since_last_purchase"] == 214
    flooring = row(rows, "A", "D03")  # only a cancelled line and a return
    assert flooring["dept_purchase_days_730d"] == 0 and flooring["dept_days_since_last_purchase"] is None
    assert garden["purchase_days_365d"] == 2 and garden["days_since_last_purchase"] == 11
    assert garden["dept_spend_share_365d"] == pytest.approx(150 / 350)
    assert garden["dept_day_share_730d"] == pytest.approx(1 / 2)
    assert row(rows, "B", "D02")["dept_purchase_days_30d"] == 1  # 30 days before is inside the window
    assert (
        row(rows, "C", "D01")["dept_purchase_days_365d"] == 0
        and row(rows, "C", "D01")["dept_purchase_days_730d"] == 1
    )


def test_popularity_is_the_share_of_the_units_customers_who_bought_there_lately(conn):
    rows = data.rows_as_of(conn, CUTOFF, browsing=False)
    # FR: A (garden) and B (kitchen) bought in the last 30 days; GB: C bought nothing lately
    assert row(rows, "A", "D01")["popularity_30d"] == 0.5 and row(rows, "B", "D01")["popularity_30d"] == 0.5
    assert row(rows, "A", "D02")["popularity_30d"] == 0.5 and row(rows, "A", "D03")["popularity_30d"] == 0
    assert row(rows, "C", "D01")["popularity_30d"] == 0 and row(rows, "C", "D01")["popularity_365d"] == 0


def test_labels_are_the_departments_bought_in_the_window_after(conn):
    rows = data.rows_as_of(conn, CUTOFF, browsing=False)
    bought = data.bought_between(conn, CUTOFF, date(2026, 10, 31))
    labelled = rows.with_columns(data.label(rows, bought)).filter(pl.col("bought") == 1)
    assert labelled.select("customer_id", "department_id").rows() == [("A", "D02")]


def _web(conn, with_table: bool = True):
    conn.execute(
        "create table staging.stg_web__events (event_id varchar, event_at timestamp, cookie_id varchar, "
        "session_id varchar, event_type varchar, page_type varchar, department_id varchar, is_bot boolean)"
    )
    events = [
        ("e1", datetime(2026, 9, 25, 10), "ck_a", "s1", "product_view", "product", "D03"),
        ("e2", datetime(2026, 8, 1, 10), "ck_a", "s0", "product_view", "product", "D03"),  # 61 days: 90d only
        ("e3", datetime(2026, 9, 26, 10), "ck_a", "s2", "cart_add", "cart", "D03"),
        # a search counts for the department it leads to in the visit (a category page of D01)
        ("e4", datetime(2026, 9, 27, 10), "ck_a", "s3", "search", "search", None),
        ("e4b", datetime(2026, 9, 27, 10, 1), "ck_a", "s3", "page_view", "category", "D01"),
        ("e4c", datetime(2026, 9, 27, 11), "ck_a", "s4", "search", "search", None),  # leads nowhere
        ("e5", datetime(2026, 10, 1, 0), "ck_a", "s5", "product_view", "product", "D02"),  # on the cutoff
        ("e6", datetime(2026, 9, 28, 10), "ck_bot", "s6", "product_view", "product", "D02"),  # a bot's
        # a cookie of two customers, and one that never logged in
        ("e7", datetime(2026, 9, 28, 10), "ck_shared", "s7", "product_view", "product", "D02"),
        ("e8", datetime(2026, 9, 28, 10), "ck_anon", "s8", "product_view", "product", "D02"),
        ("e9", datetime(2026, 9, 28, 10), "ck_late", "s9", "product_view", "product", "D02"),
    ]
    conn.executemany(
        "insert into staging.stg_web__events values (?, ?, ?, ?, ?, ?, ?, ?)",
        [(*e, e[2] == "ck_bot") for e in events],
    )
    # ck_late: B's cookie, first logged in on the cutoff: its earlier browsing is not B's yet
    conn.execute(
        "create table referential.cookie_xref as select cookie_id, customer_id, first_login_at::timestamp "
        "as first_login_at from (values ('ck_a', 'A', '2026-01-01'), ('ck_bot', 'B', '2026-01-01'), "
        "('ck_shared', 'B', '2026-01-01'), ('ck_shared', 'C', '2026-01-01'), ('ck_anon', null, null), "
        "('ck_late', 'B', '2026-10-01')) as t(cookie_id, customer_id, first_login_at)"
    )
    if with_table:
        conn.execute(
            "create table features.customer_department_browsing as select 'A' as customer_id, 'D03' as department_id, "
            "1 as product_views_30d, 2 as product_views_90d, 1 as cart_adds_90d, 0 as searches_90d, "
            "6 as days_since_last_view"
        )


def test_browsing_is_used_only_when_the_web_paths_table_exists(conn):
    assert not data.has_browsing(conn)
    _web(conn, with_table=False)
    assert not data.has_browsing(conn)  # events without the browsing table: the web path did not run
    conn.execute("create table features.customer_department_browsing (customer_id varchar)")
    assert data.has_browsing(conn)


def test_browsing_indicators_as_of_the_cutoff_from_stitched_non_bot_events(conn):
    _web(conn)
    rows = data.rows_as_of(conn, CUTOFF, browsing=True)
    flooring = row(rows, "A", "D03")
    assert flooring["product_views_30d"] == 1 and flooring["product_views_90d"] == 2
    assert flooring["cart_adds_90d"] == 1 and flooring["days_since_last_view"] == 6  # 2026-10-01 - 09-25
    garden = row(rows, "A", "D01")
    assert garden["searches_90d"] == 1 and garden["product_views_90d"] == 0
    assert garden["days_since_last_view"] == 4  # its category page on 09-27
    # the model's own: the year's views and the month's events, and their shares of the customer's
    assert flooring["product_views_365d"] == 2 and flooring["view_share_365d"] == 1.0
    assert flooring["events_30d"] == 2 and garden["events_30d"] == 2  # the search and its page
    assert flooring["event_share_30d"] == garden["event_share_30d"] == 0.5
    assert row(rows, "A", "D02")["view_share_365d"] == 0  # its only view was on the cutoff
    # the view on the cutoff, the bot's, the shared cookie's and the one stitched only on the cutoff
    # count nowhere
    assert rows.filter(pl.col("department_id") == "D02")["product_views_90d"].to_list() == [0, 0, 0]
    assert set(data.BROWSING_COLUMNS) <= set(rows.columns)
    assert not set(data.BROWSING_COLUMNS) & set(data.rows_as_of(conn, CUTOFF, browsing=False).columns)


def test_a_sample_of_customers_gets_their_rows_with_the_whole_populations_popularity(conn):
    """The training cutoffs build the rows of the training sample only; the popularity baseline stays the
    business unit's (A alone bought garden in FR lately: half of FR's two customers, sampled or not)."""
    _web(conn)
    assert data.population(conn, CUTOFF)["customer_id"].to_list() == ["A", "B", "C"]
    full = data.rows_as_of(conn, CUTOFF, browsing=True)
    sampled = data.rows_as_of(conn, CUTOFF, browsing=True, customers=pl.DataFrame({"customer_id": ["A"]}))
    assert sampled["customer_id"].unique().to_list() == ["A"]
    assert sampled.equals(full.filter(pl.col("customer_id") == "A"))
    assert row(sampled, "A", "D01")["popularity_30d"] == 0.5


def test_a_runs_history_read_once_gives_the_rows_read_directly(conn):
    """A run reads the purchase days and the stitched events once (temporary tables) for its cut-offs:
    the same rows, sampled or not, as reading the warehouse at each cut-off."""
    _web(conn)
    sample = pl.DataFrame({"customer_id": ["A", "C"]})
    with data.History(conn, date(2026, 6, 1), date(2026, 11, 1), browsing=True) as history:
        for cutoff in (CUTOFF, date(2026, 9, 26)):
            direct = data.rows_as_of(conn, cutoff, browsing=True)
            assert data.rows_as_of(conn, cutoff, True, history=history).equals(direct)
            read_once = data.rows_as_of(conn, cutoff, True, customers=sample, history=history)
            assert read_once.equals(direct.filter(pl.col("customer_id").is_in(["A", "C"])))
            assert data.population(conn, cutoff, history).equals(data.population(conn, cutoff))
        days = history.days.removeprefix("temp.")  # a name of the instance's own
        assert days.startswith("appetence_days_")
        assert (days,) in conn.sql("select table_name from duckdb_tables()").fetchall()
    assert (days,) not in conn.sql("select table_name from duckdb_tables()").fetchall()


def test_the_taste_is_the_season_weighed_lines_plus_the_units_mix_times_the_season_ahead(conn):
    """As of 2026-09-10, FR's population is A (kitchen in March), B (kitchen on 09-01) and OLD (garden on
    2024-09-30): FR's mix is kitchen 2/3, garden 1/3; in September kitchen 1/2 and garden 1/2 of the lines,
    so September's index is kitchen 3/4, garden 3/2 (March: kitchen 3/2); the 30 days ahead are September's."""
    rows = data.rows_as_of(conn, date(2026, 9, 10), browsing=False)
    a_kitchen, a_garden, a_flooring = (row(rows, "A", d) for d in ("D02", "D01", "D03"))
    assert a_kitchen["dept_season_ahead"] == 0.75 and a_garden["dept_season_ahead"] == 1.5
    assert a_flooring["dept_season_ahead"] == 0  # never bought in FR: nothing expected
    # A's March kitchen line weighs 1 / (3/2), times 3/4 ahead = 0.5; the mix: 6 x 2/3 x 3/4 = 3
    assert a_kitchen["dept_taste"] == pytest.approx(3.5)
    assert a_garden["dept_taste"] == pytest.approx(3.0)  # 6 x 1/3 x 3/2, no garden line of A's
    assert a_flooring["dept_taste"] == 0
    assert a_kitchen["dept_taste_share"] == pytest.approx(3.5 / 6.5)
    # B's September kitchen line weighs 1 / (3/4): a line in the busy month says less
    assert row(rows, "B", "D02")["dept_taste"] == pytest.approx(4.0)
