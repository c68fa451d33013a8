"""Catchment areas on crafted postcodes, by hand: nearest store and distance band per customer (missing,
misspelt and foreign postcodes kept as unknown), per store its customers and revenue by band."""

import math
from datetime import date

import duckdb
import pytest

from platform_assets.lib.gates import violations
from platform_assets.lib.profit_settings import CatchmentSettings
from platform_assets.profit import catchment
from platform_assets.profit.checks import CUSTOMER_CATCHMENT_RULES, STORE_CATCHMENT_RULES

REF = date(2026, 11, 1)
SETTINGS = CatchmentSettings(distance_bands_km=(10, 25, 50), revenue_window_days=365)
CENTROIDS = [
    ("FR", "75001", 48.857, 2.352),  # Paris
    ("FR", "75010", 48.907, 2.352),  # 0.05 degree north of it: 5.56 km
    ("FR", "78000", 48.804, 2.130),  # Versailles
    ("FR", "69001", 45.764, 4.836),  # Lyon
    ("FR", "45000", 47.903, 1.909),  # Orléans
]
STORES = [
    ("S1", "FR", "75001", False),
    ("S2", "FR", "69001", False),
    ("W", "FR", None, True),
    ("S4", "FR", "99999", False),
]
CUSTOMERS = [
    ("C1", "FR", "75010"),
    ("C2", "FR", "78 000"),  # spelt with a space: the same postcode
    ("C3", "FR", "69001"),
    ("C4", "FR", None),  # no postcode
    ("C5", "FR", "75O01"),  # a letter O for a zero: not in the reference
    ("C6", "FR", "45000"),
    ("C7", "PL", "75001"),  # a French postcode in another business unit: not located there
]
# store, customer, ordered date, net amount, cancelled
ORDERS = [
    ("S1", "C1", "2026-10-01", 100, False),
    ("S1", "C2", "2026-10-02", 50, False),
    ("S1", "C6", "2026-10-03", 30, False),
    ("S1", None, "2026-10-04", 20, False),  # anonymous receipt
    ("S1", "C3", "2026-10-05", 40, False),  # a Lyon customer in Paris
    ("S1", "C4", "2026-10-06", 10, False),
    ("S1", "C1", "2025-10-01", 999, False),  # before the window
    ("S1", "C1", "2026-10-07", 999, True),  # cancelled
    ("W", "C1", "2026-10-08", 77, False),  # web shop: no catchment
    ("S1", "C1", "2026-10-09", -60, False),  # a return-only receipt: left out
]


def haversine(a: tuple[float, float], b: tuple[float, float]) -> float:
    (la1, lo1), (la2, lo2) = (tuple(math.radians(v) for v in p) for p in (a, b))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def build(conn: duckdb.DuckDBPyConnection) -> None:
    for schema in ("staging", "referential", "sales", "features"):
        conn.execute(f"create schema {schema}")
    conn.execute(
        f"create table {catchment.CENTROIDS} (country_code varchar, postcode varchar, latitude double, longitude double)"
    )
    conn.executemany(f"insert into {catchment.CENTROIDS} values (?, ?, ?, ?)", CENTROIDS)
    conn.execute(
        "create table referential.dim_store (store_id varchar, store_name varchar, country_code varchar, "
        "postcode varchar, is_web_shop boolean)"
    )
    conn.executemany(
        "insert into referential.dim_store values (?, ?, ?, ?, ?)", [(s, s, *r) for s, *r in STORES]
    )
    conn.execute(
        "create table referential.dim_customer (customer_id varchar, country_code varchar, postcode varchar)"
    )
    conn.executemany("insert into referential.dim_customer values (?, ?, ?)", CUSTOMERS)
    conn.execute(
        "create table sales.fct_orders (store_id varchar, customer_id varchar, ordered_date date, "
        "net_amount decimal(14, 2), is_cancelled boolean, is_return_only boolean)"
    )
    conn.executemany(
        "insert into sales.fct_orders values (?, ?, ?, ?, ?, ?)", [(*o, o[3] < 0) for o in ORDERS]
    )
    conn.execute(
        f"create table {catchment.CUSTOMER_TABLE} as {catchment.customer_catchment_sql(SETTINGS, REF)}"
    )
    conn.execute(f"create table {catchment.STORE_TABLE} as {catchment.store_catchment_sql(SETTINGS, REF)}")


@pytest.fixture(scope="module")
def conn():
    with duckdb.connect() as c:
        build(c)
        yield c


def test_each_customer_gets_the_nearest_store_of_their_unit_and_a_band(conn):
    rows = {
        cid: (store, dist, band)
        for cid, store, dist, band in conn.execute(
            f"select customer_id, nearest_store_id, distance_km, distance_band from {catchment.CUSTOMER_TABLE}"
        ).fetchall()
    }
    paris, lyon = (48.857, 2.352), (45.764, 4.836)
    assert rows["C1"] == ("S1", pytest.approx(haversine(paris, (48.907, 2.352)), abs=0.01), "0-10 km")
    assert rows["C1"][1] == pytest.approx(5.56, abs=0.01)
    assert rows["C2"] == ("S1", pytest.approx(haversine(paris, (48.804, 2.130)), abs=0.01), "10-25 km")
    assert rows["C3"] == ("S2", 0.0, "0-10 km")
    assert rows["C6"][0] == "S1" and rows["C6"][2] == "50+ km"
    assert haversine((47.903, 1.909), paris) < haversine((47.903, 1.909), lyon)
    for unknown in ("C4", "C5", "C7"):  # kept, not dropped
        assert rows[unknown] == (None, None, "unknown")
    assert len(rows) == len(CUSTOMERS)


def test_a_stores_revenue_is_split_by_the_buyers_distance_to_it(conn):
    rows = {
        band: (nearest, buyers, revenue, share, located_share, outside)
        for band, nearest, buyers, revenue, share, located_share, outside in conn.execute(
            "select distance_band, nearest_customers, buying_customers, net_revenue, revenue_share, "
            f"located_revenue_share, is_outside_primary_zone from {catchment.STORE_TABLE} where store_id = 'S1'"
        ).fetchall()
    }
    # 250 in the window: 220 from located buyers, 10 from a buyer not located, 20 anonymous
    assert rows == {
        "0-10 km": (1, 1, 100.0, pytest.approx(0.4), pytest.approx(100 / 220), False),
        "10-25 km": (1, 1, 50.0, pytest.approx(0.2), pytest.approx(50 / 220), True),
        "25-50 km": (0, 0, 0.0, 0.0, 0.0, True),
        "50+ km": (1, 2, 70.0, pytest.approx(0.28), pytest.approx(70 / 220), True),  # C6 (Orléans), C3 (Lyon)
        "unknown": (0, 1, 10.0, pytest.approx(0.04), None, None),
        "anonymous": (0, 0, 20.0, pytest.approx(0.08), None, None),
    }
    stores = {s for (s,) in conn.execute(f"select distinct store_id from {catchment.STORE_TABLE}").fetchall()}
    assert stores == {"S1", "S2", "S4"}  # physical stores only; S4, not located, has a row of zeros
    [(located,)] = conn.execute(
        f"select bool_or(is_located) from {catchment.STORE_TABLE} where store_id = 'S4'"
    ).fetchall()
    assert located is False
    assert not any(violations(conn, catchment.STORE_TABLE, STORE_CATCHMENT_RULES).values())
    assert not any(violations(conn, catchment.CUSTOMER_TABLE, CUSTOMER_CATCHMENT_RULES).values())


def test_distance_bands_must_increase():
    with pytest.raises(ValueError, match="increase"):
        CatchmentSettings(distance_bands_km=(10, 5))
    assert catchment.band_labels(CatchmentSettings(distance_bands_km=(2.5, 15))) == [
        "0-2.5 km",
        "2.5-15 km",
        "15+ km",
    ]
