"""The publication gate with a toy domain: a new table is published and documented with no change
to the publish domain; a failed blocking check or an unclassified personal column publishes nothing."""

import dagster as dg
import duckdb
import pytest

from platform_assets import publish
from platform_assets.governance.ownership import SCORES
from platform_assets.lib.resources import resources_from_env
from platform_assets.lib.settings import REFERENCE_DATE_TAG
from platform_assets.lib.warehouse import Warehouse


def toy_domain(
    column: str,
    check_passes: bool,
    severity: dg.AssetCheckSeverity = dg.AssetCheckSeverity.ERROR,
    reports: bool = True,
) -> dg.Definitions:
    # a multi-asset that can be subset, as dbt's: a check it does not report is then simply missing
    @dg.multi_asset(
        specs=[
            dg.AssetSpec(
                ["scores", "toy_score"],
                description="A toy score per customer.",
                group_name=SCORES.domain,
                owners=SCORES.owners,
                metadata={
                    **SCORES.metadata,
                    "dagster/column_schema": dg.TableSchema(
                        columns=[
                            dg.TableColumn("customer_id", description="Customer."),
                            dg.TableColumn(column, description="Toy."),
                        ]
                    ),
                },
            )
        ],
        check_specs=[dg.AssetCheckSpec("toy_score_valid", asset=["scores", "toy_score"], blocking=True)],
        can_subset=True,
    )
    def toy_score(warehouse: Warehouse):
        with warehouse.connect() as conn:
            conn.execute("create schema if not exists scores")
            conn.execute(
                f"create or replace table scores.toy_score as select 'CUS-1' as customer_id, 'x' as {column}"
            )
        yield dg.MaterializeResult(asset_key=["scores", "toy_score"])
        if reports:
            yield dg.AssetCheckResult(
                asset_key=["scores", "toy_score"],
                check_name="toy_score_valid",
                passed=check_passes,
                severity=severity,
            )

    return dg.Definitions(assets=[toy_score])


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("CDP_DUCKDB_PATH", str(tmp_path / "cdp.duckdb"))
    monkeypatch.setenv("CDP_DATA_DIR", str(tmp_path))
    return tmp_path / "published"


def run(domain: dg.Definitions) -> dg.ExecuteInProcessResult:
    assets = [*domain.assets, *publish.defs_for(domain).assets]
    return dg.materialize(
        assets, resources=resources_from_env(), raise_on_error=False, tags={REFERENCE_DATE_TAG: "2026-11-01"}
    )


def test_a_new_domain_table_is_published_and_documented_without_touching_publish(env):
    result = run(toy_domain("toy_band", check_passes=True))
    assert result.success
    with duckdb.connect(str(env / "analyst.duckdb"), read_only=True) as conn:
        assert conn.execute(
            "select comment from duckdb_tables() where table_name = 'toy_score'"
        ).fetchall() == [("A toy score per customer.",)]
        assert conn.execute("select * from scores.toy_score").fetchall() == [("CUS-1", "x")]


def test_a_failed_blocking_check_publishes_nothing(env):
    result = run(toy_domain("toy_band", check_passes=False))
    assert not result.success
    assert dg.AssetKey(["ops", "publication_log"]) not in {
        m.asset_key for m in result.get_asset_materialization_events()
    }
    assert not (env / "analyst.duckdb").exists()


def test_a_blocking_check_failing_as_a_warning_publishes_and_says_so(env):
    result = run(toy_domain("toy_band", check_passes=False, severity=dg.AssetCheckSeverity.WARN))
    assert result.success
    with duckdb.connect(str(env / "analyst.duckdb"), read_only=True) as conn:
        assert conn.execute("select * from scores.toy_score").fetchall() == [("CUS-1", "x")]
    with duckdb.connect(str(env.parent / "cdp.duckdb"), read_only=True) as conn:
        [(warned,)] = conn.execute("select checks_warned from ops.publication_log").fetchall()
    assert warned == 1


def test_a_blocking_check_that_gives_no_result_closes_the_gate_naming_it(env):
    result = run(toy_domain("toy_band", check_passes=True, reports=False))
    assert not result.success
    [failure] = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    assert "gave no result: scores/toy_score:toy_score_valid" in str(failure.event_specific_data.error)
    assert not (env / "analyst.duckdb").exists()


def test_an_unclassified_personal_column_publishes_nothing_and_says_which(env):
    result = run(toy_domain("contact_email", check_passes=True))
    assert not result.success
    [failure] = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    assert "scores.toy_score: contact_email" in str(failure.event_specific_data.error)
    assert not (env / "analyst.duckdb").exists() and not list(env.parent.glob("published.building/*"))
