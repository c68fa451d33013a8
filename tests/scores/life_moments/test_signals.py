"""The entry rule and the covariates on a hand-made warehouse: a burst is an entry, a steady habit is not."""

from datetime import date, timedelta

import duckdb
import polars as pl
import pytest

from platform_assets.lib.retailer import DEMO_RETAILER, MomentCatalogue, load_retailer
from platform_assets.scores.life_moments import signals

DEMO_MOMENTS = signals.moments(load_retailer(DEMO_RETAILER).life_moments)

START = date(2025, 1, 1)


@pytest.fixture
def conn():
    conn = duckdb.connect()
    conn.execute("create schema sales; create schema referential")
    conn.execute(
        "create table referential.dim_product as select * from (values "
        "('P1', 'Garden & outdoor', 'Garden furniture'), ('P2', 'Garden & outdoor', 'Seeds & plants'), "
        "('P3', 'Kitchen', 'Kitchen units')) as t(product_id, department_name, category_name)"
    )
    conn.execute(
        "create table referential.dim_customer as select * from (values "
        "('A', 'FR', date '1980-01-01', timestamp '2024-01-01'), ('B', 'GB', null, timestamp '2024-06-01')) "
        "as t(customer_id, country_code, birth_date, created_at)"
    )
    rows = []
    # A: a garden purchase every two months for a year, then five garden days within three weeks.
    rows += [("A", START + timedelta(days=60 * i), "P1") for i in range(6)]
    burst = date(2026, 4, 1)
    rows += [("A", burst + timedelta(days=d), "P1") for d in (0, 4, 9, 15, 20)]
    rows += [("A", burst - timedelta(days=10), "P2")]  # a signal purchase before it: not the burst
    # B: buys in the kitchen every 8 days all along: busy, but no change of pace.
    rows += [("B", START + timedelta(days=8 * i), "P3") for i in range(80)]
    conn.execute(
        "create table sales.fct_sales_lines (customer_id varchar, order_id varchar, sold_date date, "
        "product_id varchar, net_amount decimal(18, 2), is_cancelled boolean, is_return boolean, "
        "channel varchar, store_id varchar)"
    )
    conn.executemany(
        "insert into sales.fct_sales_lines values (?, ?, ?, ?, 50, false, false, 'store', 'S1')",
        [(c, f"{c}-{i}", d, p) for i, (c, d, p) in enumerate(rows)],
    )
    return conn


def _store_visits(conn, customer: str, visits: list[tuple[date, str]], channel: str = "store") -> None:
    conn.executemany(
        "insert into sales.fct_sales_lines values (?, ?, ?, 'P3', 50, false, false, ?, ?)",
        [(customer, f"{customer}-{d}-{s}", d, channel, s) for d, s in visits],
    )


def test_a_burst_in_the_moment_departments_is_one_entry_and_a_steady_habit_none(conn):
    entries = signals.entries(conn, date(2026, 11, 1), DEMO_MOMENTS)
    assert entries.rows() == [("A", "new_garden", date(2026, 4, 1))]


def test_covariates_count_signals_before_the_cutoff_only(conn):
    cov = signals.covariates(conn, date(2026, 4, 1), DEMO_MOMENTS).sort("customer_id")
    a = cov.row(0, named=True)
    assert a["new_garden_signal_lines_30d"] == 1 and a["moving_signal_lines_30d"] == 0
    assert a["visits_90d"] == 1  # the signal purchase; the burst starts on the cutoff, not before
    assert a["business_unit"] == "FR" and a["age_years"] == 46
    assert cov.row(1, named=True)["age_years"] is None


def test_a_change_of_home_store_is_a_move_entered_on_the_first_visit_at_the_new_store(conn):
    # C: S1 four times, then S2 from 2026-03-10 on (a one-off S3 before, and never back to S1).
    _store_visits(conn, "C", [(date(2025, m, 5), "S1") for m in (2, 4, 6, 8)] + [(date(2025, 9, 1), "S3")])
    _store_visits(conn, "C", [(date(2026, 3, 10), "S2"), (date(2026, 5, 2), "S2"), (date(2026, 7, 9), "S2")])
    # D: two stores used side by side all along: no move.
    _store_visits(conn, "D", [(date(2025, m, 1), "S1" if m % 2 else "S2") for m in range(1, 13)])
    # E: the new store's visits are web orders (web store ids are not home stores): no move.
    _store_visits(conn, "E", [(date(2025, m, 5), "S1") for m in (2, 4, 6)])
    _store_visits(conn, "E", [(date(2026, m, 5), "W1") for m in (2, 4, 6)], channel="web")
    moves = signals.entries(conn, date(2026, 11, 1), DEMO_MOMENTS).filter(pl.col("moment") == "moving")
    assert moves.rows() == [("C", "moving", date(2026, 3, 10))]
    # Seen only up to the cutoff: with one visit at S2 before it, not yet a move.
    assert (
        signals.entries(conn, date(2026, 4, 1), DEMO_MOMENTS).filter(pl.col("moment") == "moving").is_empty()
    )


def test_another_catalogue_configured_by_its_own_names_finds_the_same_moments(conn):
    """A retailer whose catalogue is in French: the same products under other names, and its
    configuration names them; the entries and covariates are those of the demo's names."""
    expected_entries = signals.entries(conn, date(2026, 11, 1), DEMO_MOMENTS)
    expected_cov = signals.covariates(conn, date(2026, 4, 1), DEMO_MOMENTS)
    french = {"Garden & outdoor": "Jardin", "Seeds & plants": "Graines et plantes", "Kitchen": "Cuisine"}
    for english, name in french.items():
        for column in ("department_name", "category_name"):
            conn.execute(
                f"update referential.dim_product set {column} = ? where {column} = ?", [name, english]
            )
    catalogue = load_retailer(DEMO_RETAILER).life_moments.model_copy(
        update={
            "new_garden": MomentCatalogue(
                signal_categories=("Outils de jardin", "Graines et plantes"), departments=("Jardin",)
            ),
            "renovation": MomentCatalogue(
                signal_categories=("Outillage",), departments=("Cuisine", "Salle de bains")
            ),
        }
    )
    configured = signals.moments(catalogue)
    assert signals.entries(conn, date(2026, 11, 1), configured).equals(expected_entries)
    assert signals.covariates(conn, date(2026, 4, 1), configured).equals(expected_cov)
    # The demo's names no longer find the garden burst in this catalogue.
    assert signals.entries(conn, date(2026, 11, 1), DEMO_MOMENTS).is_empty()


def test_names_the_catalogue_does_not_have_are_listed_by_moment_and_field(conn):
    unknown = signals.unknown_names(conn, DEMO_MOMENTS)
    assert "new_garden.departments: 'Garden & outdoor'" not in unknown  # in this catalogue
    assert "new_garden.signal_categories: 'Seeds & plants'" not in unknown
    assert "renovation.departments: 'Bathroom'" in unknown
    assert "moving.signal_categories: 'Moving boxes & tape'" in unknown
    conn.execute("update referential.dim_product set department_name = 'Jardin'")
    assert "new_garden.departments: 'Garden & outdoor'" in signals.unknown_names(conn, DEMO_MOMENTS)
