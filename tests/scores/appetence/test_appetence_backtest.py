"""The backtest's time split on a synthetic warehouse (customers with a hidden taste per department):
the backtest model never learns from the window it is judged on, the production model does, and the
model beats the popularity baseline where tastes differ."""

import functools
from datetime import date, datetime, timedelta

import duckdb
import numpy as np
import polars as pl
import pytest

from platform_assets.scores.appetence import model, scoring

REF = date(2026, 11, 1)
EVALUATION_START = REF - timedelta(days=model.HORIZON_DAYS)
DEPARTMENTS = ("D01", "D02", "D03", "D04", "D05", "D06")


def synthetic_warehouse(path, customers: int = 240, seed: int = 3) -> str:
    """Each customer buys on ~1 day in 12 over the 500 days before REF, in departments drawn from
    their own taste (two favourite departments); FR and GB."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(customers):
        taste = rng.dirichlet(np.full(len(DEPARTMENTS), 0.3))
        days = np.flatnonzero(rng.random(500) < 1 / 12)
        for d in days:
            for dept in set(rng.choice(len(DEPARTMENTS), size=rng.integers(1, 3), p=taste)):
                rows.append((f"C{i:04d}", f"P{dept}", REF - timedelta(days=int(500 - d)), 10.0 + d % 7))
    conn = duckdb.connect(str(path))
    conn.execute("create schema sales; create schema referential")
    conn.execute(
        "create table referential.dim_product as select 'P' || i as product_id, 'D0' || (i + 1) as department_id, "
        "'Department ' || (i + 1) as department_name from range(6) as t(i)"
    )
    conn.execute(
        "create table referential.dim_customer as select 'C' || lpad(i::varchar, 4, '0') as customer_id, "
        f"case when i % 3 = 0 then 'GB' else 'FR' end as country_code from range({customers}) as t(i)"
    )
    lines = pl.DataFrame(rows, schema=["customer_id", "product_id", "sold_date", "net_amount"], orient="row")
    conn.register("lines", lines)
    conn.execute(
        "create table sales.fct_sales_lines as select customer_id, product_id, sold_date, "
        "net_amount::decimal(18, 2) as net_amount, false as is_cancelled, false as is_return from lines"
    )
    conn.close()
    return str(path)


@pytest.fixture(scope="module")
def warehouses(tmp_path_factory):
    """The same warehouse twice; in the second, every purchase of the evaluation window
    [REF - 30 d, REF) moved to another department."""
    intact = synthetic_warehouse(tmp_path_factory.mktemp("intact") / "w.duckdb")
    altered = synthetic_warehouse(tmp_path_factory.mktemp("altered") / "w.duckdb")
    with duckdb.connect(altered) as conn:
        conn.execute(
            "update sales.fct_sales_lines set product_id = 'P' || ((product_id[2:]::int + 3) % 6) "
            "where sold_date >= ? and sold_date < ?",
            [EVALUATION_START, REF],
        )
    return intact, altered


@functools.cache
def backtest(path: str) -> scoring.Backtest:
    """The purchases-only backtest of a warehouse, computed once per module."""
    with duckdb.connect(path, read_only=True) as conn:
        return scoring.backtest(scoring._Rows(conn, browsing=False), REF)


@functools.cache
def production(path: str) -> scoring.AppetenceRun:
    """The whole run on a warehouse (browsing when it has a web source), computed once per module."""
    with duckdb.connect(path, read_only=True) as conn:
        return scoring.run(conn, REF)


def test_the_backtest_model_never_learns_from_the_window_it_is_judged_on(warehouses):
    intact, altered = (backtest(path) for path in warehouses)
    # same training rows and labels (the version hashes them) and the same predictions
    assert intact.probe.version == altered.probe.version
    features = [c for c in intact.evaluation.columns if c != "bought"]
    assert intact.evaluation.select(features).equals(altered.evaluation.select(features))
    # ... while what it is judged on did change: the evaluation really reads that window
    assert not intact.evaluation["bought"].equals(altered.evaluation["bought"])
    assert intact.measures["ALL"]["model_precision_at_3"] != altered.measures["ALL"]["model_precision_at_3"]


def test_the_production_model_trains_on_the_latest_window(warehouses):
    with (
        duckdb.connect(warehouses[0], read_only=True) as a,
        duckdb.connect(warehouses[1], read_only=True) as b,
    ):
        production = [scoring.run(conn, REF) for conn in (a, b)]
    assert production[0].model.version != production[1].model.version
    assert production[0].cutoffs["training"] == EVALUATION_START
    assert production[0].model.version != backtest(warehouses[0]).probe.version


def test_the_model_beats_popularity_when_tastes_differ(warehouses):
    measures = backtest(warehouses[0]).measures
    assert set(measures) == {"ALL", "FR", "GB"}
    overall = measures["ALL"]
    assert overall["customers_evaluated"] > 50
    assert overall["lift_precision_at_3"] > 1.2, overall
    assert overall["model_recall_at_3"] > overall["popularity_recall_at_3"]


def test_scores_hold_each_customers_three_best_departments(warehouses):
    result = production(warehouses[0])
    scores, long = result.scores, result.departments
    assert scores["customer_id"].is_unique().all() and scores.height == long["customer_id"].n_unique()
    assert long.height == scores.height * len(DEPARTMENTS)
    first = long.filter(pl.col("department_rank") == 1).sort("customer_id")
    assert first["department_id"].to_list() == scores.sort("customer_id")["department_1_id"].to_list()
    assert (scores["probability_1"] >= scores["probability_2"]).all()
    assert (scores["features_used"] == "purchases").all() and not result.uses_browsing


def test_the_training_sample_caps_customers_by_a_hash_of_their_id_not_the_row_order():
    rows = pl.DataFrame(
        {
            "customer_id": [f"C{i:03d}" for i in range(100) for _ in range(3)],
            "department_id": ["D01", "D02", "D03"] * 100,
        }
    )
    sample = scoring.training_sample(rows, max_customers=10)
    assert (
        sample["customer_id"].n_unique() == 10 and sample.height == 30
    )  # every department of a chosen customer
    shuffled = scoring.training_sample(rows.sample(fraction=1.0, shuffle=True, seed=1), max_customers=10)
    assert set(shuffled["customer_id"]) == set(sample["customer_id"])
    assert scoring.training_sample(rows, max_customers=100).equals(rows)


def add_browsing(path, seed: int = 5) -> None:
    """The web path's tables on the synthetic warehouse: one cookie per customer; before 9 in 10
    purchases, a product view in the department bought 1-30 days later (an intent the purchases do not
    show yet); views of random departments as noise; a bot. ``features.customer_department_browsing``
    marks the web path as run. Lines are read in a fixed order: the same warehouse, the same events."""
    rng = np.random.default_rng(seed)
    with duckdb.connect(path) as conn:
        lines = conn.sql(
            "select distinct customer_id, product_id, sold_date from sales.fct_sales_lines order by all"
        ).fetchall()
        events = []
        for customer, product, day in lines:
            if rng.random() < 0.9:
                seen = datetime.combine(day - timedelta(days=int(rng.integers(1, 31))), datetime.min.time())
                events.append((customer, f"D0{int(product[1:]) + 1}", "product_view", seen))
            noise = datetime.combine(day - timedelta(days=int(rng.integers(1, 60))), datetime.min.time())
            events.append((customer, DEPARTMENTS[int(rng.integers(len(DEPARTMENTS)))], "product_view", noise))
        events += [("BOT", "D01", "product_view", datetime(2026, 10, 20))] * 500
        frame = pl.DataFrame(
            events, schema=["customer_id", "department_id", "event_type", "event_at"], orient="row"
        )
        conn.register("events", frame)
        conn.execute("create schema staging; create schema features")
        conn.execute(
            "create table staging.stg_web__events as select 'E' || row_number() over () as event_id, "
            "'ck_' || customer_id as cookie_id, 'S' || row_number() over () as session_id, department_id, "
            "event_type, 'product' as page_type, event_at, customer_id = 'BOT' as is_bot from events"
        )
        conn.execute(
            "create table referential.cookie_xref as select distinct cookie_id, "
            "case when cookie_id <> 'ck_BOT' then cookie_id[4:] end as customer_id, "
            "timestamp '2020-01-01' as first_login_at from staging.stg_web__events"
        )
        conn.execute(
            "create table features.customer_department_browsing (customer_id varchar, department_id varchar)"
        )


@pytest.fixture(scope="module")
def browsed(tmp_path_factory):
    """With a web source: a warehouse plus browsing, and a copy whose events in the evaluation window
    moved to other departments."""
    paths = []
    for name in ("browsed", "browsed_altered"):
        path = synthetic_warehouse(tmp_path_factory.mktemp(name) / "w.duckdb")
        add_browsing(path)
        paths.append(path)
    with duckdb.connect(paths[1]) as conn:
        conn.execute(
            "update staging.stg_web__events set department_id = 'D0' || ((department_id[3:]::int + 2) % 6 + 1) "
            "where event_at >= ? and event_at < ?",
            [EVALUATION_START, REF],
        )
    return paths


def test_with_a_web_source_the_model_learns_from_browsing_too(browsed):
    result = production(browsed[0])
    assert result.uses_browsing and (result.scores["features_used"] == "purchases and browsing").all()
    assert {"product_views_30d", "days_since_last_view"} <= set(result.model.features)


def test_browsing_ranks_the_departments_about_to_be_bought_better(tmp_path):
    """1,000 customers (enough buyers that a better ranking is not lost in the noise of a few): the same
    purchases ranked with and without the intent signal of their browsing."""
    path = synthetic_warehouse(tmp_path / "w.duckdb", customers=1000)
    add_browsing(path)
    with duckdb.connect(path, read_only=True) as conn:
        tested = scoring.backtest(scoring._Rows(conn, browsing=True), REF).measures["ALL"]
        purchases_only = scoring.backtest(scoring._Rows(conn, browsing=False), REF).measures["ALL"]
    assert tested["uses_browsing"] == 1 and purchases_only["uses_browsing"] == 0
    assert tested["customers_evaluated"] == purchases_only["customers_evaluated"] > 400
    assert tested["model_precision_at_3"] > purchases_only["model_precision_at_3"]


def test_with_a_web_source_the_backtest_never_learns_from_the_evaluation_windows_browsing(browsed):
    tested = []
    for path in browsed:
        with duckdb.connect(path, read_only=True) as conn:
            tested.append(scoring.backtest(scoring._Rows(conn, browsing=True), REF))
    assert tested[0].probe.version == tested[1].probe.version
    views = ["product_views_30d", "product_views_90d"]
    assert tested[0].evaluation.select(views).equals(tested[1].evaluation.select(views))


def test_ranks_without_a_sort_are_the_sorted_ranking():
    """Scoring ranks a customer's departments with one argsort per customer when the rows are dense and
    sorted (as rows_as_of returns them); any other frame falls back to the sort: the same ranks."""
    rng = np.random.default_rng(0)
    n = 300
    rows = pl.DataFrame(
        {
            "customer_id": np.repeat([f"C{i:04d}" for i in range(n)], len(DEPARTMENTS)),
            "department_id": list(DEPARTMENTS) * n,
            "p": np.round(rng.random(n * len(DEPARTMENTS)), 1),  # ties, broken by department id
        }
    )
    expected = model.ranked(rows, "p").sort("customer_id", "department_id")["rank"]
    assert scoring._ranks(rows, "p").equals(expected)
    shuffled = rows.sample(fraction=1.0, shuffle=True, seed=1)
    back = shuffled.with_columns(scoring._ranks(shuffled, "p")).sort("customer_id", "department_id")
    assert back["rank"].equals(expected)
    sparse = rows.filter(~((pl.col("customer_id") == "C0003") & (pl.col("department_id") == "D02")))
    assert sparse.with_columns(scoring._ranks(sparse, "p"))["rank"].max() == len(DEPARTMENTS)
