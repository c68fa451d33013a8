"""Lifetime value per customer and business unit, and its backtest: data in, frames out.

A transaction is a purchase day (the BG/NBD convention: several receipts on one day count once),
valued at the day's sold amount (returns left out: the Gamma-Gamma model needs positive values).
Time is measured in weeks. Models are fitted per business unit (amounts are in its currency) on
up to ``FIT_SAMPLE`` customers drawn with a fixed seed from the id-sorted list, and predict for all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import duckdb
import numpy as np
import polars as pl
from scipy.stats import spearmanr

from platform_assets.features import clv

HORIZON_DAYS = 365
FIT_SAMPLE = 50_000
SEED = 20261101
TIERS = ((0.01, "top 1%"), (0.05, "top 5%"), (0.10, "top 10%"), (0.25, "top 25%"), (0.50, "top 50%"))

PURCHASE_DAYS_SQL = """
select
    l.customer_id,
    d.country_code as business_unit,
    l.sold_date as purchase_date,
    sum(l.net_amount::double) as value
from sales.fct_sales_lines as l
inner join referential.dim_customer as d on l.customer_id = d.customer_id
where not l.is_return and not l.is_cancelled and l.sold_date < ? and d.country_code is not null
group by all
"""


def purchase_days(conn: duckdb.DuckDBPyConnection, reference_date: date) -> pl.DataFrame:
    """Customer x purchase day before the reference date, with the day's value."""
    return conn.sql(PURCHASE_DAYS_SQL, params=[reference_date]).pl()


def rfm_summary(days: pl.DataFrame, cutoff: date) -> pl.DataFrame:
    """Per customer with a purchase before ``cutoff``: x, t_x, T (weeks), mean repeat value m."""
    return (
        days.filter(pl.col("purchase_date") < cutoff)
        .sort("customer_id", "purchase_date")
        .group_by("customer_id", maintain_order=True)
        .agg(
            pl.col("business_unit").first(),
            (pl.len() - 1).alias("x"),
            pl.col("purchase_date").min().alias("first_purchase_date"),
            pl.col("purchase_date").max().alias("last_purchase_date"),
            pl.col("value").sum().alias("total_value"),
            pl.col("value").first().alias("first_value"),
        )
        .with_columns(
            ((pl.col("last_purchase_date") - pl.col("first_purchase_date")).dt.total_days() / 7).alias("t_x"),
            ((pl.lit(cutoff) - pl.col("first_purchase_date")).dt.total_days() / 7).alias("T"),
            pl.when(pl.col("x") > 0)
            .then((pl.col("total_value") - pl.col("first_value")) / pl.col("x"))
            .otherwise(0.0)
            .alias("m"),
        )
        .select("customer_id", "business_unit", "x", "t_x", "T", "m")
    )


@dataclass(frozen=True)
class UnitModels:
    business_unit: str
    bgnbd: clv.BgNbd
    gamma_gamma: clv.GammaGamma


def _sample(n: int) -> np.ndarray:
    if n <= FIT_SAMPLE:
        return np.arange(n)
    return np.sort(np.random.default_rng(SEED).choice(n, FIT_SAMPLE, replace=False))


def fit_unit(business_unit: str, summary: pl.DataFrame) -> UnitModels:
    """BG/NBD and Gamma-Gamma of one business unit (``summary`` sorted by customer_id)."""
    rows = summary.filter(pl.col("business_unit") == business_unit)
    fit = rows[_sample(rows.height)]
    bgnbd = clv.fit_bgnbd(fit["x"].to_numpy(), fit["t_x"].to_numpy(), fit["T"].to_numpy())
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
        share.alias("value_rank_share"), tier.otherwise(pl.lit("bottom 50%")).alias("value_tier")
    )


def customer_clv(days: pl.DataFrame, reference_date: date) -> tuple[pl.DataFrame, list[UnitModels]]:
    """Fit per business unit as of the reference date and predict the next 12 months for every buyer."""
    summary = rfm_summary(days, reference_date)
    if summary.is_empty():
        raise ValueError(
            f"no customer bought before {reference_date}: sales.fct_sales_lines has nothing to model"
        )
    models = [fit_unit(bu, summary) for bu in sorted(summary["business_unit"].unique().to_list())]
    predicted = pl.concat([predict(m, summary) for m in models])
    out = value_tiers(predicted).with_columns(pl.lit(reference_date).alias("reference_date"))
    return out.sort("customer_id"), models


def _metrics(actual: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
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


def backtest(days: pl.DataFrame, reference_date: date, horizon_days: int = HORIZON_DAYS) -> list[dict]:
    """Fit on the history before ``reference_date - horizon``, predict the horizon, compare with what
    happened: per business unit, for purchases (BG/NBD) and value (BG/NBD x Gamma-Gamma).
    Returns metric rows (model, business_unit, metric, value); none when the history is too short."""
    cutoff = reference_date - timedelta(days=horizon_days)
    history = days.filter(pl.col("purchase_date") < reference_date)
    summary = rfm_summary(history, cutoff)
    if summary.is_empty():
        return []
    actual = (
        history.filter(pl.col("purchase_date") >= cutoff)
        .group_by("customer_id")
        .agg(pl.len().alias("actual_purchases"), pl.col("value").sum().alias("actual_value"))
    )
    rows: list[dict] = []
    for bu in sorted(summary["business_unit"].unique().to_list()):
        try:
            models = fit_unit(bu, summary)
        except ValueError:
            continue  # too little history in this unit to backtest
        scored = (
            predict(models, summary, horizon_days).join(actual, on="customer_id", how="left").fill_null(0)
        )
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
