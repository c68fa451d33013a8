"""The cockpits the end-to-end run built (fixture ``refreshed``, 600 customers), rendered in headless
Chromium: no script error, every chart drawn, and the key figures shown equal the analyst file's."""

import duckdb
import pytest

from tests.cockpits.browser import render

PAGES = ("command_center", "data_health", "model_performance", "campaign_performance")


@pytest.fixture(scope="module")
def published(refreshed, demo_dir):
    result, _ = refreshed
    assert result.success
    return demo_dir / "published"


@pytest.fixture(scope="module")
def rendered(published):
    return {page: render(published / "cockpits" / f"{page}.html") for page in PAGES}


@pytest.fixture(scope="module")
def analyst(published):
    with duckdb.connect(str(published / "analyst.duckdb"), read_only=True) as conn:
        [(ref,)] = conn.execute("select reference_date from ops.publication").fetchall()
        orders = conn.execute(
            "select country_code, count(distinct customer_id), sum(net_amount)::double from sales.fct_orders "
            "where customer_id is not null and not coalesce(is_cancelled, false) "
            "and ordered_date between ?::date - 365 and ?::date - 1 group by 1",
            [ref, ref],
        ).fetchall()
        bands = conn.execute(
            "select business_unit, churn_band, count(*) from scores.customer_churn group by all"
        ).fetchall()
        segments = conn.execute(
            "select business_unit, segment, count(*) from features.customer_rfm group by all"
        ).fetchall()
        campaigns = conn.execute(
            "select business_unit, sum(incremental_revenue), count(*) from activation.campaign_results group by 1"
        ).fetchall()
        pressure = conn.execute(
            "select business_unit, max_contacts from activation.contact_pressure"
        ).fetchall()
        audiences = conn.execute(
            "select business_unit, sum(customers) filter (where status <> 'excluded'), "
            "sum(customers) filter (where status = 'excluded') from activation.audience_summary group by 1"
        ).fetchall()
        bus = [bu for (bu,) in conn.execute("select country_code from referential.business_units").fetchall()]
    return {
        "orders": orders,
        "bands": bands,
        "segments": segments,
        "campaigns": campaigns,
        "pressure": pressure,
        "audiences": audiences,
        "bus": bus,
    }


def test_every_page_renders_without_a_script_error_and_draws_every_chart(rendered):
    for page, r in rendered.items():
        assert r.errors == 0, page
        assert not [line for line in r.console if "Uncaught" in line or "Error" in line], (page, r.console)
        assert all(r.charts.values()), (page, [c for c, drawn in r.charts.items() if not drawn])
    assert rendered["campaign_performance"].charts and rendered["data_health"].charts
    assert rendered["model_performance"].charts  # the churn calibration curve, per business unit


def test_every_table_the_pages_read_is_published(rendered):
    assert all(r.missing == 0 for r in rendered.values()), {p: r.missing for p, r in rendered.items()}


def test_the_command_center_shows_the_analyst_files_figures(rendered, analyst):
    shown = rendered["command_center"].figures
    assert {bu for (_, bu) in shown} == set(analyst["bus"])
    for bu, active, revenue in analyst["orders"]:
        assert shown[("active_customers", bu)] == active
        assert shown[("revenue_12m", bu)] == pytest.approx(revenue, abs=0.01)
    for bu, band, n in analyst["bands"]:
        assert shown[(f"churn_band:{band}", bu)] == n
    for bu, segment, n in analyst["segments"]:
        assert shown[(f"rfm_segment:{segment}", bu)] == n


def test_the_campaign_page_shows_the_analyst_files_figures(rendered, analyst):
    shown = rendered["campaign_performance"].figures
    for bu, revenue, sends in analyst["campaigns"]:
        assert shown[("incremental_revenue", bu)] == pytest.approx(revenue, abs=0.01)
        assert shown[("campaigns", bu)] == sends
    assert analyst["pressure"]
    for bu, max_contacts in analyst["pressure"]:
        assert shown[("max_contacts", bu)] == max_contacts
    assert analyst["audiences"]
    for bu, members, excluded in analyst["audiences"]:
        assert shown[("audience_customers", bu)] == (members or 0)
        assert shown[("excluded_customers", bu)] == (excluded or 0)


def test_the_audience_summary_counts_the_working_files_audiences(refreshed):
    """The published summary against the audiences it counts (restricted: in the working file)."""
    _, db = refreshed
    with duckdb.connect(str(db), read_only=True) as conn:
        expected = conn.execute(
            "select campaign_code, business_unit, reason, count(*) from activation.audience_exclusions group by all "
            "union all select campaign_code, business_unit, audience_group, count(*) from activation.audiences group by all "
            "order by all"
        ).fetchall()
        summary = conn.execute(
            "select campaign_code, business_unit, coalesce(reason, status), sum(customers) from activation.audience_summary "
            "group by all order by all"
        ).fetchall()
    assert expected and summary == expected


def test_the_asset_reports_its_pages_and_summary(refreshed, published):
    import dagster as dg

    result, _ = refreshed
    [event] = [
        e
        for e in result.get_asset_materialization_events()
        if e.asset_key == dg.AssetKey(["cockpits", "site"])
    ]
    metadata = event.materialization.metadata
    pages = metadata["pages"].value
    for page in PAGES:
        assert str(published / "cockpits" / f"{page}.html") in pages
    assert "active customers" in metadata["summary"].value
    assert metadata["missing_tables"].value == []
    assert all(size < 5_000_000 for size in metadata["page_bytes"].value.values())
