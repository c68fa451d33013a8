"""Champion/challenger: the hashed split, the promotion rule on crafted figures, and the promotion job
on a crafted warehouse (promotes when the last comparison allows, refuses otherwise)."""

import math
from datetime import date

import dagster as dg
import duckdb
import pytest
from hypothesis import given
from hypothesis import strategies as st

from platform_assets.lib.estimators import ModelSpec
from platform_assets.lib.resources import settings_from_env
from platform_assets.lib.retailer import DEMO_RETAILER, PromotionRule, load_retailer
from platform_assets.lib.warehouse import Warehouse
from platform_assets.scores.champion_challenger import rule, split, store
from platform_assets.scores.champion_challenger.assets import promote_challenger
from platform_assets.scores.registry import ModelVersion, register

RULE = PromotionRule(min_backtest_auc_gain=0.005, revenue_margin_per_contacted=0.0, min_contacted_per_arm=100)
ids = st.lists(st.from_regex(r"C[0-9]{6}", fullmatch=True), min_size=1, max_size=40, unique=True)


@given(ids, ids)
def test_a_customers_arm_depends_on_their_id_only(customers, others):
    alone = dict(zip(customers, split.arms(customers, "churn", 0.5), strict=True))
    mixed = [*others, *reversed(customers)]
    together = dict(zip(mixed, split.arms(mixed, "churn", 0.5), strict=True))
    assert all(together[c] == arm for c, arm in alone.items())


def test_the_challengers_share_is_the_configured_one_and_independent_of_the_model_name():
    customers = [f"C{i:06d}" for i in range(20_000)]
    arms = split.arms(customers, "churn", 0.2)
    assert abs(arms.count("challenger") / len(arms) - 0.2) < 0.01
    other = split.arms(customers, "appetence", 0.2)  # another score's split is another draw
    both = sum(a == b == "challenger" for a, b in zip(arms, other, strict=True)) / len(arms)
    assert abs(both - 0.04) < 0.006


def test_arms_pool_their_campaigns_weighted_by_contacted_customers():
    # two campaigns: 100 contacted at +2.0 (interval +-1.96, se 1), 300 at +6.0 (interval +-3.92, se 2)
    pooled = rule.pooled(
        [rule.CampaignUplift(100, 2.0, 0.04, 3.96), rule.CampaignUplift(300, 6.0, 2.08, 9.92)]
    )
    assert pooled.contacted == 400 and pooled.campaigns == 2
    assert pooled.incremental_per_contacted == pytest.approx(5.0)
    assert pooled.standard_error == pytest.approx(math.sqrt(0.25**2 * 1 + 0.75**2 * 4), rel=1e-3)
    assert rule.pooled([]).contacted == 0


def arm(contacted: int, mean: float, se: float) -> rule.ArmRevenue:
    return rule.ArmRevenue(contacted, 3, mean, se)


def test_the_rule_promotes_a_better_ranking_challenger_whose_revenue_is_not_worse():
    decision = rule.compare(0.80, 0.82, arm(5000, 4.0, 0.3), arm(5000, 4.9, 0.3), RULE)
    assert decision.auc_condition_met and decision.revenue_condition_met
    assert decision.revenue_difference == pytest.approx(0.9)
    assert decision.revenue_difference_ci_low == pytest.approx(
        0.9 - 1.959964 * math.hypot(0.3, 0.3), rel=1e-4
    )
    assert decision.decision == rule.PROMOTE


@pytest.mark.parametrize(
    ("champion_auc", "challenger_auc", "champion", "challenger", "why"),
    [
        (0.80, 0.803, arm(5000, 4.0, 0.3), arm(5000, 4.9, 0.3), "gain below the margin"),
        (0.80, 0.82, arm(5000, 4.0, 0.3), arm(5000, 3.9, 0.3), "revenue possibly worse"),
        (0.80, 0.82, arm(5000, 4.0, 0.3), arm(5000, 4.2, 0.5), "interval reaches below zero"),
        (0.80, 0.82, arm(5000, 4.0, 0.3), arm(60, 9.0, 0.3), "too few contacted in the challenger arm"),
        (0.80, float("nan"), arm(5000, 4.0, 0.3), arm(5000, 4.9, 0.3), "no challenger backtest"),
    ],
)
def test_the_rule_keeps_the_champion(champion_auc, challenger_auc, champion, challenger, why):
    decision = rule.compare(champion_auc, challenger_auc, champion, challenger, RULE)
    assert decision.decision == rule.KEEP, why
    if challenger.contacted < RULE.min_contacted_per_arm:
        assert decision.revenue_condition_met is None and "not judged yet" in decision.reason


def test_a_margin_accepts_a_challenger_slightly_worse_within_it():
    lenient = RULE.model_copy(update={"revenue_margin_per_contacted": 1.5})
    assert (
        rule.compare(0.80, 0.82, arm(5000, 4.0, 0.3), arm(5000, 3.9, 0.3), lenient).decision == rule.PROMOTE
    )


CHALLENGER = load_retailer(DEMO_RETAILER).churn.challenger.model


def crafted_warehouse(path, decision: str, challenger: ModelSpec = CHALLENGER) -> None:
    comparison = rule.compare(
        0.80, 0.82 if decision == rule.PROMOTE else 0.80, arm(5000, 4.0, 0.3), arm(5000, 4.9, 0.3), RULE
    )
    assert comparison.decision == decision
    settings = load_retailer(DEMO_RETAILER).churn
    with duckdb.connect(str(path)) as conn:
        store.record_comparison(
            conn,
            {
                **store.comparison_row("run-1", date(2026, 11, 1), "churn", settings, comparison),
                "champion_estimator": settings.model.label(),
                "challenger_estimator": challenger.label(),
            },
        )
        for name, version in (("churn", "v-champion"), ("churn_challenger", "v-challenger")):
            register(conn, ModelVersion(name, version, "FR", date(2026, 4, 5), "run-1", ["f"], {}), None)


def promote(path, tmp_path, promoted_by="Jeanne Martin (CRM lead)", reason="GB ranks better, revenue holds"):
    env = {"CDP_DATA_DIR": str(tmp_path), "CDP_DUCKDB_PATH": str(path)}
    return promote_challenger.execute_in_process(
        run_config={
            "ops": {"promote_churn_challenger": {"config": {"promoted_by": promoted_by, "reason": reason}}}
        },
        resources={"platform": settings_from_env(env), "warehouse": Warehouse(database=str(path))},
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
    )


def test_the_job_promotes_when_the_rule_allows_and_the_registry_keeps_who_when_why(tmp_path):
    db = tmp_path / "cdp.duckdb"
    crafted_warehouse(db, rule.PROMOTE)
    result = promote(db, tmp_path)
    assert result.success
    with duckdb.connect(str(db), read_only=True) as conn:
        [row] = conn.sql("select * from ops.model_promotions").pl().to_dicts()
        statuses = dict(conn.execute("select model, status from ops.model_registry").fetchall())
        champion = store.promoted_champion(conn, "churn")
    assert (
        row["promoted_by"] == "Jeanne Martin (CRM lead)" and row["reason"] == "GB ranks better, revenue holds"
    )
    assert row["promoted_at"] is not None and row["comparison_run_id"] == "run-1"
    assert row["to_estimator"] == CHALLENGER.label() and row["from_estimator"].startswith(
        "logistic_regression"
    )
    assert statuses == {"churn": "superseded", "churn_challenger": "promoted"}
    assert champion == CHALLENGER  # the next run's champion


@pytest.mark.parametrize(
    ("decision", "challenger", "message"),
    [
        (rule.KEEP, CHALLENGER, "the rule keeps the champion"),
        (rule.PROMOTE, ModelSpec(estimator="random_forest"), "not the configured challenger"),
    ],
)
def test_the_job_refuses_and_records_nothing_otherwise(tmp_path, decision, challenger, message):
    db = tmp_path / "cdp.duckdb"
    crafted_warehouse(db, decision, challenger)
    result = promote(db, tmp_path)
    assert not result.success
    failure = result.failure_data_for_node("promote_churn_challenger")
    assert message in str(failure.error.message if failure.error else failure.user_failure_data.description)
    with duckdb.connect(str(db), read_only=True) as conn:
        assert store.promoted_champion(conn, "churn") is None
        assert (
            dict(conn.execute("select model, status from ops.model_registry").fetchall())["churn"] == "active"
        )


def test_the_job_refuses_without_who_and_why(tmp_path):
    db = tmp_path / "cdp.duckdb"
    crafted_warehouse(db, rule.PROMOTE)
    assert not promote(db, tmp_path, promoted_by=" ").success
