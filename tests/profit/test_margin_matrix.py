"""The product margin matrix on a crafted catalogue, by hand: margin rate net of returns and
discounts, velocity, return rate, quadrants and actions, with a fixed and a quantile velocity threshold;
and a retailer without a price list (every product placed by its sales alone)."""

from datetime import date

import duckdb
import pytest

from platform_assets.lib.gates import violations
from platform_assets.lib.profit_settings import MarginMatrixSettings, VelocityThreshold
from platform_assets.profit import margin_matrix
from platform_assets.profit.checks import MATRIX_RULES

REF = date(2026, 11, 1)
FIXED = MarginMatrixSettings(
    window_weeks=2,
    margin_rate_threshold=0.35,
    velocity_threshold=VelocityThreshold(units_per_week=2),
    max_return_rate=0.15,
)
# product, list price, cost price (FR, EUR)
PRICES = [
    ("P1", 10, 6),
    ("P2", 10, 8),
    ("P3", 10, 5),
    ("P4", 10, 9),
    ("P5", 10, 4),
    ("P6", 10, 3),
    ("P7", 10, 8),
]
DEPARTMENT = {"P7": "D2"}  # the others: D1
IN_WINDOW = "2026-10-20"
# product, quantity, unit price, discount, ordered date, sold date, cancelled
LINES = [
    ("P1", 10, 10, 0, IN_WINDOW, IN_WINDOW, False),  # 100 paid, cost 60: 40 %, 5 a week
    ("P1", 100, 10, 0, "2026-09-01", "2026-09-01", False),  # before the window
    ("P1", 50, 10, 0, IN_WINDOW, IN_WINDOW, True),  # cancelled
    ("P1", 7, 10, 0, "2026-11-01", "2026-11-01", False),  # on the reference date
    ("P2", 6, 10, 2, IN_WINDOW, IN_WINDOW, False),  # 58 paid, cost 48: 17.2 %, 3 a week
    ("P3", 2, 10, 0, IN_WINDOW, IN_WINDOW, False),  # 20 paid, cost 10: 50 %, 1 a week
    ("P4", 1, 10, 0, IN_WINDOW, IN_WINDOW, False),  # 10 paid, cost 9: 10 %, 0.5 a week
    ("P5", 10, 10, 0, IN_WINDOW, IN_WINDOW, False),  # 100 paid, cost 40
    ("P5", -2, 10, 0, IN_WINDOW, "2026-10-25", False),  # 2 back: net 80, margin 48: 60 %, 20 % back
    ("P5", -1, 10, 0, IN_WINDOW, "2026-11-03", False),  # back after the reference date: not yet known
    ("P7", 1, 10, 2, IN_WINDOW, IN_WINDOW, False),  # 8 paid
    ("P7", -1, 10, 0, IN_WINDOW, IN_WINDOW, False),  # a store return receipt of an older sale: -10
]


def crafted(conn: duckdb.DuckDBPyConnection, prices: bool = True) -> None:
    for schema in ("sales", "referential"):
        conn.execute(f"create schema {schema}")
    conn.execute(
        "create table referential.dim_product (product_id varchar, department_id varchar, "
        "department_name varchar, category_name varchar)"
    )
    conn.executemany(
        "insert into referential.dim_product values (?, ?, 'Paint', 'Wall paint')",
        [[p[0], DEPARTMENT.get(p[0], "D1")] for p in PRICES],
    )
    conn.execute(
        "create table referential.dim_product_price (product_id varchar, country_code varchar, "
        "currency_code varchar, list_price decimal(12, 2), cost_price decimal(12, 2))"
    )
    if prices:
        conn.executemany("insert into referential.dim_product_price values (?, 'FR', 'EUR', ?, ?)", PRICES)
    cost = {p: c for p, _, c in PRICES}
    conn.execute(
        "create table sales.fct_sales_lines (product_id varchar, country_code varchar, currency_code varchar, "
        "quantity integer, unit_price decimal(12, 2), discount_amount decimal(12, 2), net_amount decimal(14, 2), "
        "margin_amount decimal(14, 2), is_return boolean, is_cancelled boolean, ordered_date date, sold_date date)"
    )
    for product, qty, price, discount, ordered, sold, cancelled in LINES:
        net = qty * price - (1 if qty > 0 else -1) * discount
        conn.execute(
            "insert into sales.fct_sales_lines values (?, 'FR', 'EUR', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                product,
                qty,
                price,
                discount,
                net,
                net - qty * cost[product],
                qty < 0,
                cancelled,
                ordered,
                sold,
            ],
        )


def matrix(settings: MarginMatrixSettings, prices: bool = True) -> dict[str, dict]:
    with duckdb.connect() as conn:
        crafted(conn, prices)
        conn.execute(
            f"create table {margin_matrix.TABLE} as {margin_matrix.margin_matrix_sql(settings, REF)}"
        )
        assert not any(violations(conn, margin_matrix.TABLE, MATRIX_RULES).values())
        rel = conn.sql(f"from {margin_matrix.TABLE}")
        return {row[1]: dict(zip(rel.columns, row, strict=True)) for row in rel.fetchall()}


def test_quadrants_and_actions_by_hand_with_a_fixed_velocity_threshold():
    rows = matrix(FIXED)
    placed = {p: (r["quadrant"], r["action_key"]) for p, r in rows.items()}
    assert placed == {
        "P1": ("star", "star"),
        "P2": ("traffic_builder", "traffic_builder"),
        "P3": ("niche", "niche"),
        "P4": ("to_review", "to_review"),
        "P5": ("star", "high_returns"),  # a star with 20 % of its units back
        "P6": ("niche", "niche"),  # never sold: placed by its list margin (70 %), velocity 0
        "P7": ("to_review", "high_returns"),  # refunds over sales: list margin 20 %, 1 back for 1 sold
    }
    assert rows["P5"]["recommended_action"] == FIXED.actions["high_returns"]
    assert rows["P2"]["recommended_action"] == FIXED.actions["traffic_builder"]


def test_margin_rate_is_net_of_returns_and_discounts():
    rows = matrix(FIXED)
    p1, p2, p5, p6 = rows["P1"], rows["P2"], rows["P5"], rows["P6"]
    assert (p1["units_sold"], p1["net_revenue"], p1["gross_margin"]) == (10, 100.0, 40.0)
    assert p1["margin_rate"] == pytest.approx(0.4) and p1["velocity"] == pytest.approx(5.0)
    assert p2["margin_rate"] == pytest.approx(10 / 58) and p2["discount_rate"] == pytest.approx(2 / 60)
    assert (p5["units_sold"], p5["units_returned"], p5["net_revenue"], p5["gross_margin"]) == (
        10,
        2,
        80.0,
        48.0,
    )
    assert p5["return_rate"] == pytest.approx(0.2) and p5["margin_rate"] == pytest.approx(0.6)
    assert p5["returned_amount"] == 20.0
    assert (p6["units_sold"], p6["velocity"], p6["margin_rate"]) == (0, 0.0, None)
    assert p6["list_margin_rate"] == pytest.approx(0.7) and not p6["is_fast"]
    p7 = rows["P7"]  # net revenue -2: no margin rate (a ratio of two negatives would read 100 %)
    assert (p7["net_revenue"], p7["gross_margin"], p7["margin_rate"], p7["return_rate"]) == (
        -2.0,
        -2.0,
        None,
        1.0,
    )


def test_a_quantile_threshold_follows_the_departments_velocities():
    rows = matrix(FIXED.model_copy(update={"velocity_threshold": VelocityThreshold(quantile=0.5)}))
    # velocities 5, 3, 1, 0.5, 5, 0: the median of the department is (1 + 3) / 2 = 2
    assert [r["velocity_threshold"] for p, r in rows.items() if p != "P7"] == [pytest.approx(2.0)] * 6
    assert rows["P7"]["velocity_threshold"] == 0.5  # alone in its department
    assert rows["P2"]["quadrant"] == "traffic_builder" and rows["P3"]["quadrant"] == "niche"
    rows = matrix(FIXED.model_copy(update={"velocity_threshold": VelocityThreshold(quantile=0.9)}))
    # 90th percentile: 5 -> only P1 and P5 (5 a week) are fast in D1; P7, alone in D2, is its own threshold
    assert {p for p, r in rows.items() if r["is_fast"]} == {"P1", "P5", "P7"}


def test_without_a_price_list_products_are_placed_by_their_sales_alone():
    rows = matrix(FIXED, prices=False)
    assert set(rows) == {"P1", "P2", "P3", "P4", "P5", "P7"}  # P6, never sold nor priced, has no row
    assert rows["P1"]["list_price"] is None and rows["P1"]["quadrant"] == "star"
    assert rows["P4"]["quadrant"] == "to_review"


def test_every_quadrant_needs_an_action():
    with pytest.raises(ValueError, match="no action for"):
        MarginMatrixSettings(actions={"star": "Protect."})
    with pytest.raises(ValueError, match="exactly one"):
        VelocityThreshold(units_per_week=1, quantile=0.5)
