"""The register of processing: classification of crafted tables, its blocking check on a crafted
warehouse, and on the session run (``refreshed``) a register that lists every published table."""

import dagster as dg
import duckdb
import pytest

from platform_assets.governance.processing import PURPOSES
from platform_assets.lib.retailer import DEMO_RETAILER
from platform_assets.lib.settings import PlatformSettings
from platform_assets.lib.warehouse import Warehouse
from platform_assets.privacy import register
from platform_assets.privacy.assets import REGISTER_CHECK, build_register


def test_a_tables_classification_follows_its_columns():
    golden = register.classify(
        "referential.dim_customer", ["customer_id", "email", "birth_date"], "referential", True
    )
    assert golden.classification == register.PERSONAL
    assert golden.categories == ("pseudonymous customer id", "e-mail address", "birth date")
    scores = register.classify("scores.customer_churn", ["customer_id", "risk"], "scores", True)
    assert scores.classification == register.PSEUDONYMOUS
    log = register.classify("ops.erasure_log", ["email_sha256", "applied_run_id"], "publish", False)
    assert log.classification == register.PSEUDONYMOUS and log.categories == ("hashed identifiers",)
    stores = register.classify("referential.dim_store", ["store_id", "city", "postcode"], "referential", True)
    assert stores.classification == register.NOT_PERSONAL  # a store's address is public
    crosswalk = register.classify(
        "referential.customer_xref", ["record_id", "linked_run_id"], "referential", False
    )
    assert crosswalk.categories == (register.SOURCE_RECORD_IDS,)  # run lineage is no personal data


def test_a_table_without_classification_domain_or_purpose_is_a_problem():
    tables = [
        register.classify("scores.fine", ["customer_id"], "scores", True),
        register.classify("scores.leaky", ["customer_id", "mobile"], "scores", True),
        register.classify("ops.orphan", ["n"], None, False),
        register.classify("ops.newcomer", ["n"], "loyalty_programme", False),
    ]
    found = register.problems(tables)
    assert len(found) == 3
    assert found[0].startswith("ops.newcomer: domain 'loyalty_programme' declares no purpose")
    assert found[1].startswith("ops.orphan: no domain")
    assert found[2].startswith("scores.leaky: no data classification (mobile")


def test_each_activity_lists_its_tables_recipients_and_owners():
    tables = [
        register.classify("scores.customer_churn", ["customer_id", "risk"], "scores", True),
        register.classify("scores.local_private", ["customer_id", "p"], "scores", False),
        register.classify("activation.audiences", ["customer_id", "channel"], "activation", False),
        register.classify("ops.orphan", ["n"], None, False),  # no activity: its problem fails the check
    ]
    rows = register.register_rows(tables, {"activation": ["campaign channels: email"]}, 3)
    assert [r["domain"] for r in rows] == ["activation", "scores"]
    activation, scores = rows
    assert scores["tables"] == ["scores.customer_churn", "scores.local_private"]
    assert scores["analyst_tables"] == ["scores.customer_churn"]
    assert (
        scores["purpose"] == PURPOSES["scores"].purpose and scores["business_owner"] == "crm.lead@example.com"
    )
    assert scores["recipients"].startswith("analysts (analyst file")
    assert not activation["recipients"].startswith("analysts") and activation["recipients"].endswith("email")
    assert activation["retention"].endswith("the last 3 publications")
    configured = register.register_rows(
        tables, {}, 3, {"activation": "campaign export files removed 90 days after"}
    )
    assert "; campaign export files removed 90 days after; " in configured[0]["retention"]
    assert "campaign export" not in configured[1]["retention"]
    page = register.register_markdown(rows, "intro")
    assert "`scores.local_private` (restricted)" in page and "## Campaign targeting and measurement" in page


def _run_register(tmp_path, columns: str):
    """The register asset and its check on a crafted working file with one scores table."""
    db = tmp_path / "cdp.duckdb"
    with duckdb.connect(str(db)) as conn:
        conn.execute("create schema scores")
        conn.execute(f"create table scores.crafted ({columns})")

    @dg.asset(key=["scores", "crafted"], metadata={"domain": "scores"})
    def crafted() -> None: ...

    asset = build_register(dg.Definitions(assets=[crafted]))
    platform = PlatformSettings(
        data_dir=str(tmp_path),
        landing_dir=str(tmp_path / "landing"),
        published_dir=str(tmp_path / "published"),
        exports_dir=str(tmp_path / "exports"),
        ground_truth_dir=str(tmp_path / "truth"),
        retailer_config=str(DEMO_RETAILER),
    )
    result = dg.materialize(
        [crafted, asset],
        raise_on_error=False,
        selection=[asset.key],
        resources={"warehouse": Warehouse(database=str(db)), "platform": platform},
    )
    [evaluation] = result.get_asset_check_evaluations()
    with duckdb.connect(str(db), read_only=True) as conn:
        listed = conn.execute(f"select tables from {register.TABLE} where domain = 'scores'").fetchall()
    return evaluation, listed


def test_the_blocking_check_fails_on_a_table_without_classification(tmp_path):
    [spec] = build_register(dg.Definitions()).check_specs
    assert spec.name == REGISTER_CHECK and spec.blocking
    evaluation, listed = _run_register(tmp_path, "customer_id varchar, mobile varchar")
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR
    assert "scores.crafted: no data classification (mobile" in evaluation.metadata["problems"].value[0]
    assert listed == [(["scores.crafted"],)]


def test_the_check_passes_on_a_classified_table_with_a_purpose(tmp_path):
    evaluation, _ = _run_register(tmp_path, "customer_id varchar, risk double")
    assert evaluation.passed


@pytest.fixture(scope="module")
def published(refreshed, demo_dir):
    result, _ = refreshed
    assert result.success
    return demo_dir / "published"


def test_the_register_lists_every_published_table(published):
    for name in ("restricted.duckdb", "analyst.duckdb"):
        with duckdb.connect(str(published / name), read_only=True) as conn:
            every = {
                t
                for (t,) in conn.execute(
                    "select schema_name || '.' || table_name from ops.published_tables"
                ).fetchall()
            }
            listed = {
                t for (ts,) in conn.execute(f"select tables from {register.TABLE}").fetchall() for t in ts
            }
            activities = conn.execute(
                f"select count(*), count(purpose), count(retention) from {register.TABLE}"
            )
            assert activities.fetchone() == (len(PURPOSES), len(PURPOSES), len(PURPOSES))
        assert len(every) > 40 and every <= listed, f"{name}: not in the register: {sorted(every - listed)}"
    page = (published / "processing_register.md").read_text()
    assert "## Customer referential (identity resolution and golden record)" in page
    assert "`referential.dim_customer`" in page and "e-mail address" in page
