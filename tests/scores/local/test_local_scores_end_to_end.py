"""Local scores on the session's end-to-end warehouse (tests/conftest.py ``refreshed``, 600 customers):
the demo's two declared scores are assets with their owners, metrics, registry entries and gated
tables; a new file for another business unit and another kind of event becomes an asset the same
way; a target without events is refused by the data without failing the run; the backtest never
learns from the window it is judged on."""

import json
import shutil
from datetime import date, timedelta

import dagster as dg
import duckdb
import pytest

from platform_assets.definitions import defs
from platform_assets.lib.resources import settings_from_env, warehouse_from_env
from platform_assets.lib.settings import REFERENCE_DATE_TAG
from platform_assets.scores.local import defs_for, documented_tables, scoring
from platform_assets.scores.local.declaration import LocalScoreRefused, load_declarations
from tests.conftest import E2E_REFERENCE_DATE

REF = date.fromisoformat(E2E_REFERENCE_DATE)
DEMO = {"scores.local_pl_garden_season_buyer": "PL", "scores.local_fr_kitchen_project": "FR"}


def test_the_demo_scores_are_gated_assets_with_owners_metrics_and_registry(refreshed, demo_dir):
    result, db = refreshed
    graph = defs.resolve_asset_graph()
    garden = graph.get(dg.AssetKey(["scores", "local_pl_garden_season_buyer"]))
    assert garden.owners == ["garden.category.pl@example.com", "team:data-science-pl"]
    assert garden.metadata["sponsor"] == "ceo.pl@example.com"
    assert garden.metadata["domain"] == "scores"
    checks = {
        (e.asset_key.to_user_string(), e.check_name): e.passed for e in result.get_asset_check_evaluations()
    }
    with duckdb.connect(str(db), read_only=True) as conn:
        for table, unit in DEMO.items():
            model = table.removeprefix("scores.")
            assert checks[(table.replace(".", "/"), f"{model}_keys_and_ranges")]
            assert checks[(table.replace(".", "/"), f"{model}_trained")], table
            [(rows, units, version)] = conn.execute(
                f"select count(*), list(distinct business_unit), any_value(model_version) from {table}"
            ).fetchall()
            assert rows > 50 and units == [unit]
            metrics = dict(
                conn.execute(
                    "select metric, value from ops.model_metrics where model = ? and business_unit = ?",
                    [model, unit],
                ).fetchall()
            )
            assert 0.5 < metrics["backtest_auc"] <= 1 and metrics["backtest_positives"] > 0, metrics
            assert "backtest_lift_top_decile" in metrics
            [(registered, features)] = conn.execute(
                "select version, metrics from ops.model_registry where model = ? and business_unit = ? "
                "and status = 'active'",
                [model, unit],
            ).fetchall()
            assert registered == version and "backtest_auc" in json.loads(features)
        assert conn.execute("select status from ops.local_score_declarations").fetchall() == [("loaded",)] * 2
    # published to analysts as declared: the garden score is, the kitchen one only in the restricted file
    published = demo_dir / "published"
    with duckdb.connect(str(published / "analyst.duckdb"), read_only=True) as conn:
        tables = {t for (t,) in conn.execute("select table_name from duckdb_tables()").fetchall()}
    assert "local_pl_garden_season_buyer" in tables and "local_fr_kitchen_project" not in tables
    with duckdb.connect(str(published / "restricted.duckdb"), read_only=True) as conn:
        tables = {t for (t,) in conn.execute("select table_name from duckdb_tables()").fetchall()}
    assert "local_fr_kitchen_project" in tables


GB_CLICKS = """\
description: E-mail clicker (United Kingdom) within 60 days, for the newsletter's send list.
target: {event: email, event_types: [click], horizon_days: 60}
features:
  columns: [email_open_rate_12m, email_click_rate_12m, days_since_last_email_click, recency_days]
model: {estimator: random_forest, parameters: {n_estimators: 30, min_samples_leaf: 5}}
owners: {business_owner: crm.gb@example.com, technical_owner: team:crm-gb, sponsor: md.gb@example.com}
published_to_analysts: false
"""
NO_EVENTS = GB_CLICKS.replace("event: email, event_types: [click]", "event: sql, sql: never.sql")
NEVER_SQL = (
    "select l.customer_id from sales.fct_sales_lines as l "
    "where l.sold_date >= $start and l.sold_date < $end and l.net_amount < -1000000"
)


def test_a_new_file_becomes_a_scored_asset_and_a_target_without_events_is_refused(
    refreshed, demo_dir, tmp_path
):
    """Another business unit (GB) and another kind of event (e-mail clicks) from one new file; beside
    it, a score whose target nobody has: its table is empty with the reason and its check warns, the
    run succeeds."""
    _, db = refreshed
    folder = tmp_path / "local"
    (folder / "GB").mkdir(parents=True)
    (folder / "GB" / "newsletter_clicker.yml").write_text(GB_CLICKS)
    (folder / "GB" / "never.yml").write_text(NO_EVENTS)
    (folder / "GB" / "never.sql").write_text(NEVER_SQL)
    local = defs_for(folder, ("FR", "PL", "GB"), defs)
    copy = tmp_path / "cdp.duckdb"
    shutil.copy(db, copy)
    environ = {
        "CDP_DATA_DIR": str(tmp_path),
        "CDP_DUCKDB_PATH": str(copy),
        "CDP_LANDING_DIR": str(demo_dir / "landing"),
    }
    result = dg.materialize(
        [*local.assets, *local.asset_checks],
        resources={"platform": settings_from_env(environ), "warehouse": warehouse_from_env(environ)},
        tags={REFERENCE_DATE_TAG: E2E_REFERENCE_DATE},
        instance=dg.DagsterInstance.ephemeral(),
    )
    assert result.success
    key = dg.AssetKey(["scores", "local_gb_newsletter_clicker"])
    [clicker] = [a.specs_by_key[key] for a in local.assets if key in a.keys]
    assert clicker.owners == ["crm.gb@example.com", "team:crm-gb"]
    assert clicker.metadata["sponsor"] == "md.gb@example.com"
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert checks["local_gb_newsletter_clicker_keys_and_ranges"].passed
    assert checks["local_gb_newsletter_clicker_trained"].passed
    assert checks["local_gb_never_keys_and_ranges"].passed  # empty, with its reason
    refused = checks["local_gb_never_trained"]
    assert not refused.passed and refused.severity == dg.AssetCheckSeverity.WARN
    assert "never.yml: target: none of the" in refused.description
    with duckdb.connect(str(copy), read_only=True) as conn:
        [(rows, units)] = conn.execute(
            "select count(*), list(distinct business_unit) from scores.local_gb_newsletter_clicker"
        ).fetchall()
        metrics = dict(
            conn.execute(
                "select metric, value from ops.model_metrics where model = 'local_gb_newsletter_clicker'"
            ).fetchall()
        )
        assert conn.execute("select count(*) from scores.local_gb_never").fetchall() == [(0,)]
    assert rows > 50 and units == ["GB"]
    assert {"backtest_auc", "backtest_lift_top_decile", "horizon_days"} <= set(metrics)


@pytest.fixture(scope="module")
def garden():
    from platform_assets.lib.resources import settings_from_env as settings

    platform = settings({})
    [score] = [
        s
        for s in load_declarations(platform.local_scores_path, ("FR", "PL", "GB"), documented_tables(defs))[0]
        if s.business_unit == "PL"
    ]
    return score


@pytest.fixture(scope="module")
def warehouses(refreshed, garden, tmp_path_factory):
    """The session's warehouse, and a copy where half the garden purchases of the evaluation window
    [REF - 90 d, REF) (by a hash of the line) moved to a product of another department."""
    _, db = refreshed
    intact = tmp_path_factory.mktemp("intact") / "w.duckdb"
    altered = tmp_path_factory.mktemp("altered") / "w.duckdb"
    shutil.copy(db, intact)
    shutil.copy(db, altered)
    start = REF - timedelta(days=garden.declaration.target.horizon_days)
    with duckdb.connect(str(altered)) as conn:
        conn.execute(
            "update sales.fct_sales_lines set product_id = (select min(product_id) from referential.dim_product "
            "where department_name = 'Kitchen') where sold_date >= ? and sold_date < ? and product_id in "
            "(select product_id from referential.dim_product where department_name = 'Garden & outdoor') "
            "and hash(sales_line_id) % 2 = 0",
            [start, REF],
        )
    return str(intact), str(altered)


def backtest(path: str, score) -> scoring.Backtest:
    with duckdb.connect(path) as conn:
        return scoring.backtest(conn, score, REF)


def test_the_backtest_model_never_learns_from_the_window_it_is_judged_on(warehouses, garden):
    intact, altered = (backtest(path, garden) for path in warehouses)
    assert intact.cutoffs["backtest_evaluation"] == REF - timedelta(days=90)
    assert intact.probe.version == altered.probe.version  # same training rows, labels, parameters
    # ... while what it is judged on did change: the evaluation reads that window
    assert intact.measures["positives"] > 0 and altered.measures["positives"] < intact.measures["positives"]
    assert intact.measures["auc"] != altered.measures["auc"]


def test_a_catalogue_name_the_catalogue_does_not_have_is_refused(refreshed, garden):
    _, db = refreshed
    target = garden.declaration.target.model_copy(update={"departments": ("Garden",)})
    score = garden.__class__(
        **{**garden.__dict__, "declaration": garden.declaration.model_copy(update={"target": target})}
    )
    with duckdb.connect(str(db), read_only=True) as conn, pytest.raises(LocalScoreRefused) as refused:
        scoring.run(conn, score, REF)
    assert "garden_season_buyer.yml: target.departments: ['Garden'] not in the catalogue" in str(
        refused.value
    )


def test_the_features_are_read_once_per_date_and_as_of_the_reference_date_from_the_profile_table(
    warehouses, garden
):
    """The run computes the features as of R - H once (the backtest's evaluation set is the production
    training set) and takes those as of R from features.customer_profile: the same scores, model and
    backtest as computing every date afresh."""
    from platform_assets.scores.local import model

    horizon = timedelta(days=garden.declaration.target.horizon_days)
    with duckdb.connect(warehouses[0], read_only=True) as conn:
        read = scoring.run(conn, garden, REF, current_profile="features.customer_profile")
        computed = scoring.run(conn, garden, REF)
        frame, labels = scoring.labelled(conn, garden, REF - horizon, (), "training")
    assert read.scores.height > 50 and read.scores.equals(computed.scores)
    assert read.backtest.measures == computed.backtest.measures
    retrained = model.fit(garden.declaration.model, frame, labels, scoring.features_of(frame))
    assert read.model.version == retrained.version
