"""The site on a second shape of data: two hand-made publications of two business units, where the
newer one lacks tables. The migration matrix and the score drift appear; a missing table gets a
panel saying since when; nothing crashes; the pages render in Chromium without a script error."""

import json
from pathlib import Path

import duckdb
import pytest

from platform_assets.cockpits.site import build_site, link_current
from platform_assets.publish.snapshots import prune
from tests.cockpits.browser import render

SEGMENTS = ("Champions", "Loyal", "At risk")


def _publication(
    root: Path, name: str, run_id: str, reference_date: str, shift: float, tables: set[str]
) -> None:
    """One snapshot: 100 customers per business unit; ``shift`` moves GB's churn probabilities."""
    folder = root / "snapshots" / name
    folder.mkdir(parents=True)
    with duckdb.connect(str(folder / "analyst.duckdb")) as conn:
        conn.execute(
            "create schema ops; create schema referential; create schema features; create schema scores"
        )
        conn.execute("create schema marketing; create schema sales")
        conn.execute(
            f"create table ops.publication as select '{run_id}' as run_id, date '{reference_date}' as reference_date, "
            f"timestamp '{reference_date} 06:00:00' as published_at, 'analyst' as file_kind"
        )
        conn.execute(
            "create table referential.business_units as select * from (values ('FR', 'France', 'EUR'), "
            "('GB', 'United Kingdom', 'GBP')) t(country_code, business_unit_name, currency_code)"
        )
        customers = (
            "select bu as business_unit, bu || '-' || i as customer_id, i from (values ('FR'), ('GB')) b(bu), "
            "range(100) r(i)"
        )
        # the newer publication moves every FR customer one segment down the list (first 30 stay)
        offset = 1 if shift else 0
        conn.execute(
            f"create table features.customer_rfm as select customer_id, business_unit, "
            f"{list(SEGMENTS)}[1 + ((i % 3) + (case when business_unit = 'FR' and i >= 30 then {offset} else 0 end)) % 3] "
            f"as segment, 10.0 * i as monetary from ({customers})"
        )
        conn.execute(
            f"create table scores.customer_churn as select customer_id, business_unit, "
            f"least(1.0, i / 100.0 + case when business_unit = 'GB' then {shift} else 0 end) as churn_probability, "
            f"case when i < 70 then 'healthy' else 'high risk' end as churn_band from ({customers})"
        )
        if "marketing.channel_ltv_cac" in tables:
            conn.execute(
                "create table marketing.channel_ltv_cac as select * from (values "
                "('FR', 'search', true, 10, 30.0, 600.0), ('FR', 'display', true, 5, 40.0, 200.0), "
                "('FR', 'referral', false, 7, 0.0, 900.0)) "
                "t(business_unit, acquisition_channel, is_paid_channel, customers_acquired_12m, cac_12m, predicted_ltv_12m)"
            )
        conn.execute(
            "create table ops.published_tables as select schema_name, table_name, estimated_size as row_count "
            "from duckdb_tables()"
        )
        if "ops.quarantine_by_rule" in tables:  # an older load, then the last one (GB none, FR two rules)
            conn.execute(
                "create table ops.quarantine_by_rule as select * from (values "
                "('L1', timestamp '2026-10-31 05:00:00', 'crm_contacts', 'GB', 'missing_required', 50), "
                "('L2', timestamp '2026-11-01 05:00:00', 'crm_contacts', 'FR', 'missing_required', 4), "
                "('L2', timestamp '2026-11-01 05:00:00', 'crm_contacts', 'FR', 'unparseable_date', 2), "
                "('L2', timestamp '2026-11-01 05:00:00', 'pos_receipts', null, 'unknown_store', 7)) "
                "t(load_id, loaded_at, raw_table, business_unit, quarantine_rule, rows)"
            )
        if "ops.check_results" in tables:
            conn.execute(
                "create table ops.check_results as select 'r' as run_id, 'raw/x' as asset_key, 'c' || i as check_name, "
                "case when i < 5 then 'dbt test' else 'GX suite' end as check_kind, i % 2 = 0 as blocking, "
                "case when i = 6 then 'warned' else 'passed' end as outcome from range(9) t(i)"
            )
    (root / "manifest.json").write_text(
        json.dumps({"snapshot": name, "checks": {"passed": 12, "failed_non_blocking": ["x:volume"]}})
    )


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    return tmp_path_factory.mktemp("published")


@pytest.fixture(scope="module")
def site(published):
    """Each publication followed by its site, as the daily job does: into its snapshot, then linked."""
    _publication(
        published, "20261001T060000Z_aaaaaaaa", "a" * 36, "2026-10-01", 0.0, {"marketing.channel_ltv_cac"}
    )
    first = build_site(published, None, "http://dagster.example:3000")
    link_current(published / "cockpits", first.directory, published)
    newer = {"ops.quarantine_by_rule", "ops.check_results"}
    _publication(published, "20261101T060000Z_bbbbbbbb", "b" * 36, "2026-11-01", 0.5, newer)
    second = build_site(published, None, "http://dagster.example:3000")
    link_current(published / "cockpits", second.directory, published)
    return second


def test_each_snapshot_keeps_its_site_and_the_link_shows_the_current_one(site, published):
    for name in ("20261001T060000Z_aaaaaaaa", "20261101T060000Z_bbbbbbbb"):
        assert (published / "snapshots" / name / "cockpits" / "command_center.html").is_file()
    assert site.directory == published / "snapshots" / "20261101T060000Z_bbbbbbbb" / "cockpits"
    (published / "current").symlink_to("snapshots/20261101T060000Z_bbbbbbbb")  # what the publication does
    shown = (published / "cockpits" / "command_center.html").read_text()
    assert "b" * 36 in shown and "a" * 36 not in shown


def test_tables_the_publications_lack_are_named_with_since_when(site):
    assert "marketing.channel_ltv_cac" in site.missing and "sales.fct_orders" in site.missing
    page = site.pages["Command Center"].read_text()
    assert (
        "marketing.channel_ltv_cac is not in the published analyst file (missing since the publication of 2026-11-01 06:00:00"
        in page
    )
    assert (
        "sales.fct_orders is not in the published analyst file (absent from all 2 kept publication(s))"
        in page
    )
    assert site.previous_kept


def test_migration_matrix_and_drift_against_the_previous_publication_in_the_browser(site):
    command = render(site.pages["Command Center"])
    assert command.errors == 0 and command.charts and all(command.charts.values())
    # fct_orders, customer_clv, channel_ltv_cac, attribution_by_channel, product_margin_matrix,
    # store_catchment, demand_weekly, in each business unit
    assert command.missing == 14
    # FR: 30 customers kept their segment, 70 moved one down; GB kept all 100
    assert "30.0 % kept their segment" in command.dom and "100.0 % kept their segment" in command.dom
    assert command.figures[("rfm_segment:Champions", "GB")] == 34  # i % 3 == 0 for i < 100
    models = render(site.pages["Model performance"])
    assert models.errors == 0
    psi = {bu: value for (key, bu), value in models.figures.items() if key == "psi:churn"}
    assert psi["FR"] == pytest.approx(0.0, abs=1e-9)  # the same probabilities
    assert psi["GB"] > 0.2  # shifted by 0.5: drift flagged
    assert "drift</span>" in models.dom


def test_data_health_counts_checks_and_quarantined_rows_by_rule_and_business_unit(site, published):
    health = render(site.pages["Data health"])
    assert health.errors == 0 and all(health.charts.values())
    shown = health.figures
    assert shown[("checks_passed", None)] == 8 and shown[("checks_warned", None)] == 1
    assert shown[("checks_failed", None)] == 0
    assert shown[("checks:dbt test:passed", None)] == 5 and shown[("checks:GX suite:warned", None)] == 1
    # the last load only (L2): 13 rows, 7 of them in a source with no business unit
    assert shown[("quarantined_rows", None)] == 13 and shown[("quarantined_rows_without_unit", None)] == 7
    assert shown[("quarantined:crm_contacts:missing_required", None)] == 4
    assert shown[("quarantined:pos_receipts:unknown_store", None)] == 7
    assert shown[("quarantined_rows", "FR")] == 6 and shown[("quarantined_rows", "GB")] == 0
    assert shown[("quarantined_bu:crm_contacts:unparseable_date", "FR")] == 2
    assert ("quarantined_bu:pos_receipts:unknown_store", "FR") not in shown
    # the first publication had neither table: the manifest's counts, and a panel saying what is missing
    first = render(published / "snapshots" / "20261001T060000Z_aaaaaaaa" / "cockpits" / "data_health.html")
    assert first.errors == 0
    assert first.figures[("checks_passed", None)] == 12 and first.figures[("checks_warned", None)] == 1
    assert "ops.check_results is not in the published analyst file" in first.dom
    assert "ops.quarantine_by_rule is not in the published analyst file" in first.dom


def test_every_page_is_written_under_the_size_limit_and_loads_plotly_from_the_site_only(site):
    for path in site.pages.values():
        text = path.read_text()
        assert path.stat().st_size < 5_000_000
        assert "http://" not in text.replace("http://dagster.example:3000", "") and "https://" not in text
        assert text.count('<script src="') <= 1 and (
            'src="plotly.min.js"' in text or '<div class="chart"' not in text
        )
    assert (site.directory / "plotly.min.js").stat().st_size > 1_000_000


def test_pruning_a_snapshot_removes_its_site_too(tmp_path):
    _publication(tmp_path, "20261001T060000Z_aaaaaaaa", "a" * 36, "2026-10-01", 0.0, set())
    build_site(tmp_path, None, "http://dagster.example:3000")
    _publication(tmp_path, "20261101T060000Z_bbbbbbbb", "b" * 36, "2026-11-01", 0.0, set())
    (tmp_path / "snapshots" / "20261001T060000Z_aaaaaaaa" / "cockpits").chmod(0o555)  # as read-only as can be
    assert prune(tmp_path, keep=1) == ["20261001T060000Z_aaaaaaaa"]
    assert [p.name for p in (tmp_path / "snapshots").iterdir()] == ["20261101T060000Z_bbbbbbbb"]
