"""The champion/challenger bookkeeping in the warehouse: ``ops.model_comparisons`` (the promotion rule
evaluated each run) and ``ops.model_promotions`` (who promoted which version, when and why), and the
champion a model runs with (the last promotion's model, else the configured one). No Dagster."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import duckdb

from platform_assets.lib.estimators import ModelSpec
from platform_assets.lib.tables import comment_table, table_exists
from platform_assets.scores.registry import change_status

COMPARISONS = "ops.model_comparisons"
PROMOTIONS = "ops.model_promotions"

COMPARISON_COLUMNS = {
    "run_id": ("varchar", "Dagster run that evaluated the rule."),
    "reference_date": ("date", "The run's reference date."),
    "model": ("varchar", "Model compared, e.g. churn."),
    "champion_estimator": ("varchar", "Estimator and parameters of the champion (the model in production)."),
    "challenger_estimator": ("varchar", "Estimator and parameters of the challenger."),
    "challenger_share": ("double", "Share of customers whose decisions the challenger drives."),
    "champion_backtest_auc": ("double", "Champion's pooled backtest AUC this run (ops.model_metrics)."),
    "challenger_backtest_auc": ("double", "Challenger's pooled backtest AUC on the same cutoffs."),
    "auc_gain": ("double", "challenger_backtest_auc - champion_backtest_auc."),
    "min_backtest_auc_gain": ("double", "Gain the rule requires (churn.promotion.min_backtest_auc_gain)."),
    "auc_condition_met": ("boolean", "Whether auc_gain reaches min_backtest_auc_gain."),
    "champion_contacted": (
        "bigint",
        "Contacted customers of the champion arm in the campaigns measured so far.",
    ),
    "challenger_contacted": (
        "bigint",
        "Contacted customers of the challenger arm in the campaigns measured so far.",
    ),
    "champion_incremental_per_contacted": (
        "double",
        "Champion arm's incremental revenue per contacted customer, pooled over its measured campaigns.",
    ),
    "challenger_incremental_per_contacted": (
        "double",
        "Challenger arm's incremental revenue per contacted customer, pooled over its measured campaigns.",
    ),
    "revenue_difference": ("double", "challenger - champion incremental revenue per contacted customer."),
    "revenue_difference_ci_low": ("double", "Lower bound of its interval at the rule's confidence."),
    "revenue_difference_ci_high": ("double", "Upper bound of its interval at the rule's confidence."),
    "revenue_margin_per_contacted": (
        "double",
        "Non-inferiority margin of the rule (currency per contacted).",
    ),
    "confidence": ("double", "Confidence of the interval (churn.promotion.confidence)."),
    "revenue_condition_met": (
        "boolean",
        "Whether the lower bound is above minus the margin; null: too few contacted customers measured yet.",
    ),
    "decision": ("varchar", "promote (both conditions met) or keep champion."),
    "reason": ("varchar", "The figures behind the decision, in words."),
    "compared_at": ("timestamp", "When the rule was evaluated (UTC)."),
}
PROMOTION_COLUMNS = {
    "model": ("varchar", "Model promoted, e.g. churn."),
    "promoted_at": ("timestamp", "When the promotion was recorded (UTC)."),
    "promoted_by": ("varchar", "Who promoted (the job's promoted_by)."),
    "reason": ("varchar", "Why, in the promoter's words."),
    "from_estimator": ("varchar", "The champion replaced."),
    "to_estimator": ("varchar", "The challenger that became champion."),
    "to_model_spec": ("json", "The new champion's estimator and parameters, as the runs read them."),
    "comparison_run_id": ("varchar", "Run whose ops.model_comparisons row allowed the promotion."),
    "comparison_reason": ("varchar", "That row's reason: the figures that allowed it."),
    "run_id": ("varchar", "Dagster run of the promote_challenger job."),
}


def _create(conn: duckdb.DuckDBPyConnection, table: str, columns: dict, description: str) -> None:
    conn.execute("create schema if not exists ops")
    conn.execute(
        f"create table if not exists {table} ({', '.join(f'{c} {t}' for c, (t, _) in columns.items())})"
    )
    comment_table(conn, table, description, {c: text for c, (_, text) in columns.items()})


def record_comparison(conn: duckdb.DuckDBPyConnection, row: dict) -> None:
    """Replaces this run's row of the model with ``row`` (COMPARISON_COLUMNS' keys)."""
    _create(
        conn, COMPARISONS, COMPARISON_COLUMNS, "The promotion rule of each challenger, evaluated each run."
    )
    row = {**row, "compared_at": datetime.now(UTC).replace(tzinfo=None)}
    names = list(COMPARISON_COLUMNS)
    conn.execute("begin transaction")
    try:
        conn.execute(
            f"delete from {COMPARISONS} where run_id = ? and model = ?", [row["run_id"], row["model"]]
        )
        conn.execute(
            f"insert into {COMPARISONS} ({', '.join(names)}) values ({', '.join('?' for _ in names)})",
            [row.get(n) for n in names],
        )
        conn.execute("commit")
    except Exception:
        conn.execute("rollback")
        raise


def latest_comparison(conn: duckdb.DuckDBPyConnection, model: str) -> dict | None:
    if not table_exists(conn, COMPARISONS):
        return None
    frame = conn.sql(
        f"select * from {COMPARISONS} where model = ? order by compared_at desc limit 1", params=[model]
    ).pl()
    return frame.row(0, named=True) if frame.height else None


def promoted_champion(conn: duckdb.DuckDBPyConnection, model: str) -> ModelSpec | None:
    """The model of the last promotion of ``model``, or None when none was promoted."""
    if not table_exists(conn, PROMOTIONS):
        return None
    rows = conn.execute(
        f"select to_model_spec from {PROMOTIONS} where model = ? order by promoted_at desc limit 1", [model]
    ).fetchall()
    return ModelSpec.model_validate(json.loads(rows[0][0])) if rows else None


class PromotionRefused(ValueError):
    """The last comparison does not allow a promotion: the message says why."""


def promote(
    conn: duckdb.DuckDBPyConnection,
    model: str,
    challenger: ModelSpec,
    promoted_by: str,
    reason: str,
    run_id: str,
) -> dict:
    """Records the challenger ``challenger`` as the champion of ``model`` when the last comparison's
    decision is promote and was made for that challenger; else raises PromotionRefused. The registry's
    challenger versions become active, the champion's superseded."""
    comparison = latest_comparison(conn, model)
    if comparison is None:
        raise PromotionRefused(
            f"{model}: no comparison recorded yet (materialise ops.model_comparisons first)"
        )
    if comparison["challenger_estimator"] != challenger.label():
        raise PromotionRefused(
            f"{model}: the last comparison ({comparison['run_id']}) tested {comparison['challenger_estimator']}, "
            f"not the configured challenger {challenger.label()}"
        )
    if comparison["decision"] != "promote":
        raise PromotionRefused(
            f"{model}: the rule keeps the champion ({comparison['run_id']}): {comparison['reason']}"
        )
    _create(conn, PROMOTIONS, PROMOTION_COLUMNS, "Challengers promoted to champion: who, when, why.")
    row = {
        "model": model,
        "promoted_at": datetime.now(UTC).replace(tzinfo=None),
        "promoted_by": promoted_by,
        "reason": reason,
        "from_estimator": comparison["champion_estimator"],
        "to_estimator": challenger.label(),
        "to_model_spec": challenger.model_dump_json(),
        "comparison_run_id": comparison["run_id"],
        "comparison_reason": comparison["reason"],
        "run_id": run_id,
    }
    conn.execute("begin transaction")
    try:
        conn.execute(
            f"insert into {PROMOTIONS} ({', '.join(row)}) values ({', '.join('?' for _ in row)})",
            list(row.values()),
        )
        change_status(conn, model, "active", "superseded")
        change_status(conn, f"{model}_challenger", "active", "promoted")
        conn.execute("commit")
    except Exception:
        conn.execute("rollback")
        raise
    return row


def comparison_row(run_id: str, reference_date: date, model: str, settings, comparison) -> dict:
    """The ops.model_comparisons row of a comparison (``settings``: the model's churn-like settings)."""
    rule = settings.promotion
    return {
        "run_id": run_id,
        "reference_date": reference_date,
        "model": model,
        "challenger_share": settings.challenger.share,
        "min_backtest_auc_gain": rule.min_backtest_auc_gain,
        "revenue_margin_per_contacted": rule.revenue_margin_per_contacted,
        "confidence": rule.confidence,
        **comparison.row(),
    }
