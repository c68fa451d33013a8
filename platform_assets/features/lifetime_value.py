"""Lifetime value per customer and business unit, and its backtest: data in, frames out.

A transaction is a purchase day (the BG/NBD convention: several receipts on one day count once),
valued at the day's sold amount (returns left out: the Gamma-Gamma model needs positive values).
Time is measured in weeks. Models are fitted per business unit (amounts are in its currency) on
up to ``FIT_SAMPLE`` customers chosen by a seeded hash of their id, and predict for all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import duckdb
import numpy as np
import polars as pl

from platform_assets.features import clv
from platform_assets.features.columns import BOTTOM_TIER, CLV_TABLE, TIERS

TABLE = CLV_TABLE
HORIZON_DAYS = 365
FIT_SAMPLE = 50_000
SEED = 20261101

# Read at the order grain (sales.fct_orders, summed from the lines by dbt: 8M rows, not 23M): an
# order's sold lines are all booked on its order date, and its gross amount is the sum of their net
# amounts, so a purchase day's value is the same as summed from the lines (checked by a test).
# One scan gives both summaries: as of the reference date (to predict) and as
# of the backtest cutoff a year earlier, with what each customer then did until the reference date.
SUMMARY_SQL = """
with
days as (
    select
        o.customer_id,
        o.ordered_date as purchase_date,
        sum(o.gross_amount::decimal(18, 2)) as value  -- decimal: exact, whatever the order of addition
    from sales.fct_orders as o
    where not o.is_return_only and not o.is_cancelled and o.ordered_date < $ref and o.customer_id is not null
    group by o.customer_id, o.ordered_date
),

summary as (
    select
        customer_id,
        count(*) as n_ref,
        min(purchase_date) as first_ref,
        max(purchase_date) as last_ref,
        sum(value) as value_ref,
        arg_min(value, purchase_date) as first_value,
        count(*) filter (where purchase_date < $cutoff) as n_cut,
        max(purchase_date) filter (where purchase_date < $cutoff) as last_cut,
        sum(value) filter (where purchase_date < $cutoff) as value_cut
    from days
    group by customer_id
)

select
    summary.customer_id,
    d.country_code as business_unit,
    n_ref - 1 as x,
    (last_ref - first_ref) / 7 as t_x,
    ($ref - first_ref) / 7 as "T",
    coalesce((value_ref - first_value)::double / nullif(n_ref - 1, 0), 0) as m,
    n_cut - 1 as x_cut,
    (last_cut - first_ref) / 7 as t_x_cut,
    ($cutoff - first_ref) / 7 as "T_cut",
    coalesce((value_cut - first_value)::double / nullif(n_cut - 1, 0), 0) as m_cut,
    n_ref - n_cut as actual_purchases,
    (value_ref - coalesce(value_cut, 0))::double as actual_value
from summary
inner join referential.dim_customer as d on summary.customer_id = d.customer_id
where d.country_code is not null
"""

# The run's models in ops.model_metrics (their rows are replaced together).
MODELS = ["bgnbd", "gamma_gamma", "clv_12m"]
# Backtest measures shown on the asset's page, per model and business unit.
HEADLINE = ("backtest_aggregate_error", "backtest_spearman")

SUMMARY_COLUMNS = ["customer_id", "business_unit", "x", "t_x", "T", "m"]


def customer_summaries(
    conn: duckdb.DuckDBPyConnection, reference_date: date, horizon_days: int = HORIZON_DAYS
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(x, t_x, T in weeks, mean repeat value m) per buyer as of the reference date, and the same
    as of ``horizon_days`` earlier for the buyers of then, with their purchases and value since."""
    cutoff = reference_date - timedelta(days=horizon_days)
    sql = SUMMARY_SQL.replace("$cutoff", f"date '{cutoff.isoformat()}'").replace(
        "$ref", f"date '{reference_date.isoformat()}'"
    )
    # in customer order: DuckDB returns groups in any order, and a sum of floats over them (the
    # Gamma-Gamma likelihood) then differs in the last bits from run to run (sorted by DuckDB, on
    # both threads: the same bytewise order as polars' sort, in half the time)
    both = conn.sql(sql + "order by summary.customer_id").pl()
    now = both.select(SUMMARY_COLUMNS)
    then = both.filter(pl.col("x_cut") >= 0).select(
        "customer_id",
        "business_unit",
        pl.col("x_cut").alias("x"),
        pl.col("t_x_cut").alias("t_x"),
        pl.col("T_cut").alias("T"),
        pl.col("m_cut").alias("m"),
        "actual_purchases",
        "actual_value",
    )
    return now, then


@dataclass(frozen=True)
class UnitModels:
    business_unit: str
    bgnbd: clv.BgNbd
    gamma_gamma: clv.GammaGamma


def _sample(rows: pl.DataFrame) -> pl.DataFrame:
    """Up to FIT_SAMPLE customers, chosen by a seeded hash of their id: the same customers whatever
    the order of the rows."""
    if rows.height <= FIT_SAMPLE:
        return rows
    return (
        rows.with_columns(pl.col("customer_id").hash(SEED).alias("_h"))
        .bottom_k(FIT_SAMPLE, by="_h")
        .drop("_h")
    )


def fit_unit(business_unit: str, summary: pl.DataFrame) -> UnitModels:
    """BG/NBD and Gamma-Gamma of one business unit."""
    fit = _sample(summary.filter(pl.col("business_unit") == business_unit))
    # identical (x, t_x, T) customers collapse into one weighted row: same likelihood, fewer terms
    triplets = fit.group_by("x", "t_x", "T").len().sort("x", "t_x", "T")
    bgnbd = clv.fit_bgnbd(
        triplets["x"].to_numpy(),
        triplets["t_x"].to_numpy(),
        triplets["T"].to_numpy(),
        weights=triplets["len"].to_numpy(),
    )
    repeat = fit.filter((pl.col("x") > 0) & (pl.col("m") > 0))
    if repeat.height < 10:
        raise ValueError(
            f"business unit {business_unit}: {repeat.height} repeat buyers, too few to fit spend"
        )
    gamma_gamma = clv.fit_gamma_gamma(repeat["x"].to_numpy(), repeat["m"].to_numpy())
    return UnitModels(business_unit, bgnbd, gamma_gamma)


def predict(models: UnitModels, summary: pl.DataFrame, horizon_days: int = HORIZON_DAYS) -> pl.DataFrame:
    """Expected purchases, P(alive), expected spend per purchase and value over the horizon."""
    rows = summary.filter(pl.col("business_unit") == models.business_unit)
    x, t_x, T, m = (rows[c].to_numpy() for c in ("x", "t_x", "T", "m"))
    purchases = clv.expected_purchases(models.bgnbd, horizon_days / 7, x, t_x, T)
    spend = clv.expected_spend(models.gamma_gamma, x, np.where(m > 0, m, 0.0))
    return rows.with_columns(
        pl.Series("p_alive", clv.p_alive(models.bgnbd, x, t_x, T)),
        pl.Series("expected_purchases_12m", purchases),
        pl.Series("expected_spend_per_purchase", spend),
        pl.Series("expected_value_12m", purchases * spend),
    )


def value_tiers(predictions: pl.DataFrame) -> pl.DataFrame:
    """Rank share within the business unit (0 = most valuable) and the tier it falls in."""
    share = pl.col("expected_value_12m").rank("ordinal", descending=True).over(
        "business_unit"
    ) / pl.len().over("business_unit")
    tier = pl.when(share <= TIERS[0][0]).then(pl.lit(TIERS[0][1]))
    for cut, label in TIERS[1:]:
        tier = tier.when(share <= cut).then(pl.lit(label))
    return predictions.with_columns(
        share.alias("value_rank_share"), tier.otherwise(pl.lit(BOTTOM_TIER)).alias("value_tier")
    )


def customer_clv(summary: pl.DataFrame, reference_date: date) -> tuple[pl.DataFrame, list[UnitModels]]:
    """Fit per business unit as of the reference date and predict the next 12 months for every buyer
    (``summary``: the first frame of ``customer_summaries``)."""
    if summary.is_empty():
        raise ValueError(
            f"no customer bought before {reference_date}: sales.fct_sales_lines has nothing to model"
        )
    models = [fit_unit(bu, summary) for bu in sorted(summary["business_unit"].unique().to_list())]
    predicted = pl.concat([predict(m, summary) for m in models])
    out = value_tiers(predicted).with_columns(pl.lit(reference_date).alias("reference_date"))
    return out, models


def _metrics(actual: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    from scipy.stats import spearmanr

    total = float(actual.sum())
    rho = spearmanr(predicted, actual).statistic if len(actual) > 2 and np.ptp(actual) > 0 else float("nan")
    return {
        "customers": float(len(actual)),
        "actual_total": total,
        "predicted_total": float(predicted.sum()),
        "aggregate_error": float((predicted.sum() - total) / total) if total else float("nan"),
        "mae": float(np.mean(np.abs(predicted - actual))),
        "spearman": float(rho),
    }


def backtest(history: pl.DataFrame, horizon_days: int = HORIZON_DAYS) -> list[dict]:
    """Fit on the history before the cutoff, predict the horizon, compare with what happened: per
    business unit, for purchases (BG/NBD) and value (BG/NBD x Gamma-Gamma). ``history``: the second
    frame of ``customer_summaries``. Returns metric rows (model, business_unit, metric, value); none
    for a unit whose history is too short to fit."""
    rows: list[dict] = []
    for bu in sorted(history["business_unit"].unique().to_list()):
        try:
            models = fit_unit(bu, history)
        except ValueError:
            continue  # too little history in this unit to backtest
        scored = predict(models, history, horizon_days)
        for model, actual_col, predicted_col in (
            ("bgnbd", "actual_purchases", "expected_purchases_12m"),
            ("clv_12m", "actual_value", "expected_value_12m"),
        ):
            values = _metrics(scored[actual_col].to_numpy().astype(float), scored[predicted_col].to_numpy())
            rows += [
                {"model": model, "business_unit": bu, "metric": f"backtest_{k}", "value": v}
                for k, v in values.items()
            ]
    return rows


def parameter_rows(models: list[UnitModels]) -> list[dict]:
    rows = []
    for unit in models:
        b, g = unit.bgnbd, unit.gamma_gamma
        for model, values in (
            (
                "bgnbd",
                {
                    "r": b.r,
                    "alpha": b.alpha,
                    "a": b.a,
                    "b": b.b,
                    "log_likelihood": b.log_likelihood,
                    "fit_customers": b.n_customers,
                },
            ),
            (
                "gamma_gamma",
                {
                    "p": g.p,
                    "q": g.q,
                    "gamma": g.gamma,
                    "log_likelihood": g.log_likelihood,
                    "fit_customers": g.n_customers,
                },
            ),
        ):
            rows += [
                {"model": model, "business_unit": unit.business_unit, "metric": k, "value": float(v)}
                for k, v in values.items()
            ]
    return rows


def currencies(conn: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """business_unit, currency_code of every business unit."""
    return conn.sql(
        "select country_code as business_unit, currency_code from referential.business_units"
    ).pl()


def clv_table(predictions: pl.DataFrame, currencies: pl.DataFrame) -> pl.DataFrame:
    """The published ``features.customer_clv``: ``predictions`` (``customer_clv``'s frame) in the
    table's columns, amounts rounded to the cent, with the business unit's currency
    (``currencies``: business_unit, currency_code)."""
    return predictions.select(
        "customer_id",
        "reference_date",
        "business_unit",
        pl.col("x").cast(pl.Int64).alias("repeat_purchases"),
        pl.col("t_x").alias("weeks_first_to_last_purchase"),
        pl.col("T").alias("weeks_since_first_purchase"),
        pl.col("m").round(2).alias("mean_repeat_purchase_value"),
        "p_alive",
        "expected_purchases_12m",
        pl.col("expected_spend_per_purchase").round(2),
        pl.col("expected_value_12m").round(2),
        "value_rank_share",
        "value_tier",
    ).join(currencies, on="business_unit", how="left")


def metrics_table(rows: list[dict], backtest: bool) -> pl.DataFrame | None:
    """Metric rows as analysts read them: a row per model and metric, a column per business unit
    (values to 4 decimals); the fitted parameters, or (``backtest``) the backtest's measures (None
    without any: history shorter than a year)."""
    frame = pl.DataFrame(
        rows,
        schema={"model": pl.String, "business_unit": pl.String, "metric": pl.String, "value": pl.Float64},
    ).filter(pl.col("metric").str.starts_with("backtest_") == backtest)
    if frame.is_empty() and backtest:
        return None
    return frame.with_columns(pl.col("value").round(4)).pivot(
        on="business_unit", index=["model", "metric"], values="value"
    )


def headline(backtest_rows: list[dict]) -> dict[str, float]:
    """The backtest's HEADLINE measures as flat numbers: backtest_<model>_<measure>_<business unit>."""
    return {
        f"backtest_{r['model']}_{r['metric'].removeprefix('backtest_')}_{r['business_unit']}": round(
            r["value"], 4
        )
        for r in backtest_rows
        if r["metric"] in HEADLINE
    }
