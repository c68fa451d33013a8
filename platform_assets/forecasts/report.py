"""What the forecast run writes and reports: the table's frame, metric rows (pure)."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl

from platform_assets.forecasts import columns
from platform_assets.forecasts.model import Backtest, DemandModel, summarise
from platform_assets.forecasts.series import Series
from platform_assets.lib.metadata import polars_schema


def forecast_frame(
    series: Series, rows: dict[str, np.ndarray], fitted: DemandModel, ref: date
) -> pl.DataFrame:
    keys = series.keys[rows["series"].tolist()]
    last = series.last_week
    return (
        keys.with_columns(
            week_start=pl.Series([last + timedelta(days=7 * int(h)) for h in rows["horizon"]], dtype=pl.Date),
            horizon_weeks=pl.Series(rows["horizon"].astype("int32")),
            units_forecast=pl.Series(rows["forecast"].round(2)),
            units_low=pl.Series(rows["low"].round(2)),
            units_high=pl.Series(rows["high"].round(2)),
            interval=pl.lit(fitted.interval),
            seasonal_naive_units=pl.Series(rows["naive"]),
            last_known_week=pl.lit(last),
            reference_date=pl.lit(ref),
            model_version=pl.lit(fitted.version),
        )
        .select(list(polars_schema(columns.COLUMNS)))
        .sort("business_unit", "store_id", "department_name", "week_start")
    )


def metric_rows(
    series: Series, measured: Backtest, rows: dict[str, np.ndarray], fitted: DemandModel
) -> list[dict]:
    """The backtest per business unit and for the group (ALL), for ops.model_metrics."""
    units = series.keys["business_unit"].to_numpy()[rows["series"]]
    parts = {"ALL": measured}
    for bu in sorted(set(units)):
        mask = units == bu
        parts[bu] = summarise(measured.origin, measured.weeks, {k: v[mask] for k, v in rows.items()})
    out = []
    for bu, m in parts.items():
        out += [
            {"model": "demand_forecast", "business_unit": bu, "metric": f"backtest_{name}", "value": value}
            for name, value in (
                ("wape", m.wape),
                ("wape_seasonal_naive", m.wape_seasonal_naive),
                ("wape_reduction", m.wape_reduction),
                ("interval_coverage", m.coverage),
                ("points", float(m.points)),
            )
        ]
    out += [
        {"model": "demand_forecast", "business_unit": "ALL", "metric": name, "value": float(value)}
        for name, value in (
            ("interval", fitted.interval),
            ("interval_dispersion", fitted.dispersion),
            ("backtest_weeks", measured.weeks),
            ("series", series.keys.height),
            ("training_rows", fitted.training_rows),
        )
    ]
    return out


def backtest_table(metrics: list[dict]) -> pl.DataFrame:
    """A row per backtest measure, a column per business unit (4 decimals)."""
    frame = pl.DataFrame([m for m in metrics if m["metric"].startswith("backtest_")])
    return frame.pivot(on="business_unit", index="metric", values="value").with_columns(
        pl.exclude("metric").round(4)
    )
