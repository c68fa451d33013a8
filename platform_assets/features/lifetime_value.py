"""Lifetime value per customer and business unit, and its backtest: data in, frames out.

A transaction is a purchase day (the BG/NBD convention: several receipts on one day count once),
valued at the day's sold amount (returns left out: the Gamma-Gamma model needs positive values).
The retailer's ``clv`` settings give the time unit of t_x and T (weeks in the demo and CDNOW), the
prediction horizon in that unit (a business unit may set its own: its customers' expected purchases
and value cover it; the backtest's holdout is the group's horizon) and the calibration end: the last day of the period the models are
fitted on, whose T counts to it (by default the day before the reference date, the last day known).
Models are fitted per business unit (amounts are in its currency) on up to ``FIT_SAMPLE`` customers
chosen by a seeded hash of their id, and predict for all, from everything known before the reference
date. The backtest fits on a period that ends before the last day known and compares its predictions
with what happened after: the configured calibration end when it is earlier than the last day known
(CDNOW: calibration to 1997-09-30, holdout to 1998-06-30), else one horizon earlier.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import duckdb
import numpy as np
import polars as pl

from platform_assets.features import clv
from platform_assets.features.columns import BOTTOM_TIER, CLV_TABLE, TIERS
from platform_assets.lib.engine_queries import Scan, on_duckdb
from platform_assets.lib.retailer import DAYS_PER_UNIT, ClvSettings

TABLE = CLV_TABLE
FIT_SAMPLE = 50_000
SEED = 20261101


@dataclass(frozen=True)
class ClvPeriods:
    """The dates and the time unit of one run. Every period ends on a day included in it: T of a
    customer is the time from the first purchase to the period's last day (so a customer who first
    bought on that day has T = 0), as in Fader, Hardie & Lee (2005)."""

    reference_date: date
    last_day: date  # the last day known (the day before the reference date): predictions start after it
    calibration_end: date  # the models' fitting period ends on this day
    backtest_end: date  # the backtest's fitting period ends on this day; its holdout runs to last_day
    time_unit: str
    unit_days: float
    horizon: float  # the group's prediction horizon, in units: the backtest's holdout when one horizon long
    unit_horizons: dict[str, float] = field(default_factory=dict)  # a business unit's own horizon

    def horizon_of(self, business_unit: str) -> float:
        """The prediction horizon of ``business_unit``, in units."""
        return self.unit_horizons.get(business_unit, self.horizon)

    @property
    def holdout_units(self) -> float:
        """Length of the backtest's holdout (backtest_end, last_day], in units."""
        return (self.last_day - self.backtest_end).days / self.unit_days


def clv_periods(settings: ClvSettings, reference_date: date) -> ClvPeriods:
    """The run's periods from the retailer's ``clv`` settings: the calibration end defaults to the
    day before the reference date; a calibration end on or after the reference date is refused (it
    would fit on days not yet known)."""
    last_day = reference_date - timedelta(days=1)
    calibration_end = settings.calibration_end or last_day
    if calibration_end > last_day:
        raise ValueError(
            f"clv.calibration_end {calibration_end} is not before the reference date {reference_date}: "
            "the models cannot be fitted on days not yet known"
        )
    unit_days = DAYS_PER_UNIT[settings.time_unit]
    if calibration_end < last_day:
        backtest_end = calibration_end  # the configured calibration, judged on what followed it
    else:
        backtest_end = last_day - timedelta(days=round(settings.horizon * unit_days))
    return ClvPeriods(
        reference_date=reference_date,
        last_day=last_day,
        calibration_end=calibration_end,
        backtest_end=backtest_end,
        time_unit=settings.time_unit,
        unit_days=unit_days,
        horizon=float(settings.horizon),
        unit_horizons={bu: float(own.horizon) for bu, own in settings.by_business_unit.items()},
    )


# Read at the order grain (sales.fct_orders, summed from the lines by dbt: 8M rows, not 23M): an
# order's sold lines are all booked on its order date, and its gross amount is the sum of their net
# amounts, so a purchase day's value is the same as summed from the lines (checked by a test).
# One scan gives the three summaries: as of the last day known (to predict), as of the calibration
# end (to fit) and as of the backtest's end, with what each customer then did until the last day.
SUMMARY_SQL = """
with
days as (
    select
        o.customer_id,
        o.ordered_date as purchase_date,
        sum(o.gross_amount::decimal(18, 2)) as value  -- decimal: exact, whatever the order of addition
    from sales.fct_orders as o
    where not o.is_return_only and not o.is_cancelled and o.ordered_date <= $last and o.customer_id is not null
    group by o.customer_id, o.ordered_date
),

summary as (
    select
        customer_id,
        min(purchase_date) as first_day,
        arg_min(value, purchase_date) as first_value,
        count(*) as n_last,
        max(purchase_date) as last_last,
        sum(value) as value_last,
        count(*) filter (where purchase_date <= $fit) as n_fit,
        max(purchase_date) filter (where purchase_date <= $fit) as last_fit,
        sum(value) filter (where purchase_date <= $fit) as value_fit,
        count(*) filter (where purchase_date <= $test) as n_test,
        max(purchase_date) filter (where purchase_date <= $test) as last_test,
        sum(value) filter (where purchase_date <= $test) as value_test
    from days
    group by customer_id
)

select
    summary.customer_id,
    d.country_code as business_unit,
    n_last - 1 as x,
    date_diff('day', first_day, last_last) / $unit as t_x,
    date_diff('day', first_day, $last) / $unit as "T",
    coalesce((value_last - first_value)::double / nullif(n_last - 1, 0), 0) as m,
    n_fit - 1 as x_fit,
    date_diff('day', first_day, last_fit) / $unit as t_x_fit,
    date_diff('day', first_day, $fit) / $unit as "T_fit",
    coalesce((value_fit - first_value)::double / nullif(n_fit - 1, 0), 0) as m_fit,
    n_test - 1 as x_test,
    date_diff('day', first_day, last_test) / $unit as t_x_test,
    date_diff('day', first_day, $test) / $unit as "T_test",
    coalesce((value_test - first_value)::double / nullif(n_test - 1, 0), 0) as m_test,
    n_last - n_test as actual_purchases,
    (value_last - coalesce(value_test, 0))::double as actual_value
from summary
inner join referential.dim_customer as d on summary.customer_id = d.customer_id
where d.country_code is not null
"""

SUMMARY_READS = ("sales.fct_orders", "referential.dim_customer")

# The run's models in ops.model_metrics (their rows are replaced together).
MODELS = ["bgnbd", "gamma_gamma", "clv"]
# Backtest measures shown on the asset's page, per model and business unit.
HEADLINE = ("backtest_aggregate_error", "backtest_spearman")

SUMMARY_COLUMNS = ["customer_id", "business_unit", "x", "t_x", "T", "m"]


@dataclass(frozen=True)
class Summaries:
    """(x, t_x, T in the time unit, mean repeat value m) per buyer, as of three days."""

    now: pl.DataFrame  # as of the last day known: what the predictions condition on
    fit: pl.DataFrame  # the buyers of the calibration end, as of it: what the models are fitted on
    history: pl.DataFrame  # the buyers of the backtest end, as of it, with their purchases and value since


def _as_of(both: pl.DataFrame, suffix: str, *extra: str) -> pl.DataFrame:
    return both.filter(pl.col(f"x_{suffix}") >= 0).select(
        "customer_id",
        "business_unit",
        *(pl.col(f"{c}_{suffix}").alias(c) for c in ("x", "t_x", "T", "m")),
        *extra,
    )


def customer_summaries(
    conn: duckdb.DuckDBPyConnection, periods: ClvPeriods, scan: Scan = on_duckdb
) -> Summaries:
    """The buyers' summaries of the run's periods (one scan of sales.fct_orders, where ``scan`` runs:
    lib/engine_queries.py, on Spark with ``CDP_ENGINE=spark``)."""
    sql = (
        SUMMARY_SQL.replace("$last", f"date '{periods.last_day.isoformat()}'")
        .replace("$fit", f"date '{periods.calibration_end.isoformat()}'")
        .replace("$test", f"date '{periods.backtest_end.isoformat()}'")
        .replace("$unit", f"{periods.unit_days!r}::double")
    )
    # in customer order: DuckDB returns groups in any order, and a sum of floats over them (the
    # Gamma-Gamma likelihood) then differs in the last bits from run to run (sorted by DuckDB, on
    # both threads: the same bytewise order as polars' sort, in half the time)
    both = conn.sql(f"select * from ({scan(sql, SUMMARY_READS)}) order by customer_id").pl()
    return Summaries(
        now=both.select(SUMMARY_COLUMNS),
        fit=_as_of(both, "fit"),
        history=_as_of(both, "test", "actual_purchases", "actual_value"),
    )


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


def predict(models: UnitModels, summary: pl.DataFrame, horizon: float) -> pl.DataFrame:
    """Expected purchases, P(alive), expected spend per purchase and value over the next
    ``horizon`` time units (the summaries' unit)."""
    rows = summary.filter(pl.col("business_unit") == models.business_unit)
    x, t_x, T, m = (rows[c].to_numpy() for c in ("x", "t_x", "T", "m"))
    purchases = clv.expected_purchases(models.bgnbd, horizon, x, t_x, T)
    spend = clv.expected_spend(models.gamma_gamma, x, np.where(m > 0, m, 0.0))
    return rows.with_columns(
        pl.lit(horizon, pl.Float64).alias("horizon_units"),
        pl.Series("p_alive", clv.p_alive(models.bgnbd, x, t_x, T)),
        pl.Series("expected_purchases", purchases),
        pl.Series("expected_spend_per_purchase", spend),
        pl.Series("expected_value", purchases * spend),
    )


def value_tiers(predictions: pl.DataFrame) -> pl.DataFrame:
    """Rank share within the business unit (0 = most valuable) and the tier it falls in."""
    share = pl.col("expected_value").rank("ordinal", descending=True).over("business_unit") / pl.len().over(
        "business_unit"
    )
    tier = pl.when(share <= TIERS[0][0]).then(pl.lit(TIERS[0][1]))
    for cut, label in TIERS[1:]:
        tier = tier.when(share <= cut).then(pl.lit(label))
    return predictions.with_columns(
        share.alias("value_rank_share"), tier.otherwise(pl.lit(BOTTOM_TIER)).alias("value_tier")
    )


def customer_clv(summaries: Summaries, periods: ClvPeriods) -> tuple[pl.DataFrame, list[UnitModels]]:
    """Fit per business unit on the calibration period and predict the horizon for every buyer known
    before the reference date."""
    now, fit = summaries.now, summaries.fit
    if now.is_empty():
        raise ValueError(
            f"no customer bought before {periods.reference_date}: sales.fct_sales_lines has nothing to model"
        )
    units = sorted(now["business_unit"].unique().to_list())
    if missing := sorted(set(units) - set(fit["business_unit"].unique().to_list())):
        raise ValueError(
            f"business unit(s) {missing}: no customer bought by the calibration end "
            f"{periods.calibration_end} (clv.calibration_end), nothing to fit on"
        )
    models = [fit_unit(bu, fit) for bu in units]
    predicted = pl.concat([predict(m, now, periods.horizon_of(m.business_unit)) for m in models])
    out = value_tiers(predicted).with_columns(
        pl.lit(periods.reference_date).alias("reference_date"),
        (pl.col("horizon_units") * periods.unit_days).round(0).cast(pl.Int64).alias("horizon_days"),
    )
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


def backtest(history: pl.DataFrame, holdout: float) -> list[dict]:
    """Fit on the history to the backtest's end, predict the ``holdout`` units that followed it,
    compare with what happened: per business unit, for purchases (BG/NBD) and value (BG/NBD x
    Gamma-Gamma). ``history``: ``Summaries.history``; ``holdout``: ``ClvPeriods.holdout_units``.
    Returns metric rows (model, business_unit, metric, value); none for a unit whose history is
    too short to fit."""
    rows: list[dict] = []
    for bu in sorted(history["business_unit"].unique().to_list()):
        try:
            models = fit_unit(bu, history)
        except ValueError:
            continue  # too little history in this unit to backtest
        scored = predict(models, history, holdout)
        for model, actual_col, predicted_col in (
            ("bgnbd", "actual_purchases", "expected_purchases"),
            ("clv", "actual_value", "expected_value"),
        ):
            values = _metrics(scored[actual_col].to_numpy().astype(float), scored[predicted_col].to_numpy())
            rows += [
                {"model": model, "business_unit": bu, "metric": f"backtest_{k}", "value": v}
                for k, v in values.items()
            ]
    return rows


def period_metadata(periods: ClvPeriods) -> dict[str, str | float]:
    """The run's periods as the asset's page shows them."""
    return {
        "time_unit": periods.time_unit,
        "horizon": periods.horizon,
        **{f"horizon_{bu}": h for bu, h in sorted(periods.unit_horizons.items())},
        "calibration_period_end": str(periods.calibration_end),
        "backtest_period": f"fit to {periods.backtest_end}, holdout to {periods.last_day} "
        f"({round(periods.holdout_units, 2)} {periods.time_unit}s)",
    }


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
        "expected_purchases",
        pl.col("expected_spend_per_purchase").round(2),
        pl.col("expected_value").round(2),
        "horizon_days",
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
