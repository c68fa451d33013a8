"""CDNOW end to end: the public CDNOW sample (shared datasets) landed through
platform_assets/retailers/cdnow.yml alone, the whole daily graph as of 1998-07-01 with the CLV
calibration end of the configuration (1997-09-30), and the published BG/NBD (Fader, Hardie & Lee
2005) and Gamma-Gamma (Fader & Hardie 2013) parameters found in ops.model_metrics within 1 %."""

import shutil
import time
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from platform_assets.definitions import build_defs
from platform_assets.lib.resources import resources_from_env
from platform_assets.lib.retailer import RETAILERS_DIR
from platform_assets.lib.settings import REFERENCE_DATE_TAG
from tests.dbt_parse import parse_dbt

REPO_ROOT = Path(__file__).resolve().parents[1]
CDNOW = REPO_ROOT.parent / "shared" / "datasets" / "cdnow" / "CDNOW_sample.txt"
REFERENCE_DATE = "1998-07-01"
PUBLISHED = {
    ("bgnbd", "r"): 0.243,
    ("bgnbd", "alpha"): 4.414,
    ("bgnbd", "a"): 0.793,
    ("bgnbd", "b"): 2.426,
    ("gamma_gamma", "p"): 6.25,
    ("gamma_gamma", "q"): 3.74,
    ("gamma_gamma", "gamma"): 15.44,
}


@pytest.fixture(scope="module")
def cdnow_run(tmp_path_factory):
    assert CDNOW.exists(), f"CDNOW sample missing: {CDNOW}"
    root = tmp_path_factory.mktemp("cdnow")
    (root / "landing" / "cdnow").mkdir(parents=True)
    shutil.copy(CDNOW, root / "landing" / "cdnow" / "CDNOW_sample.txt")  # what `make data DATASET=cdnow` does
    db = root / "warehouse" / "cdp.duckdb"
    parse_dbt(db)  # for this warehouse: each dbt step then re-parses only what changed
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CDP_DATA_DIR", str(root))
        mp.setenv("CDP_LANDING_DIR", str(root / "landing"))
        mp.setenv("CDP_DUCKDB_PATH", str(db))
        mp.setenv("CDP_RETAILER_CONFIG", str(RETAILERS_DIR / "cdnow.yml"))
        defs = build_defs(resources_from_env())
        started = time.perf_counter()
        result = defs.resolve_job_def("daily_refresh").execute_in_process(
            instance=dg.DagsterInstance.ephemeral(), tags={REFERENCE_DATE_TAG: REFERENCE_DATE}
        )
        seconds = time.perf_counter() - started
    print(f"CDNOW daily_refresh: {seconds:.1f} s")
    return result, db


def _metrics(db: Path) -> dict[tuple[str, str], float]:
    with duckdb.connect(str(db), read_only=True) as conn:
        rows = conn.execute(
            "select model, metric, value from ops.model_metrics "
            "where business_unit = 'US' and model in ('bgnbd', 'gamma_gamma', 'clv')"
        ).fetchall()
    return {(model, metric): value for model, metric, value in rows}


def test_the_daily_refresh_runs_every_asset_on_cdnow(cdnow_run):
    result, _ = cdnow_run
    assert result.success
    graph = result.job_def.asset_layer.asset_graph
    expected = {k for k in graph.get_all_asset_keys() if graph.get(k).is_materializable}
    assert {m.asset_key for m in result.get_asset_materialization_events()} == expected
    blocking = [e for e in result.get_asset_check_evaluations() if e.severity == dg.AssetCheckSeverity.ERROR]
    assert len(blocking) >= 50
    assert [e.check_name for e in blocking if not e.passed] == []


def test_scores_that_need_data_cdnow_lacks_say_why_and_stay_empty(cdnow_run):
    result, db = cdnow_run
    metadata = {
        m.asset_key.to_user_string(): m.materialization.metadata
        for m in result.get_asset_materialization_events()
    }
    expected = {
        "scores/customer_segment": "catalog_products",  # segments by department
        "scores/segment_profile": "catalog_products",
        "scores/segment_rfm_crosstab": "catalog_products",
        "scores/customer_life_moments": "catalog_products",
        "scores/customer_appetence": "catalog_products",  # departments come from the catalogue
        "scores/customer_department_appetence": "catalog_products",
        "scores/customer_churn": "cannot be trained",  # 18 months of history, a 300-day horizon
        "marketing/channel_ltv_cac": "marketing_acquisitions",
        "activation/audiences": "consent_preferences",
        "forecasts/demand_weekly": "catalog_products",  # departments come from the catalogue
    }
    with duckdb.connect(str(db), read_only=True) as conn:
        for key, why in expected.items():
            assert why in metadata[key]["skipped"].value, key
            [(rows, comment)] = conn.execute(
                "select estimated_size, comment from duckdb_tables() where schema_name = ? and table_name = ?",
                key.split("/"),
            ).fetchall()
            assert rows == 0 and why in comment, key
    # analysts read why in the published file too (the table's comment and the data dictionary)
    analyst = db.parent.parent / "published" / "analyst.duckdb"
    with duckdb.connect(str(analyst), read_only=True) as conn:
        [(comment,)] = conn.execute(
            "select comment from duckdb_tables() where schema_name = 'scores' and table_name = 'customer_churn'"
        ).fetchall()
    assert comment.startswith("Empty by design: the churn model cannot be trained")
    # what CDNOW has is scored: lifetime value and RFM for every customer
    assert "skipped" not in metadata["features/customer_clv"]
    assert metadata["features/customer_clv"]["dagster/row_count"].value == 2357
    assert metadata["features/customer_rfm"]["dagster/row_count"].value == 2357


def test_every_order_lands_as_a_receipt_of_its_customer(cdnow_run):
    _, db = cdnow_run
    with duckdb.connect(str(db), read_only=True) as conn:
        [(customers, units)] = conn.execute(
            "select count(*), string_agg(distinct country_code) from referential.dim_customer"
        ).fetchall()
        [(orders, attributed, total, currencies)] = conn.execute(
            "select count(*), count(customer_id), sum(gross_amount), string_agg(distinct currency_code) "
            "from sales.fct_orders"
        ).fetchall()
    file_total = sum(float(line.split()[4]) for line in CDNOW.read_text().splitlines() if line.strip())
    assert (customers, units) == (2357, "US")
    assert (orders, attributed, currencies) == (6919, 6919, "USD")
    assert float(total) == pytest.approx(file_total, abs=0.005)


def test_the_published_parameters_are_found_within_one_percent(cdnow_run):
    _, db = cdnow_run
    metrics = _metrics(db)
    measured = {key: metrics[key] for key in PUBLISHED}
    print("CDNOW parameters:", {f"{m}.{p}": round(v, 4) for (m, p), v in measured.items()})
    for key, published in PUBLISHED.items():
        assert measured[key] == pytest.approx(published, rel=0.01), key
    # fitted on the calibration period's 2,357 customers (946 repeat buyers for the spend model)
    assert metrics[("bgnbd", "fit_customers")] == 2357
    assert metrics[("gamma_gamma", "fit_customers")] == 946


def test_the_backtest_predicts_the_published_holdout(cdnow_run):
    """Fitted to the calibration end, the backtest predicts weeks 40-78: 1,882 repeat purchase days
    in the sample, tracked by the model within about 15 % (FHL 2005, figure 2)."""
    _, db = cdnow_run
    metrics = _metrics(db)
    assert metrics[("bgnbd", "backtest_actual_total")] == 1882
    assert metrics[("bgnbd", "backtest_customers")] == 2357
    assert abs(metrics[("bgnbd", "backtest_aggregate_error")]) < 0.15


def test_the_cockpits_of_a_one_business_unit_retailer_without_catalogue_render(cdnow_run):
    """The cockpits on CDNOW's shape: one business unit, no catalogue, no churn model (too little
    history): every page renders in Chromium without a script error, its charts drawn, and the
    Command Center's active customers and revenue are the analyst file's."""
    from tests.cockpits.browser import render

    _, db = cdnow_run
    published = db.parent.parent / "published"
    pages = {
        p: render(published / "cockpits" / f"{p}.html")
        for p in ("command_center", "data_health", "model_performance", "campaign_performance")
    }
    for page, rendered in pages.items():
        assert rendered.errors == 0, page
        assert all(rendered.charts.values()), page
    with duckdb.connect(str(published / "analyst.duckdb"), read_only=True) as conn:
        [(active, revenue)] = conn.execute(
            "select count(distinct customer_id), sum(net_amount)::double from sales.fct_orders "
            "where not coalesce(is_cancelled, false) and ordered_date between date '1998-07-01' - 365 and date '1998-06-30'"
        ).fetchall()
    shown = pages["command_center"].figures
    assert {bu for (_, bu) in shown if bu} == {"US"}
    assert shown[("active_customers", "US")] == active
    assert shown[("revenue_12m", "US")] == pytest.approx(revenue, abs=0.01)


def test_cdnow_orders_have_no_touch_and_its_products_are_placed_by_sales_alone(cdnow_run):
    """A retailer with no e-mail tool, web analytics, acquisitions or price list (platform_assets/profit)."""
    _, db = cdnow_run
    with duckdb.connect(str(db), read_only=True) as conn:
        channels = conn.execute(
            "select model, channel, sum(attributed_orders) from marketing.attribution group by all order by all"
        ).fetchall()
        [(orders,)] = conn.execute(
            "select count(*) from sales.fct_orders where not is_cancelled and not is_return_only"
        ).fetchall()
        matrix = conn.execute(
            "select count(*), count(list_price), count(margin_rate), count(distinct quadrant) "
            "from sales.product_margin_matrix"
        ).fetchall()
    assert channels == [(m, "no_touch", orders) for m in ("last_touch", "linear", "position_based")]
    [(products, priced, with_margin, quadrants)] = matrix
    # CDNOW has no cost prices: no margin, every product to review, still one row per product sold
    assert products > 0 and priced == 0 and with_margin == 0 and quadrants == 1
    with duckdb.connect(str(db), read_only=True) as conn:
        bands = conn.execute("select distinct distance_band from features.customer_catchment").fetchall()
    assert bands == [("unknown",)]  # no postcode file: every customer kept, located nowhere
