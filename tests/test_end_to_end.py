"""The whole graph, materialised in-process through the scheduled job on a small generated retailer
(fixtures ``demo_dir`` and ``refreshed`` in tests/conftest.py, shared with sibling modules)."""

import gzip
import json
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from platform_assets.cockpits.assets import cockpits_site
from platform_assets.definitions import build_defs, defs
from platform_assets.landing.contracts import CONTRACTS
from platform_assets.landing.loader import source_files
from platform_assets.lib.resources import resources_from_env
from platform_assets.lib.retailer import DEMO_RETAILER, load_retailer
from platform_assets.lib.settings import REFERENCE_DATE_TAG
from platform_assets.referential.identity_assets import identity_resolution
from tests.conftest import E2E_CUSTOMERS

CUSTOMERS = E2E_CUSTOMERS


def file_rows(path: Path) -> int:
    """Data rows of a landing file, counted independently of the loader (a .gz file decompressed)."""
    with gzip.open(path, "rb") if path.suffix == ".gz" else path.open("rb") as handle:
        lines = sum(1 for line in handle if line.strip())
    return lines if ".ndjson" in path.suffixes else lines - 1


def test_the_daily_refresh_materialises_every_asset(refreshed):
    result, _ = refreshed
    assert result.success
    graph = defs.resolve_asset_graph()
    expected = {k for k in graph.get_all_asset_keys() if graph.get(k).is_materializable}
    materialized = {m.asset_key for m in result.get_asset_materialization_events()}
    assert materialized == expected
    for event in result.get_asset_materialization_events():
        if event.asset_key != cockpits_site.key:  # the cockpits write HTML files, not a table
            assert "dagster/row_count" in event.materialization.metadata, event.asset_key


def test_every_dbt_test_passes_on_the_demo_data(refreshed):
    result, _ = refreshed
    evaluations = result.get_asset_check_evaluations()
    assert len(evaluations) >= 50
    failed = [f"{e.asset_key.to_user_string()}:{e.check_name}" for e in evaluations if not e.passed]
    assert failed == []


def test_every_landing_row_reaches_raw_and_staging(refreshed, demo_dir):
    _, db = refreshed
    landing = demo_dir / "landing"
    with duckdb.connect(str(db), read_only=True) as conn:
        for contract in CONTRACTS:
            delivery = load_retailer(DEMO_RETAILER).sources[contract.table]
            files = source_files(landing, delivery)
            if not files and delivery.when_no_files == "empty":  # configured, none delivered yet
                assert conn.execute(f"select count(*) from raw.{contract.table}").fetchall() == [(0,)]
                continue
            assert files, contract.table
            in_files = sum(file_rows(f) for f in files)
            in_raw = conn.execute(f"select count(*) from raw.{contract.table}").fetchall()[0][0]
            staged = f"stg_{contract.system}__{contract.entity}"
            in_staging = conn.execute(f"select count(*) from staging.{staged}").fetchall()[0][0]
            assert in_raw == in_files, contract.table
            assert in_staging == in_raw, staged
            assert in_raw > 0, contract.table


def test_volumes_are_plausible_for_the_customer_count(refreshed):
    _, db = refreshed
    with duckdb.connect(str(db), read_only=True) as conn:
        count = {
            t: conn.execute(f"select count(*) from staging.{t}").fetchall()[0][0]
            for t in (
                "stg_crm__contacts",
                "stg_pos__receipt_lines",
                "stg_ecommerce__order_lines",
                "stg_erp__stores",
            )
        }
    assert 0.6 * CUSTOMERS < count["stg_crm__contacts"] < 1.0 * CUSTOMERS
    assert (
        10 * CUSTOMERS
        < count["stg_pos__receipt_lines"] + count["stg_ecommerce__order_lines"]
        < 35 * CUSTOMERS
    )
    assert count["stg_erp__stores"] >= 3 * 2  # at least one store and one web shop per business unit


def test_loads_are_audited_per_file(refreshed, demo_dir):
    _, db = refreshed
    with duckdb.connect(str(db), read_only=True) as conn:
        [audited] = conn.execute("select count(*), count(distinct load_id) from ops.landing_files").fetchall()
    files = sum(
        len(source_files(demo_dir / "landing", load_retailer(DEMO_RETAILER).sources[c.table]))
        for c in CONTRACTS
    )
    assert audited == (files, 1)
    assert json.loads((demo_dir / "manifest.json").read_text())["customers"] == CUSTOMERS


def test_identity_resolution_is_measured_against_the_ground_truth(refreshed):
    _, db = refreshed
    with duckdb.connect(str(db), read_only=True) as conn:
        [(precision, recall, records)] = conn.execute(
            "select precision, recall, records from ops.identity_match_quality"
        ).fetchall()
        [(xref, customers, in_dim)] = conn.execute(
            "select count(*), count(distinct customer_id), (select count(*) from referential.dim_customer) "
            "from referential.customer_xref"
        ).fetchall()
    print(f"identity on {CUSTOMERS} customers: precision {precision:.4f}, recall {recall:.4f}")
    assert records == xref  # every record of the crosswalk is in the ground truth
    assert precision >= 0.99 and recall >= 0.95
    assert customers == in_dim


def test_trained_match_weights_are_kept_and_charted(refreshed):
    result, db = refreshed
    with duckdb.connect(str(db), read_only=True) as conn:
        trained = conn.execute(
            "select count(*) filter (where m_probability > 0 and u_probability > 0), count(distinct run_id) "
            "from ops.identity_match_weights where comparison_vector_value >= 0"
        ).fetchall()[0]
    assert trained[0] >= 20 and trained[1] == 1
    [event] = [
        e
        for e in result.get_asset_materialization_events()
        if e.asset_key == dg.AssetKey(["ops", "identity_match_weights"])
    ]
    chart = event.materialization.metadata["match_weights_chart"].value
    assert chart.startswith("![match weights](data:image/png;base64,")


IDENTITY_KEYS = list(identity_resolution.keys)  # a multi-asset: all its tables together


def test_rerunning_identity_on_the_same_input_issues_the_same_ids(refreshed, demo_dir, tmp_path):
    """Resolves identities again on a copy of the refreshed warehouse (the shared one stays as it was)."""
    _, shared = refreshed
    db = tmp_path / "cdp.duckdb"
    shutil.copy(shared, db)
    query = "select record_id, customer_id from referential.customer_xref order by record_id"
    with duckdb.connect(str(db), read_only=True) as conn:
        before = conn.execute(query).fetchall()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CDP_LANDING_DIR", str(demo_dir / "landing"))
        mp.setenv("CDP_DUCKDB_PATH", str(db))
        mp.setenv("CDP_DATA_DIR", str(demo_dir))
        rerun = (
            build_defs(resources_from_env())
            .resolve_job_def("daily_refresh")
            .execute_in_process(
                instance=dg.DagsterInstance.ephemeral(),
                asset_selection=IDENTITY_KEYS,
                tags={REFERENCE_DATE_TAG: "2026-11-01"},
            )
        )
    assert rerun.success
    with duckdb.connect(str(db), read_only=True) as conn:
        after = conn.execute(query).fetchall()
        [(changes,)] = conn.execute("select count(*) from referential.customer_id_history").fetchall()
        [(runs,)] = conn.execute("select count(distinct run_id) from ops.identity_match_quality").fetchall()
    assert after == before
    assert changes == 0 and runs == 2


def test_quality_gates_ran_on_every_layer(refreshed):
    """One blocking mechanism per layer: the landing contract (reconciliation, key) and its suite on
    every source; dbt tests on the marts; SQL gates on Python-built tables; profiles everywhere."""
    result, db = refreshed
    evaluations = {
        (e.asset_key.to_user_string(), e.check_name): e for e in result.get_asset_check_evaluations()
    }
    for contract in CONTRACTS:
        reconciliation = evaluations[(f"raw/{contract.table}", "reconciliation")]
        if reconciliation.metadata.get("delivered") is not None:  # when_no_files: empty, none delivered
            assert reconciliation.passed and "no file delivered" in reconciliation.metadata["reason"].value
            continue
        assert reconciliation.passed and reconciliation.metadata["rows_quarantined"].value == 0
        assert evaluations[(f"raw/{contract.table}", "primary_key")].passed
        # its suite (critical value rules of raw tables that the configuration decides, such as units,
        # currencies and the date window, are checked at load; some suites are warnings only)
        suite = (
            [f"raw/{contract.table}", "expectations_critical"],
            [f"raw/{contract.table}", "expectations_warning"],
        )
        assert any(tuple(key) in evaluations for key in suite)
        assert (f"raw/{contract.table}", "profile") in evaluations
    for mart, dbt_test in (
        ("referential/dim_customer", "unique_dim_customer_customer_id"),
        ("sales/fct_sales_lines", "unique_fct_sales_lines_sales_line_id"),
        ("sales/fct_orders", "accepted_range_fct_orders_n_lines__1000__1"),
        (
            "marketing/fct_email_events",
            "accepted_values_fct_email_events_event_type__sent__open__click__unsubscribe__bounce",
        ),
    ):
        assert evaluations[(mart, dbt_test)].passed, mart
        assert evaluations[(mart, "profile")].metadata["row_count"].value > 0, mart
    # a table built in Python: its row rules in its domain's SQL gate, its suite's distributions warn
    assert evaluations[("features/customer_clv", "customer_clv_keys_and_ranges")].passed
    assert ("features/customer_clv", "expectations_warning") in evaluations
    assert ("features/customer_clv", "expectations_critical") not in evaluations
    with duckdb.connect(str(db), read_only=True) as conn:
        [(profiled,)] = conn.execute("select count(distinct table_name) from ops.table_profiles").fetchall()
    assert profiled >= len(CONTRACTS) + 6
