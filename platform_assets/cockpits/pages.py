"""The four pages, from the figures ``sources.py`` reads: one section per business unit where the
figures are per business unit (the selector shows one), site-wide sections otherwise."""

from __future__ import annotations

from collections.abc import Callable

from platform_assets.cockpits import aggregates, forecast_panel, profit_panels, sources
from platform_assets.cockpits.html import Page, esc, kpi, missing_panel, number, section, table
from platform_assets.governance.ownership import DOMAINS

COMMAND_CENTER = "command_center"
DATA_HEALTH = "data_health"
MODEL_PERFORMANCE = "model_performance"
CAMPAIGN_PERFORMANCE = "campaign_performance"

# the backtest figures a model is judged by (ops.model_metrics names), headline first
HEADLINE_METRICS = {
    "churn": ("backtest_auc", "backtest_top_decile_lift", "backtest_max_band_calibration_gap_pct"),
    "clv": ("backtest_spearman", "backtest_mae", "backtest_aggregate_error"),
    "bgnbd": ("backtest_spearman", "backtest_mae", "backtest_aggregate_error"),
    "life_moment_moving": ("backtest_observed_concordance", "backtest_observed_top5_precision_ratio"),
    "life_moment_renovation": ("backtest_observed_concordance", "backtest_observed_top5_precision_ratio"),
    "life_moment_new_garden": ("backtest_observed_concordance", "backtest_observed_top5_precision_ratio"),
    "appetence": ("backtest_lift_precision_at_3", "backtest_model_precision_at_3"),
    "segment_classifier": ("holdout_accuracy",),
    "segmentation": ("chosen_silhouette", "chosen_segments"),
}
# every local score a business unit declares (platform_assets/scores/local/): model local_<bu>_<score>
LOCAL_SCORE_HEADLINE = ("backtest_auc", "backtest_lift_top_decile")
CHURN_BANDS = ("healthy", "attention", "moderate_risk", "high_risk")


def _guarded(src: sources.Sources, tables: tuple[str, ...], build: Callable[[], str]) -> str:
    """The panel ``build`` draws, or one saying which of ``tables`` is missing and since when."""
    missing = [m for m in (src.missing(t) for t in tables) if m]
    return "".join(missing_panel(m.message) for m in missing) if missing else build()


def command_center(src: sources.Sources, bus: list[dict]) -> tuple[Page, dict]:
    page = Page(COMMAND_CENTER, "Command Center", "sponsor, marketing director")
    activity = {r["business_unit"]: r for r in sources.activity(src)} if src.has("sales.fct_orders") else {}
    tiers = sources.value_tiers(src) if src.has("features.customer_clv") else []
    bands = sources.churn_bands(src)
    segments = sources.rfm_segments(src) if src.has("features.customer_rfm") else []
    migration = (
        sources.rfm_migration(src)
        if src.previous
        and src.has("features.customer_rfm")
        and "features.customer_rfm" in src.previous.tables
        else None
    )
    economics = sources.channel_ltv_cac(src) if src.has("marketing.channel_ltv_cac") else []
    attributed = profit_panels.attributed_margin(src) if src.has(profit_panels.ATTRIBUTION_TABLE) else []
    matrix = profit_panels.margin_matrix(src) if src.has(profit_panels.MATRIX_TABLE) else []
    catchment = profit_panels.store_catchment(src) if src.has(profit_panels.CATCHMENT_TABLE) else []
    forecast = forecast_panel.weekly_forecast(src) if src.has(forecast_panel.FORECAST_TABLE) else []
    forecast_backtest = forecast_panel.last_backtest(src) if forecast else {}
    figures: dict = {}
    if not bus:
        page.body.append(
            section("Business units", _guarded(src, ("referential.business_units",), lambda: ""))
        )
    for bu in bus:
        code, currency = bu["business_unit"], bu["currency_code"]
        act = activity.get(code, {})
        figures[code] = {
            "active_customers": int(act.get("active_customers") or 0),
            "revenue_12m": round(float(act.get("revenue_12m") or 0.0), 2),
        }
        kpis = _guarded(
            src,
            ("sales.fct_orders",),
            lambda act=act, code=code, currency=currency: (
                '<div class="kpis">'
                + kpi(
                    "active_customers", "active customers (12 months)", act.get("active_customers") or 0, code
                )
                + kpi(
                    "revenue_12m", "net revenue, 12 months", act.get("revenue_12m") or 0.0, code, 0, currency
                )
                + kpi("orders_12m", "orders, 12 months", act.get("orders_12m") or 0, code)
                + "</div>"
            ),
        )
        body = [kpis]
        body.append(
            _guarded(
                src,
                ("features.customer_clv",),
                lambda code=code, currency=currency: _tiers(page, tiers, code, currency),
            )
        )
        body.append(
            _guarded(src, ("scores.customer_churn",), lambda code=code: _bands(page, bands, code, src))
        )
        body.append(
            _guarded(
                src,
                ("features.customer_rfm",),
                lambda code=code: _segments(page, segments, migration, code, src),
            )
        )
        body.append(
            _guarded(
                src,
                ("marketing.channel_ltv_cac",),
                lambda code=code, currency=currency: _profit(page, economics, code, currency),
            )
        )
        body.append(
            _guarded(
                src,
                (profit_panels.ATTRIBUTION_TABLE,),
                lambda code=code, currency=currency: profit_panels.attributed_margin_panel(
                    page, attributed, code, currency
                ),
            )
        )
        body.append(
            _guarded(
                src,
                (profit_panels.MATRIX_TABLE,),
                lambda code=code, currency=currency: profit_panels.margin_matrix_panel(
                    page, matrix, code, currency
                ),
            )
        )
        body.append(
            _guarded(
                src,
                (profit_panels.CATCHMENT_TABLE,),
                lambda code=code, currency=currency: profit_panels.catchment_panel(
                    page, catchment, code, currency
                ),
            )
        )
        body.append(
            _guarded(
                src,
                (forecast_panel.FORECAST_TABLE,),
                lambda code=code: forecast_panel.forecast_panel(page, forecast, forecast_backtest, code),
            )
        )
        page.body.append(section(f"{bu['business_unit_name']} ({code}, {currency})", "".join(body), code))
    return page, figures


def _tiers(page: Page, tiers: list[dict], code: str, currency: str) -> str:
    mine = [t for t in tiers if t["business_unit"] == code]
    chart = page.chart(
        {
            "data": [
                {
                    "type": "bar",
                    "x": [t["value_tier"] for t in mine],
                    "y": [t["customers"] for t in mine],
                    "name": "customers",
                }
            ],
            "layout": {"title": {"text": "Customers per value tier (predicted value over the CLV horizon)"}},
        }
    )
    rows = [[t["value_tier"], t["customers"], t["expected_value"]] for t in mine]
    return (
        "<h3>Value tiers</h3><div class='charts'>"
        + chart
        + table(
            ["value tier", "customers", f"expected value 12m ({currency})"],
            rows,
            {f"expected value 12m ({currency})": 0},
        )
        + "</div>"
    )


def _bands(page: Page, bands: list[dict], code: str, src: sources.Sources) -> str:
    mine = [b for b in bands if b["business_unit"] == code]
    current = [b for b in mine if b["snapshot"] == len(src.kept) - 1]
    order = sorted(
        {b["churn_band"] for b in mine},
        key=lambda n: next((b["mean_probability"] for b in current if b["churn_band"] == n), 1.0),
    )
    bars = page.chart(
        {
            "data": [
                {
                    "type": "bar",
                    "x": [b["churn_band"] for b in current],
                    "y": [b["customers"] for b in current],
                }
            ],
            "layout": {"title": {"text": "Customers per churn band"}},
        }
    )
    runs = sorted({(b["snapshot"], str(b["reference_date"]), b["run_id"][:8]) for b in mine})
    labels = [f"{ref} ({run})" for _, ref, run in runs]
    trend = page.chart(
        {
            "data": [
                {
                    "type": "scatter",
                    "mode": "lines+markers",
                    "name": band,
                    "x": labels,
                    "y": [
                        next(
                            (b["customers"] for b in mine if b["snapshot"] == s and b["churn_band"] == band),
                            0,
                        )
                        for s, _, _ in runs
                    ],
                }
                for band in order
            ],
            "layout": {"title": {"text": f"Churn bands over the {len(runs)} kept publication(s)"}},
        }
    )
    cells = "".join(
        kpi(f"churn_band:{b['churn_band']}", f"churn band {b['churn_band']}", b["customers"], code)
        for b in current
    )
    return f"<h3>Churn</h3><div class='kpis'>{cells}</div><div class='charts'>{bars}{trend}</div>"


def _segments(
    page: Page, segments: list[dict], migration: list[dict] | None, code: str, src: sources.Sources
) -> str:
    mine = [s for s in segments if s["business_unit"] == code]
    chart = page.chart(
        {
            "data": [
                {
                    "type": "bar",
                    "orientation": "h",
                    "y": [s["segment"] for s in mine],
                    "x": [s["customers"] for s in mine],
                }
            ],
            "layout": {"title": {"text": "RFM segment sizes"}, "margin": {"l": 130}},
        }
    )
    cells = "".join(kpi(f"rfm_segment:{s['segment']}", s["segment"], s["customers"], code) for s in mine)
    if migration is None:
        matrix = "<p class='note'>No previous publication kept: the migration matrix appears from the second publication on.</p>"
    else:
        m = aggregates.migration_matrix(
            [(r["previous"], r["current"], r["customers"]) for r in migration if r["business_unit"] == code],
            [s["segment"] for s in mine],
        )
        prev = src.previous
        matrix = (
            f"<p class='note'>Customers per segment in the previous publication (rows, as of {prev.reference_date}) and "
            f"in this one (columns); {number(100 * m.stayed_share, 1)} % kept their segment.</p>"
            + table(
                ["previous \\ current", *m.segments],
                [[s, *row] for s, row in zip(m.segments, m.counts, strict=True)],
            )
        )
    return f"<h3>RFM segments</h3><div class='kpis'>{cells}</div><div class='charts'>{chart}<div>{matrix}</div></div>"


def _profit(page: Page, economics: list[dict], code: str, currency: str) -> str:
    channels = aggregates.profit_matrix([r for r in economics if r["business_unit"] == code])
    paid = [c for c in channels if c.ratio is not None]
    chart = page.chart(
        {
            "data": [
                {
                    "type": "scatter",
                    "mode": "markers+text",
                    "x": [c.cac for c in paid],
                    "y": [c.ltv for c in paid],
                    "text": [c.channel for c in paid],
                    "textposition": "top center",
                    "marker": {"size": [8 + c.customers**0.5 for c in paid]},
                }
            ],
            "layout": {
                "title": {"text": "Marketing Profit Matrix: LTV vs CAC (paid channels)"},
                "shapes": _median_lines(paid),
                "xaxis": {"title": {"text": f"CAC, 12 months ({currency})"}},
                "yaxis": {"title": {"text": f"predicted LTV, 12 months ({currency})"}},
            },
        },
        height=420,
    )
    rows = [[c.channel, c.customers, c.cac, c.ltv, c.ratio, c.payback_months, c.quadrant] for c in channels]
    return (
        "<h3>Marketing Profit Matrix</h3><div class='charts'>"
        + chart
        + table(
            [
                "channel",
                "customers acquired 12m",
                "CAC",
                "LTV 12m",
                "LTV/CAC",
                "payback (months)",
                "quadrant",
            ],
            rows,
            {"CAC": 2, "LTV 12m": 0, "LTV/CAC": 1, "payback (months)": 1},
        )
        + "</div><p class='note'>LTV is the predicted revenue, over the business unit's CLV horizon (12 months in the "
        "demo), of customers acquired in the last 12 months (marketing.channel_ltv_cac); payback = CAC / (LTV / 12), "
        "LTV read as 12 months; quadrants split at the medians of the paid channels.</p>"
    )


def _median_lines(paid: list[aggregates.ChannelEconomics]) -> list[dict]:
    """The quadrant borders: the paid channels' median CAC (vertical) and median LTV (horizontal)."""
    if not paid:
        return []
    line = {"type": "line", "line": {"dash": "dot", "color": "#888"}}
    cac, ltv = aggregates.median([c.cac for c in paid]), aggregates.median([c.ltv for c in paid])
    return [
        {**line, "xref": "x", "yref": "paper", "x0": cac, "x1": cac, "y0": 0, "y1": 1},
        {**line, "xref": "paper", "yref": "y", "x0": 0, "x1": 1, "y0": ltv, "y1": ltv},
    ]


def model_performance(src: sources.Sources, bus: list[dict]) -> Page:
    page = Page(MODEL_PERFORMANCE, "Model performance", "technical owner, data science")
    metrics = sources.model_metrics(src) if src.has("ops.model_metrics") else []
    drift = sources.score_drift(src)
    codes = {b["business_unit"] for b in bus}
    for bu in bus:
        code = bu["business_unit"]
        body = [
            _guarded(src, ("ops.model_metrics",), lambda code=code: _backtests(page, metrics, code, codes))
        ]
        body.append(_drift(drift, code, src))
        page.body.append(section(f"{bu['business_unit_name']} ({code})", "".join(body), code))
    return page


def _backtests(page: Page, metrics: list[dict], code: str, codes: set[str]) -> str:
    mine = [m for m in metrics if m["business_unit"] == code or m["business_unit"] not in codes]
    runs = sorted({(m["computed_at"][:19], m["run_id"]) for m in mine})
    rows, charts = [], []
    local = {m["model"]: LOCAL_SCORE_HEADLINE for m in mine if m["model"].startswith("local_")}
    for model, names in {**HEADLINE_METRICS, **dict(sorted(local.items()))}.items():
        for name in names:
            series = [m for m in mine if m["model"] == model and m["metric"] == name]
            if not series:
                continue
            last = series[-1]
            scope = last["business_unit"] if last["business_unit"] in codes else "all business units"
            rows.append([model, name, scope, last["value"], len({s["run_id"] for s in series})])
        series = [m for m in mine if m["model"] == model and m["metric"] == names[0]]
        if len(runs) > 1 and series:
            charts.append(
                page.chart(
                    {
                        "data": [
                            {
                                "type": "scatter",
                                "mode": "lines+markers",
                                "x": [s["computed_at"][:19] for s in series],
                                "y": [s["value"] for s in series],
                            }
                        ],
                        "layout": {"title": {"text": f"{model}: {names[0]} over the kept runs"}},
                    },
                    height=300,
                    width=420,
                )
            )
    calibration = [m for m in mine if m["model"] == "churn" and m["metric"].startswith("backtest_band_")]
    last_run = calibration[-1]["run_id"] if calibration else None
    points = {}
    for m in calibration:
        if m["run_id"] != last_run:
            continue
        for band in CHURN_BANDS:
            prefix = f"backtest_band_{band}_"
            if m["metric"].startswith(prefix):
                points.setdefault(band, {})[m["metric"][len(prefix) :]] = m["value"]
    measured = [(b, p) for b, p in points.items() if "predicted_pct" in p and "observed_pct" in p]
    if measured:
        charts.insert(
            0,
            page.chart(
                {
                    "data": [
                        {
                            "type": "scatter",
                            "mode": "markers+text",
                            "name": "bands",
                            "text": [b for b, _ in measured],
                            "textposition": "bottom right",
                            "x": [p["predicted_pct"] for _, p in measured],
                            "y": [p["observed_pct"] for _, p in measured],
                            "error_y": {
                                "type": "data",
                                "symmetric": False,
                                "array": [
                                    p.get("observed_ci_high_pct", p["observed_pct"]) - p["observed_pct"]
                                    for _, p in measured
                                ],
                                "arrayminus": [
                                    p["observed_pct"] - p.get("observed_ci_low_pct", p["observed_pct"])
                                    for _, p in measured
                                ],
                            },
                        },
                        {
                            "type": "scatter",
                            "mode": "lines",
                            "name": "perfect",
                            "x": [0, 100],
                            "y": [0, 100],
                            "line": {"dash": "dot"},
                        },
                    ],
                    "layout": {
                        "title": {"text": "Churn calibration: predicted vs observed % per band (backtest)"},
                        "xaxis": {"title": {"text": "predicted %"}},
                        "yaxis": {"title": {"text": "observed %"}},
                    },
                },
                height=380,
                width=480,
            ),
        )
    note = f"<p class='note'>{len(runs)} run(s) in ops.model_metrics; the last value of each backtest figure.</p>"
    return (
        "<h3>Backtests</h3>"
        + note
        + table(["model", "figure", "scope", "last value", "runs"], rows, {"last value": 3})
        + "<div class='charts'>"
        + "".join(charts)
        + "</div>"
    )


def _drift(drift: list[dict], code: str, src: sources.Sources) -> str:
    if src.previous is None:
        return "<h3>Score drift</h3><p class='note'>No previous publication kept: drift (PSI) appears from the second publication on.</p>"
    rows = []
    for d in drift:
        if d["business_unit"] != code:
            continue
        value = aggregates.psi(d["previous"], d["current"])
        flag = "<span class='warn'>drift</span>" if value > aggregates.PSI_WARNING else "stable"
        rows.append(
            f"<tr><td>{esc(d['score'])}</td><td class='num' data-key='psi:{esc(d['score'])}' data-bu='{esc(code)}' "
            f"data-value='{value!r}'>{number(value, 3)}</td><td>{flag}</td></tr>"
        )
    return (
        f"<h3>Score drift against the previous publication (as of {src.previous.reference_date})</h3>"
        "<table><thead><tr><th>score</th><th>PSI</th><th>warning above 0.2</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def campaign_performance(src: sources.Sources, bus: list[dict]) -> Page:
    page = Page(CAMPAIGN_PERFORMANCE, "Campaign performance", "marketing")
    results = sources.campaign_results(src) if src.has("activation.campaign_results") else []
    summary = sources.audience_summary(src) if src.has("activation.audience_summary") else []
    pressure = (
        {p["business_unit"]: p for p in sources.contact_pressure(src)}
        if src.has("activation.contact_pressure")
        else {}
    )
    distribution = (
        sources.pressure_distribution(src) if src.has("activation.contact_pressure_distribution") else []
    )
    for bu in bus:
        code, currency = bu["business_unit"], bu["currency_code"]
        spread = _guarded(
            src,
            ("activation.contact_pressure_distribution",),
            lambda code=code: _pressure(page, [d for d in distribution if d["business_unit"] == code], code),
        )
        limit = _guarded(
            src,
            ("activation.contact_pressure",),
            lambda code=code: (
                f"<p>Contact pressure: at most <b data-key='max_contacts' data-bu='{esc(code)}' "
                f"data-value='{float(pressure[code]['max_contacts'])!r}'>{pressure[code]['max_contacts']}</b> contacts per "
                f"customer in {pressure[code]['period_days']} days (marketing's limit; audiences respect it).</p>"
                if code in pressure
                else "<p class='note'>No contact-pressure limit set for this business unit.</p>"
            ),
        )
        audiences = _guarded(
            src,
            ("activation.audience_summary",),
            lambda code=code: _audiences(page, summary, code),
        )
        content = (
            limit
            + spread
            + audiences
            + _guarded(
                src,
                ("activation.campaign_results",),
                lambda code=code, currency=currency: _campaigns(page, results, code, currency),
            )
        )
        page.body.append(section(f"{bu['business_unit_name']} ({code}, {currency})", content, code))
    return page


def _pressure(page: Page, mine: list[dict], code: str) -> str:
    """Customers by contacts received in the pressure window, the limit drawn as a line."""
    if not mine:
        return "<p class='note'>No contact-pressure limit set for this business unit: no distribution.</p>"
    limit, days = mine[0]["max_contacts"], mine[0]["period_days"]
    chart = page.chart(
        {
            "data": [
                {
                    "type": "bar",
                    "x": [d["contacts"] for d in mine],
                    "y": [d["customers"] for d in mine],
                    "marker": {"color": ["#b3261e" if d["over_limit"] else "#4a78b5" for d in mine]},
                }
            ],
            "layout": {
                "title": {"text": f"Customers by contacts in {days} days (limit {limit})"},
                "xaxis": {"title": {"text": "contacts received in the window"}, "dtick": 1},
                "yaxis": {"title": {"text": "customers"}},
                "shapes": [
                    {
                        "type": "line",
                        "xref": "x",
                        "yref": "paper",
                        "x0": limit + 0.5,
                        "x1": limit + 0.5,
                        "y0": 0,
                        "y1": 1,
                        "line": {"dash": "dot", "color": "#b3261e"},
                    }
                ],
            },
        },
        height=320,
    )
    rows = "".join(
        f"<tr><td class='num'>{d['contacts']}</td><td class='num' data-key='pressure_customers:{d['contacts']}' "
        f"data-bu='{esc(code)}' data-value='{float(d['customers'])!r}'>{number(d['customers'])}</td>"
        f"<td>{'over the limit' if d['over_limit'] else ''}</td></tr>"
        for d in mine
    )
    cells = kpi(
        "customers_at_limit",
        "customers at the limit",
        sum(d["customers"] for d in mine if d["contacts"] == limit),
        code,
    ) + kpi(
        "customers_over_limit",
        "customers over the limit",
        sum(d["customers"] for d in mine if d["over_limit"]),
        code,
    )
    return (
        f"<h3>Contact pressure in the last {days} days</h3><div class='kpis'>{cells}</div><div class='charts'>{chart}"
        "<table><thead><tr><th>contacts</th><th>customers</th><th></th></tr></thead>"
        f"<tbody>{rows}</tbody></table></div><p class='note'>Contacts in [reference date - {days} days, reference "
        "date]: the campaign tool's log and the platform's treatment members, today's audiences included "
        "(activation.contact_pressure_distribution). The campaign tool's own sends can exceed the limit; "
        "the platform's audiences never add to a customer at it.</p>"
    )


def _audiences(page: Page, summary: list[dict], code: str) -> str:
    mine = [s for s in summary if s["business_unit"] == code]
    if not mine:
        return "<p class='note'>No audience selected today for this business unit.</p>"
    groups = [s for s in mine if s["status"] != "excluded"]
    excluded = [s for s in mine if s["status"] == "excluded"]
    reasons: dict[str, int] = {}
    for s in excluded:
        reasons[s["reason"]] = reasons.get(s["reason"], 0) + s["customers"]
    chart = page.chart(
        {
            "data": [{"type": "bar", "x": list(reasons), "y": list(reasons.values())}],
            "layout": {"title": {"text": "Customers excluded today, by reason"}},
        },
        height=320,
    )
    cells = kpi(
        "audience_customers", "in today's audiences", sum(s["customers"] for s in groups), code
    ) + kpi("excluded_customers", "excluded today", sum(reasons.values()), code)
    return (
        f"<h3>Today's audiences</h3><div class='kpis'>{cells}</div><div class='charts'>{chart if reasons else ''}"
        + table(
            ["campaign", "channel", "group", "customers"],
            [[s["campaign_code"], s["channel"], s["status"], s["customers"]] for s in groups],
        )
        + table(
            ["campaign", "excluded because", "customers"],
            [[s["campaign_code"], s["reason"], s["customers"]] for s in excluded],
        )
        + "</div>"
    )


def _channel(result: dict) -> str:
    return result["channel"] + (" (follow-up)" if result.get("cascade_step") == 2 else "")


def _campaigns(page: Page, results: list[dict], code: str, currency: str) -> str:
    mine = [r for r in results if r["business_unit"] == code]
    if not mine:
        return "<p class='note'>No measured campaign for this business unit.</p>"
    labels = [f"{r['campaign_code']} {_channel(r)} {r['sent_on']}" for r in mine]
    value = lambda r, k: r[k] if r[k] is not None else 0.0  # noqa: E731
    chart = page.chart(
        {
            "data": [
                {
                    "type": "bar",
                    "x": labels,
                    "y": [r["incremental_revenue"] for r in mine],
                    "error_y": {
                        "type": "data",
                        "symmetric": False,
                        "array": [
                            value(r, "incremental_revenue_ci_high") - value(r, "incremental_revenue")
                            for r in mine
                        ],
                        "arrayminus": [
                            value(r, "incremental_revenue") - value(r, "incremental_revenue_ci_low")
                            for r in mine
                        ],
                    },
                }
            ],
            "layout": {
                "title": {"text": f"Incremental revenue with its 95 % interval ({currency})"},
                "width": 760,
            },
        },
        height=420,
    )
    # a cascade's e-mail row measures the whole cascade: its follow-up's effect is in it already
    total = sum(r["incremental_revenue"] or 0.0 for r in mine if r.get("cascade_step", 1) != 2)
    rows = [
        [
            r["campaign_code"],
            _channel(r),
            str(r["sent_on"]),
            r["treated"],
            r["control"],
            r["incremental_revenue"],
            f"{number(r['incremental_revenue_ci_low'])} - {number(r['incremental_revenue_ci_high'])}",
            _cuped(r),
            r["relative_uplift"],
            r["conversion_rate_treatment"],
            r["conversion_rate_control"],
            r["cost"],
            r["roi"],
        ]
        for r in mine
    ]
    return (
        "<div class='kpis'>"
        + kpi("campaigns", "campaign sends measured", len(mine), code)
        + kpi(
            "incremental_revenue",
            "incremental revenue, all sends (follow-ups in their e-mail's)",
            total,
            code,
            0,
            currency,
        )
        + "</div><div class='charts'>"
        + chart
        + "</div>"
        + table(
            [
                "campaign",
                "channel",
                "sent on",
                "treated",
                "control",
                "incremental revenue",
                "95 % interval",
                "CUPED estimate and 95 % interval",
                "uplift",
                "conversion (treated)",
                "conversion (control)",
                "cost",
                "ROI",
            ],
            rows,
            {
                "incremental revenue": 0,
                "uplift": 3,
                "conversion (treated)": 3,
                "conversion (control)": 3,
                "cost": 0,
                "ROI": 2,
            },
        )
    )


def _cuped(r: dict) -> str:
    """The regression-adjusted estimate and interval (activation.campaign_results' cuped_ columns), when
    the publication has them."""
    if r.get("cuped_incremental_revenue") is None:
        return "-"
    return (
        f"{number(r['cuped_incremental_revenue'])} ({number(r['cuped_incremental_revenue_ci_low'])} - "
        f"{number(r['cuped_incremental_revenue_ci_high'])})"
    )


def data_health(src: sources.Sources, bus: list[dict], dagster_url: str) -> Page:
    page = Page(DATA_HEALTH, "Data health", "data engineers, business owners")
    page.body.append(section("Checks of the publishing run (group-wide)", _checks(page, src)))
    page.body.append(
        section(
            "Sources: freshness, rows, quarantine (group-wide: a source's files hold every business unit)",
            _guarded(src, ("ops.landing_files",), lambda: _landing(page, src)),
        )
    )
    quarantine = sources.quarantine_by_rule(src) if src.has("ops.quarantine_by_rule") else []
    page.body.append(
        section(
            "Quarantined rows by rule, last load (group-wide)",
            _guarded(src, ("ops.quarantine_by_rule",), lambda: _quarantine(page, quarantine, None)),
        )
    )
    freshness = (
        {r["business_unit"]: r for r in sources.sales_freshness(src)} if src.has("sales.fct_orders") else {}
    )
    for bu in bus:
        code = bu["business_unit"]
        body = _guarded(src, ("sales.fct_orders",), lambda code=code: _freshness(freshness.get(code), code))
        body += _guarded(
            src, ("ops.quarantine_by_rule",), lambda code=code: _quarantine(page, quarantine, code)
        )
        page.body.append(section(f"{bu['business_unit_name']} ({code}): its own data", body, code))
    page.body.append(
        section(
            "Identity match quality (group-wide: one referential for every business unit)",
            _guarded(src, ("ops.identity_match_quality",), lambda: _identity(src)),
        )
    )
    page.body.append(
        section(
            "Published tables (group-wide)",
            _guarded(src, ("ops.published_tables",), lambda: _published(src, dagster_url)),
        )
    )
    owners = [
        [o.domain, o.description, o.business_owner, o.technical_owner, o.sponsor] for o in DOMAINS.values()
    ]
    page.body.append(
        section(
            "Owners per domain",
            table(["domain", "holds", "business owner", "technical owner", "sponsor"], owners),
        )
    )
    return page


OUTCOMES = ("passed", "warned", "failed")


def _checks(page: Page, src: sources.Sources) -> str:
    """Passed / warned / failed per kind from ops.check_results; the manifest's counts without it."""
    note = (
        "<p class='note'>Checks have no business unit: they run on whole tables. A failed blocking check "
        "stops the publication, so a published run shows none; warned = failed with WARN severity, "
        "published anyway.</p>"
    )
    if not src.has("ops.check_results"):
        checks = src.manifest.get("checks", {})
        failed = checks.get("failed_non_blocking", [])
        return (
            missing_panel(
                src.missing("ops.check_results").message + " Counts from the publication's manifest."
            )
            + '<div class="kpis">'
            + kpi("checks_passed", "checks passed", checks.get("passed"))
            + kpi("checks_warned", "checks warned (published anyway)", len(failed))
            + "</div>"
            + ("<ul>" + "".join(f"<li>{esc(f)}</li>" for f in failed) + "</ul>" if failed else "")
            + note
        )
    counts = sources.check_results(src)
    total = {o: sum(c["checks"] for c in counts if c["outcome"] == o) for o in OUTCOMES}
    kinds = sorted({c["check_kind"] for c in counts})
    per_kind = {
        (k, o): sum(c["checks"] for c in counts if c["check_kind"] == k and c["outcome"] == o)
        for k in kinds
        for o in OUTCOMES
    }
    chart = page.chart(
        {
            "data": [
                {
                    "type": "bar",
                    "name": o,
                    "x": kinds,
                    "y": [per_kind[(k, o)] for k in kinds],
                    "marker": {"color": {"passed": "#3a8f5c", "warned": "#e8a33d", "failed": "#b3261e"}[o]},
                }
                for o in OUTCOMES
            ],
            "layout": {"title": {"text": "Checks per kind and outcome"}, "barmode": "stack"},
        },
        height=320,
    )
    blocking = {k: sum(c["checks"] for c in counts if c["check_kind"] == k and c["blocking"]) for k in kinds}
    body = "".join(
        f"<tr><td>{esc(k)}</td>"
        + "".join(
            f"<td class='num' data-key='checks:{esc(k)}:{o}' data-value='{float(per_kind[(k, o)])!r}'>"
            f"{number(per_kind[(k, o)])}</td>"
            for o in OUTCOMES
        )
        + f"<td class='num'>{number(blocking[k])}</td></tr>"
        for k in kinds
    )
    head = "".join(f"<th>{h}</th>" for h in ("kind", *OUTCOMES, "of them blocking"))
    not_passed = sources.checks_not_passed(src)
    return (
        '<div class="kpis">'
        + kpi("checks_passed", "checks passed", total["passed"])
        + kpi("checks_warned", "checks warned (published anyway)", total["warned"])
        + kpi("checks_failed", "checks failed", total["failed"])
        + "</div><div class='charts'>"
        + chart
        + f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        + "</div>"
        + (
            table(
                ["asset", "check", "kind", "outcome"],
                [[c["asset_key"], c["check_name"], c["check_kind"], c["outcome"]] for c in not_passed],
            )
            if not_passed
            else ""
        )
        + note
    )


def _quarantine(page: Page, quarantine: list[dict], code: str | None) -> str:
    """Rows the last load quarantined per source and rule: every business unit (``code`` None), or the
    rows that carry business unit ``code`` (sources with a business-unit column)."""
    mine = [q for q in quarantine if code is None or q["business_unit"] == code]
    by = {}
    for q in mine:
        by[(q["raw_table"], q["quarantine_rule"])] = (
            by.get((q["raw_table"], q["quarantine_rule"]), 0) + q["rows"]
        )
    total = sum(by.values())
    scope = "" if code is None else "in rows of this business unit"
    cells = kpi("quarantined_rows", f"rows quarantined by the last load {scope}".strip(), total, code)
    if code is None:
        cells += kpi(
            "quarantined_rows_without_unit",
            "of them in sources with no business unit",
            sum(q["rows"] for q in quarantine if q["business_unit"] is None),
        )
    if not by:
        return f"<div class='kpis'>{cells}</div><p class='note'>The last load quarantined no row{' of this unit' if code else ''}.</p>"
    prefix = "quarantined" if code is None else "quarantined_bu"
    rows = "".join(
        f"<tr><td>{esc(t)}</td><td>{esc(r)}</td><td class='num' data-key='{prefix}:{esc(t)}:{esc(r)}'"
        f"{'' if code is None else f' data-bu={chr(39)}{esc(code)}{chr(39)}'} data-value='{float(n)!r}'>{number(n)}</td></tr>"
        for (t, r), n in sorted(by.items())
    )
    rules = sorted({r for _, r in by})
    tables = sorted({t for t, _ in by})
    chart = page.chart(
        {
            "data": [
                {"type": "bar", "name": rule, "x": tables, "y": [by.get((t, rule), 0) for t in tables]}
                for rule in rules
            ],
            "layout": {"title": {"text": "Quarantined rows per source and rule"}, "barmode": "stack"},
        },
        height=320,
    )
    note = (
        "<p class='note'>Rows of sources with no business-unit column (receipts, their lines, ...) are counted "
        "in the group-wide section only.</p>"
        if code
        else ""
    )
    return (
        f"<div class='kpis'>{cells}</div><div class='charts'>{chart}"
        f"<table><thead><tr><th>source (raw table)</th><th>rule</th><th>rows</th></tr></thead><tbody>{rows}</tbody></table>"
        f"</div>{note}"
    )


def _freshness(fresh: dict | None, code: str) -> str:
    if not fresh:
        return "<p class='note'>No order of this business unit in sales.fct_orders.</p>"
    return (
        "<h3>Sales data arriving</h3><div class='kpis'>"
        + kpi(
            "days_since_last_order",
            f"days since the last order ({fresh['last_order_date']})",
            fresh["days_since_last_order"],
            code,
        )
        + kpi("orders_7d", "orders in the 7 days before the reference date", fresh["orders_7d"], code)
        + "</div>"
    )


def _landing(page: Page, src: sources.Sources) -> str:
    landing = sources.landing_sources(src)
    chart = page.chart(
        {
            "data": [
                {
                    "type": "bar",
                    "name": "rows",
                    "x": [r["raw_table"] for r in landing],
                    "y": [r["rows_last_load"] or 0 for r in landing],
                },
                {
                    "type": "bar",
                    "name": "quarantined",
                    "x": [r["raw_table"] for r in landing],
                    "y": [r["quarantined_last_load"] or 0 for r in landing],
                },
            ],
            "layout": {
                "title": {"text": "Rows of the last load per source"},
                "yaxis": {"type": "log"},
                "width": 900,
                "margin": {"b": 140},
            },
        },
        height=420,
    )
    rows = [
        [
            r["raw_table"],
            r["last_loaded_at"][:19],
            r["rows_last_load"] or 0,
            r["quarantined_last_load"] or 0,
            r["files"],
        ]
        for r in landing
    ]
    return chart + table(
        [
            "source (raw table)",
            "last loaded (UTC)",
            "rows, last load",
            "quarantined, last load",
            "files loaded",
        ],
        rows,
    )


def _identity(src: sources.Sources) -> str:
    quality = sources.identity_quality(src)
    if not quality:
        return "<p class='note'>Not measured (no ground truth for this retailer).</p>"
    rows = [
        [
            q["measured_at"][:19],
            q["records"],
            q["clusters"],
            q["precision"],
            q["recall"],
            q["f1"],
            q["false_merges"],
        ]
        for q in quality
    ]
    return table(
        ["measured at", "records", "customers", "precision", "recall", "F1", "false merges"],
        rows,
        {"precision": 4, "recall": 4, "F1": 4},
    )


def _published(src: sources.Sources, dagster_url: str) -> str:
    rows = [
        [
            f'<a href="{esc(dagster_url)}/assets/{esc(t["schema_name"])}/{esc(t["table_name"])}">{esc(t["schema_name"])}.{esc(t["table_name"])}</a>',
            t["row_count"],
        ]
        for t in sources.published_tables(src)
    ]
    return "<p class='note'>Each table links to its asset in the Dagster UI.</p>" + table(
        ["table", "rows"], rows
    )
