"""The churn asset: read the profile, run the model per business unit, write scores, register, report."""

import time

import dagster as dg
import matplotlib.pyplot as plt
import numpy as np
import polars as pl

from platform_assets.config import resolve_reference_date, settings
from platform_assets.governance.ownership import SCORES
from platform_assets.lib.charts import figure_markdown
from platform_assets.resources import Warehouse
from platform_assets.scores.churn import columns, model, model_metrics, scoring
from platform_assets.scores.registry import ModelVersion, register, save_artifact

TABLE = "scores.customer_churn"
MODEL = "churn"
HEADLINE = (
    "auc",
    "top_decile_lift",
    "max_band_calibration_gap_pct",
    "max_band_calibration_gap_all_bands_pct",
    "bands_outside_ci",
    "mean_band_calibration_gap_pct",
    "churn_rate",
)


def _md(frame: pl.DataFrame) -> str:
    header = "| " + " | ".join(frame.columns) + " |"
    rule = "|" + "---|" * len(frame.columns)
    body = ["| " + " | ".join("" if v is None else str(v) for v in row) + " |" for row in frame.iter_rows()]
    return "\n".join([header, rule, *body])


def calibration_chart(predictions: pl.DataFrame) -> str:
    """Predicted vs observed churn per band and business unit on the backtest, with the observed
    rate's 95 % interval (the diagonal = perfect)."""
    fig, ax = plt.subplots(figsize=(5.5, 4.5))
    for bu in sorted(predictions["business_unit"].unique().to_list()):
        part = predictions.filter(pl.col("business_unit") == bu)
        p, y = part["probability"].to_numpy(), part["churned"].to_numpy()
        bands = model.band_of(model.score(p))
        present = [b for b in range(len(model.BANDS)) if (bands == b).any()]
        xs = np.array([100 * p[bands == b].mean() for b in present])
        ys = np.array([100 * y[bands == b].mean() for b in present])
        ci = np.array(
            [model.wilson_interval(int(y[bands == b].sum()), int((bands == b).sum())) for b in present]
        )
        err = np.vstack([ys - 100 * ci[:, 0], 100 * ci[:, 1] - ys]).clip(0) if present else None
        ax.errorbar(xs, ys, yerr=err, marker="o", capsize=3, label=bu)
    ax.plot([0, 100], [0, 100], color="grey", linestyle="--", linewidth=0.8)
    ax.set_xlabel("predicted churn (%), mean per band")
    ax.set_ylabel("observed churn (%), 95 % interval")
    ax.set_title("Churn backtest calibration per band")
    ax.legend()
    return figure_markdown(fig, "churn calibration")


@dg.asset(
    key=["scores", "customer_churn"],
    deps=[dg.AssetKey(["features", "customer_profile"]), dg.AssetKey(["sales", "fct_sales_lines"])],
    group_name=SCORES.domain,
    owners=SCORES.owners,
    kinds={"duckdb", "scikitlearn"},
    metadata={
        **SCORES.metadata,
        "grain": "one row per customer with a purchase",
        "dagster/table_name": TABLE,
        "dagster/column_schema": columns.column_schema(scoring.SCORE_COLUMNS),
    },
    pool="duckdb_writer",
)
def customer_churn(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    """Churn risk 0-100 per customer (calibrated probability of no purchase within the business unit's
    horizon), the playbook's band and action, and the top three drivers in words. Trained per business
    unit on a time split and backtested every run on an earlier cutoff (ops.model_metrics)."""
    ref = resolve_reference_date(context.run.tags, settings().reference_date)
    started = time.perf_counter()
    with warehouse.connect() as conn:
        current = conn.sql("select * from features.customer_profile").pl()
        profile_ref = current["reference_date"].max()
        if profile_ref != ref:
            raise ValueError(
                f"features.customer_profile is as of {profile_ref}, this run is as of {ref}: "
                "materialise customer_profile in the same run first"
            )
        result = scoring.run(conn, ref, current)
        rows = model_metrics.replace_table(conn, TABLE, result.scores)
        metrics = [
            {"model": MODEL, "business_unit": bu, "metric": f"backtest_{k}", "value": v}
            for bu, values in result.backtest.items()
            for k, v in values.items()
        ] + [
            {"model": MODEL, "business_unit": bu, "metric": "horizon_days", "value": float(h)}
            for bu, h in result.horizons.items()
        ]
        model_metrics.write(conn, context.run_id, ref, [MODEL], metrics)
        for bu, fitted in result.models.items():
            path = save_artifact(fitted, MODEL, fitted.version, bu)
            entry = ModelVersion(
                MODEL,
                fitted.version,
                bu,
                result.cutoffs[bu]["training"],
                context.run_id,
                fitted.features,
                {f"backtest_{k}": v for k, v in result.backtest[bu].items() if k in HEADLINE and v == v},
            )
            register(conn, entry, path)
    bands = (
        result.scores.group_by("business_unit", "churn_band")
        .agg(pl.len().alias("customers"), pl.col("churn_score").mean().round(1).alias("mean_score"))
        .sort("business_unit", "mean_score")
    )
    backtest = pl.DataFrame(
        [{"business_unit": bu, **{k: round(v, 4) for k, v in m.items()}} for bu, m in result.backtest.items()]
    )
    headline = {
        f"backtest_{k}_{bu}": round(float(m[k]), 4)
        for bu, m in result.backtest.items()
        for k in HEADLINE
        if not np.isnan(m[k])
    }
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": rows,
            "reference_date": str(ref),
            "horizon_days": dg.MetadataValue.json(result.horizons),
            "model_versions": dg.MetadataValue.json({bu: m.version for bu, m in result.models.items()}),
            **headline,
            "backtest": dg.MetadataValue.md(
                _md(backtest.transpose(include_header=True, column_names="business_unit"))
            ),
            "calibration_chart": dg.MetadataValue.md(calibration_chart(result.backtest_predictions)),
            "bands": dg.MetadataValue.md(_md(bands)),
            "run_seconds": round(time.perf_counter() - started, 1),
        }
    )
