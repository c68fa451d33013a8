"""The Command Center's demand forecast panel (``forecasts.demand_weekly``): per business unit, the next
weeks' units summed over its stores, with the interval and the seasonal-naive baseline, a table per
department, and the last backtest from ``ops.model_metrics`` (model ``demand_forecast``)."""

from __future__ import annotations

from platform_assets.cockpits.html import Page, kpi, table
from platform_assets.cockpits.sources import Sources, rows

FORECAST_TABLE = "forecasts.demand_weekly"
MODEL = "demand_forecast"
BACKTEST = ("backtest_wape", "backtest_wape_seasonal_naive", "backtest_interval_coverage")


def weekly_forecast(src: Sources) -> list[dict]:
    """Per business unit, department and week: units forecast, the interval's bounds and the baseline,
    summed over the stores."""
    return rows(
        src.conn,
        f"""
        select business_unit, department_name, week_start::varchar as week_start, horizon_weeks,
               sum(units_forecast) as units, sum(units_low) as low, sum(units_high) as high,
               sum(seasonal_naive_units) as naive, any_value(interval) as interval
        from cur.{FORECAST_TABLE}
        group by all
        order by business_unit, department_name, week_start
        """,
    )


def last_backtest(src: Sources) -> dict[str, dict[str, float]]:
    """Business unit -> the last run's backtest figures of the forecast (none without ops.model_metrics)."""
    if not src.has("ops.model_metrics"):
        return {}
    found = rows(
        src.conn,
        "select business_unit, metric, value from cur.ops.model_metrics where model = ? and metric in "
        f"({', '.join('?' for _ in BACKTEST)}) and run_id = (select arg_max(run_id, computed_at) "
        "from cur.ops.model_metrics where model = ?)",
        [MODEL, *BACKTEST, MODEL],
    )
    out: dict[str, dict[str, float]] = {}
    for r in found:
        out.setdefault(r["business_unit"], {})[r["metric"]] = r["value"]
    return out


def forecast_panel(page: Page, figures: list[dict], backtest: dict[str, dict], code: str) -> str:
    mine = [r for r in figures if r["business_unit"] == code]
    if not mine:
        return "<h3>Demand forecast</h3><p class='note'>No series of this business unit to forecast.</p>"
    weeks = sorted({r["week_start"] for r in mine})
    total = {
        w: {
            k: sum(r[k] or 0 for r in mine if r["week_start"] == w) for k in ("units", "low", "high", "naive")
        }
        for w in weeks
    }
    interval = round(100 * (mine[0]["interval"] or 0))
    chart = page.chart(
        {
            "data": [
                {
                    "type": "scatter",
                    "mode": "lines",
                    "name": "low",
                    "x": weeks,
                    "y": [total[w]["low"] for w in weeks],
                    "line": {"width": 0},
                    "showlegend": False,
                },
                {
                    "type": "scatter",
                    "mode": "lines",
                    "name": f"{interval} % interval (bounds summed)",
                    "x": weeks,
                    "y": [total[w]["high"] for w in weeks],
                    "fill": "tonexty",
                    "line": {"width": 0},
                },
                {
                    "type": "scatter",
                    "mode": "lines+markers",
                    "name": "forecast",
                    "x": weeks,
                    "y": [total[w]["units"] for w in weeks],
                },
                {
                    "type": "scatter",
                    "mode": "lines",
                    "name": "same week last year",
                    "x": weeks,
                    "y": [total[w]["naive"] for w in weeks],
                    "line": {"dash": "dot"},
                },
            ],
            "layout": {
                "title": {"text": "Units sold per week, all stores: forecast"},
                "yaxis": {"title": {"text": "units"}},
                "legend": {"orientation": "h", "y": -0.2},
            },
        },
        height=380,
    )
    departments = sorted({r["department_name"] for r in mine})
    body = []
    for name in departments:
        part = [r for r in mine if r["department_name"] == name]
        units, naive = sum(r["units"] or 0 for r in part), sum(r["naive"] or 0 for r in part)
        body.append(
            [
                name,
                units,
                sum(r["low"] or 0 for r in part),
                sum(r["high"] or 0 for r in part),
                naive,
                (units - naive) / naive if naive else None,
            ]
        )
    digits = {"units forecast": 0, "low": 0, "high": 0, "same weeks last year": 0, "change": 3}
    measured = backtest.get(code, {})
    kpis = (
        '<div class="kpis">'
        + kpi(
            "forecast_units",
            f"units forecast, next {len(weeks)} weeks",
            sum(t["units"] for t in total.values()),
            code,
        )
        + kpi("forecast_wape", "backtest WAPE", measured.get("backtest_wape"), code, 3)
        + kpi(
            "forecast_wape_naive",
            "seasonal-naive WAPE",
            measured.get("backtest_wape_seasonal_naive"),
            code,
            3,
        )
        + kpi("forecast_coverage", "interval coverage", measured.get("backtest_interval_coverage"), code, 3)
        + "</div>"
    )
    return (
        "<h3>Demand forecast</h3>"
        + kpis
        + "<div class='charts'>"
        + chart
        + table(["department", *digits], body, digits)
        + f"</div><p class='note'>Units per store, department and week for the {len(weeks)} weeks after the last "
        "complete one (forecasts.demand_weekly), summed here over the unit's stores; the band sums the stores' "
        f"{interval} % bounds, so it is wider than the total's own interval. The baseline is the same week a year "
        "before. The backtest is the last run's, on the last known weeks the model did not see (ops.model_metrics, "
        "model demand_forecast): WAPE of the model and of the baseline, and the share of actual weeks inside the "
        "interval.</p>"
    )
