"""The life-moments asset: covariates and entries from the sales, Cox models, scores, metrics, registry."""

import time

import dagster as dg
import matplotlib.pyplot as plt
import polars as pl

from platform_assets.config import resolve_reference_date, settings
from platform_assets.governance.ownership import SCORES
from platform_assets.lib.charts import figure_markdown
from platform_assets.resources import Warehouse
from platform_assets.scores.churn import model_metrics
from platform_assets.scores.life_moments import columns, scoring, signals
from platform_assets.scores.registry import ModelVersion, register, save_artifact

TABLE = "scores.customer_life_moments"
MODELS = [f"life_moment_{m.name}" for m in signals.MOMENTS]
HEADLINE = (
    "backtest_truth_concordance",
    "backtest_truth_top5_precision_ratio",
    "backtest_observed_concordance",
    "detection_precision",
    "detection_recall",
)


def _md(frame: pl.DataFrame) -> str:
    header = "| " + " | ".join(frame.columns) + " |"
    rule = "|" + "---|" * len(frame.columns)
    body = ["| " + " | ".join("" if v is None else str(v) for v in row) + " |" for row in frame.iter_rows()]
    return "\n".join([header, rule, *body])


def survival_chart(result: scoring.MomentsRun) -> str:
    """Each moment's Cox baseline survival curve (days after the training cutoff)."""
    fig, axes = plt.subplots(1, len(result.models), figsize=(4 * len(result.models), 3.2), squeeze=False)
    for ax, (name, fitted) in zip(axes[0], result.models.items(), strict=True):
        if fitted.cox is not None:
            fitted.cox.baseline_survival_.plot(ax=ax, legend=False, color="#1565c0")
        ax.set_title(f"{name}: Cox baseline survival" if fitted.cox is not None else f"{name}: no Cox fit")
        ax.set_xlabel("days after the cutoff")
        ax.set_ylabel("P(not yet entered)")
    return figure_markdown(fig, "life-moment survival")


@dg.asset(
    key=["scores", "customer_life_moments"],
    deps=[
        dg.AssetKey(["sales", "fct_sales_lines"]),
        dg.AssetKey(["referential", "dim_product"]),
        dg.AssetKey(["referential", "dim_customer"]),
        dg.AssetKey(["referential", "customer_xref"]),
    ],
    group_name=SCORES.domain,
    owners=SCORES.owners,
    kinds={"duckdb", "python"},
    metadata={
        **SCORES.metadata,
        "grain": "one row per customer with a purchase in the last two years and moment",
        "dagster/table_name": TABLE,
        "dagster/column_schema": columns.column_schema(scoring.SCORE_COLUMNS),
    },
    pool="duckdb_writer",
)
def customer_life_moments(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    """Probability of entering each life moment (moving home, renovation project, new garden) within
    the next 90 days: Cox proportional hazards on behavioural signals with Kaplan-Meier baselines,
    backtested every run on an earlier cutoff, against the demo's ground truth when it is there."""
    ref = resolve_reference_date(context.run.tags, settings().reference_date)
    started = time.perf_counter()
    with warehouse.connect() as conn:
        result = scoring.run(conn, ref, settings().ground_truth_dir)
        rows = model_metrics.replace_table(conn, TABLE, result.scores)
        model_metrics.write(conn, context.run_id, ref, MODELS, result.metrics)
        for name, fitted in result.models.items():
            model = f"life_moment_{name}"
            path = save_artifact(fitted, model, fitted.version)
            measured = {
                r["metric"]: r["value"]
                for r in result.metrics
                if r["model"] == model
                and r["metric"] in HEADLINE
                and r["business_unit"] == "ALL"
                and r["value"] == r["value"]
            }
            entry = ModelVersion(
                model,
                fitted.version,
                "ALL",
                result.cutoffs["training"],
                context.run_id,
                fitted.covariates,
                measured,
            )
            register(conn, entry, path)
    metrics = pl.DataFrame(result.metrics)
    headline = {
        f"{r['model'].removeprefix('life_moment_')}_{r['metric']}": round(r["value"], 4)
        for r in result.metrics
        if r["metric"] in HEADLINE and r["value"] == r["value"]
    }
    backtest = (
        metrics.filter(
            pl.col("metric").str.starts_with("backtest_") | pl.col("metric").str.starts_with("detection_")
        )
        .with_columns(pl.col("value").round(4))
        .pivot(on="model", index="metric", values="value")
    )
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": rows,
            "reference_date": str(ref),
            "cutoffs": dg.MetadataValue.json({k: str(v) for k, v in result.cutoffs.items()}),
            "model_versions": dg.MetadataValue.json({k: m.version for k, m in result.models.items()}),
            # Relative entry rate per calendar month: scores move from the training window's season.
            "season_profiles": dg.MetadataValue.json(
                {k: [round(f, 2) for f in m.season] for k, m in result.models.items()}
            ),
            **headline,
            "backtest": dg.MetadataValue.md(_md(backtest)),
            "baseline_survival": dg.MetadataValue.md(survival_chart(result)),
            "entries_detected": result.entries.height,
            "notes": dg.MetadataValue.json(result.notes),
            "run_seconds": round(time.perf_counter() - started, 1),
        }
    )
