"""The promotion rule evaluated each run (``ops.model_comparisons``) and the job that promotes."""

import dagster as dg
from pydantic import Field

from platform_assets.governance.ownership import SCORES
from platform_assets.lib import layers
from platform_assets.lib.metadata import asset_metadata, markdown_table
from platform_assets.lib.reference_date import run_reference_date
from platform_assets.lib.settings import PlatformSettings
from platform_assets.lib.tables import table_exists
from platform_assets.lib.warehouse import Warehouse
from platform_assets.scores.champion_challenger import store

MODEL = "churn"  # the score the demo runs a challenger for (churn.challenger in the retailer's file)
BY_ARM = "activation.campaign_results_by_model_arm"
VERSIONS = "scores.customer_churn_versions"


def arm_revenues(results) -> dict:
    """Each arm's measured campaigns pooled (``rule.pooled``): arm -> rule.ArmRevenue."""
    import polars as pl

    from platform_assets.scores.champion_challenger import rule

    return {
        arm: rule.pooled(
            [
                rule.CampaignUplift(
                    r["treated"],
                    r["incremental_revenue_per_customer"],
                    r["incremental_revenue_per_customer_ci_low"],
                    r["incremental_revenue_per_customer_ci_high"],
                )
                for r in results.filter(pl.col("model_arm") == arm).iter_rows(named=True)
                if r["incremental_revenue_per_customer"] is not None
            ]
        )
        for arm in ("champion", "challenger")
    }


def _backtest_auc(conn, run_id: str, model: str) -> float:
    rows = conn.execute(
        "select value from ops.model_metrics where run_id = ? and model = ? and business_unit = 'ALL' "
        "and metric = 'backtest_auc'",
        [run_id, model],
    ).fetchall()
    return float(rows[0][0]) if rows else float("nan")


@dg.asset(
    key=store.COMPARISONS.split("."),
    deps=[dg.AssetKey(VERSIONS.split(".")), dg.AssetKey(BY_ARM.split("."))],
    # it reads the campaigns measured per arm: the last layer before publication (owners: scores)
    group_name=layers.ACTIVATION,
    owners=SCORES.owners,
    kinds={"duckdb", "python"},
    metadata=asset_metadata(
        SCORES,
        store.COMPARISONS,
        "one row per run and model with a challenger",
        tuple((c, t, text) for c, (t, text) in store.COMPARISON_COLUMNS.items()),
    ),
    pool="duckdb_writer",
)
def model_comparisons(
    context: dg.AssetExecutionContext, platform: PlatformSettings, warehouse: Warehouse
) -> dg.MaterializeResult:
    """The churn challenger against the champion, each run: backtest AUC on the same cutoffs, and
    incremental revenue per contacted customer of each arm over the platform's campaigns measured since
    the challenger started (and since the last promotion), by the retailer's churn.promotion rule. The
    promote_challenger job acts on the latest row."""
    # imported when the asset runs: keeps the code location fast (scipy, polars)
    import polars as pl

    from platform_assets.scores.champion_challenger import rule

    settings = platform.retailer.churn
    ref = run_reference_date(context, platform, warehouse)
    if settings.challenger is None:
        context.log.info("no churn challenger configured (churn.challenger): nothing to compare")
        return dg.MaterializeResult(metadata={"skipped": "no churn challenger configured (churn.challenger)"})
    with warehouse.connect() as conn:
        estimators = dict(conn.execute(f"select distinct model_arm, estimator from {VERSIONS}").fetchall())
        if "challenger" not in estimators:  # e.g. the challenger equals the promoted champion
            reason = f"no challenger scored this run (champion {estimators.get('champion')})"
            return dg.MaterializeResult(metadata={"skipped": reason})
        since = (
            conn.execute(
                f"select min(reference_date) from {store.COMPARISONS} where model = ? and challenger_estimator = ?",
                [MODEL, estimators["challenger"]],
            ).fetchall()[0][0]
            if table_exists(conn, store.COMPARISONS)
            else None
        )
        results = conn.sql(
            f"select * from {BY_ARM} where source = 'platform' and sent_on >= coalesce(?::date, ?::date)",
            params=[since, ref],
        ).pl()
        revenue = arm_revenues(results)
        comparison = rule.compare(
            _backtest_auc(conn, context.run_id, MODEL),
            _backtest_auc(conn, context.run_id, f"{MODEL}_challenger"),
            revenue["champion"],
            revenue["challenger"],
            settings.promotion,
        )
        row = {
            **store.comparison_row(context.run_id, ref, MODEL, settings, comparison),
            "champion_estimator": estimators["champion"],
            "challenger_estimator": estimators["challenger"],
        }
        store.record_comparison(conn, row)
    context.log.info(f"{MODEL} challenger: {comparison.decision} - {comparison.reason}")
    shown = pl.DataFrame([{k: v for k, v in row.items() if k not in ("run_id", "reason")}])
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": 1,
            "decision": comparison.decision,
            "reason": comparison.reason,
            "comparison": dg.MetadataValue.md(markdown_table(shown.transpose(include_header=True))),
        }
    )


class PromotionConfig(dg.Config):
    promoted_by: str = Field(description="Who promotes (name or e-mail): kept in ops.model_promotions.")
    reason: str = Field(description="Why, in words: kept in ops.model_promotions.")


@dg.op
def promote_churn_challenger(
    context: dg.OpExecutionContext, config: PromotionConfig, platform: PlatformSettings, warehouse: Warehouse
) -> None:
    """Makes the churn challenger the champion when the last ops.model_comparisons row says promote;
    refuses (the run fails with the rule's figures) otherwise. The next refresh scores with it."""
    challenger = platform.retailer.churn.challenger
    if challenger is None:
        raise dg.Failure("no churn challenger configured (churn.challenger in the retailer's file)")
    if not config.promoted_by.strip() or not config.reason.strip():
        raise dg.Failure("promoted_by and reason are required: the registry keeps who promoted and why")
    with warehouse.connect() as conn:
        try:
            row = store.promote(
                conn, MODEL, challenger.model, config.promoted_by, config.reason, context.run_id
            )
        except store.PromotionRefused as refused:
            raise dg.Failure(str(refused)) from None
    context.log.info(
        f"churn: {row['from_estimator']} -> {row['to_estimator']} promoted by {row['promoted_by']}"
    )


@dg.job(description="Promote the churn challenger to champion when the rule allows (ops.model_comparisons).")
def promote_challenger():
    promote_churn_challenger()
