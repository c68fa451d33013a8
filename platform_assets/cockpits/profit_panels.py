"""The Command Center's profit panels: attributed margin by channel (``marketing.attribution_by_channel``)
and the product margin matrix (``sales.product_margin_matrix``). Aggregates only: per business unit,
channel, department and quadrant; no customer, no product list."""

from __future__ import annotations

from platform_assets.cockpits.html import Page, table
from platform_assets.cockpits.sources import Sources, rows

ATTRIBUTION_TABLE = "marketing.attribution_by_channel"
MATRIX_TABLE = "sales.product_margin_matrix"
QUADRANTS = ("star", "traffic_builder", "niche", "to_review")


def attributed_margin(src: Sources) -> list[dict]:
    """Per business unit and channel, the 12 complete months before the reference date: each model's
    attributed gross margin, the position-based orders and revenue, the spend, ROAS and margin on spend."""
    return rows(
        src.conn,
        f"""
        select
            business_unit,
            channel,
            sum(attributed_orders) filter (where model = 'position_based') as orders,
            sum(attributed_revenue) filter (where model = 'position_based') as revenue,
            sum(attributed_gross_margin) filter (where model = 'position_based') as margin_position_based,
            sum(attributed_gross_margin) filter (where model = 'last_touch') as margin_last_touch,
            sum(attributed_gross_margin) filter (where model = 'linear') as margin_linear,
            sum(marketing_spend) filter (where model = 'position_based') as spend
        from cur.{ATTRIBUTION_TABLE}
        where month >= date_trunc('month', reference_date) - interval 12 month
            and month < date_trunc('month', reference_date)
        group by all
        order by business_unit, margin_position_based desc
        """,
    )


def margin_matrix(src: Sources) -> list[dict]:
    """Per business unit, department and quadrant: products, net revenue, gross margin, and the products
    whose action is high_returns."""
    return rows(
        src.conn,
        f"""
        select business_unit, coalesce(department_name, '(no department)') as department, quadrant,
               count(*) as products, sum(net_revenue) as net_revenue, sum(gross_margin) as gross_margin,
               count(*) filter (where action_key = 'high_returns') as high_returns,
               any_value(window_weeks) as window_weeks
        from cur.{MATRIX_TABLE}
        group by all
        order by all
        """,
    )


def _ratio(numerator, denominator):
    return None if not denominator else (numerator or 0.0) / denominator


def attributed_margin_panel(page: Page, figures: list[dict], code: str, currency: str) -> str:
    mine = [r for r in figures if r["business_unit"] == code]
    touched = [r for r in mine if r["channel"] != "no_touch"]
    chart = page.chart(
        {
            "data": [
                {
                    "type": "bar",
                    "name": model.replace("_", " "),
                    "x": [r["channel"] for r in touched],
                    "y": [r[f"margin_{model}"] for r in touched],
                }
                for model in ("position_based", "last_touch", "linear")
            ],
            "layout": {
                "title": {"text": "Attributed gross margin by channel, last 12 months"},
                "barmode": "group",
                "yaxis": {"title": {"text": f"gross margin ({currency})"}},
            },
        },
        height=380,
    )
    body = [
        [
            r["channel"],
            r["orders"],
            r["revenue"],
            r["margin_position_based"],
            r["margin_last_touch"],
            r["margin_linear"],
            r["spend"],
            _ratio(r["revenue"], r["spend"]),
            _ratio(r["margin_position_based"], r["spend"]),
        ]
        for r in mine
    ]
    digits = {
        "orders": 0,
        f"revenue ({currency})": 0,
        "margin, position-based": 0,
        "margin, last touch": 0,
        "margin, linear": 0,
        f"spend ({currency})": 0,
        "ROAS": 2,
        "margin on ad spend": 2,
    }
    return (
        "<h3>Attributed margin by channel</h3><div class='charts'>"
        + chart
        + table(["channel", *digits], body, digits)
        + "</div><p class='note'>Orders of the 12 complete months before the reference date credited to the "
        "marketing touches of their customer's look-back window (e-mail clicks, web sessions with a UTM, paid "
        "acquisitions; marketing.attribution_by_channel): position-based (the retailer's first / middle / last "
        "shares), last touch and linear. Orders and revenue are position-based; ROAS and margin on ad spend "
        "divide them by the channel's marketing spend (none for e-mail and unpaid channels). no_touch: orders "
        "without a touch, anonymous till receipts included.</p>"
    )


def margin_matrix_panel(page: Page, figures: list[dict], code: str, currency: str) -> str:
    mine = [r for r in figures if r["business_unit"] == code]
    departments = sorted({r["department"] for r in mine})
    cell = {(r["department"], r["quadrant"]): r for r in mine}
    chart = page.chart(
        {
            "data": [
                {
                    "type": "bar",
                    "name": quadrant.replace("_", " "),
                    "x": departments,
                    "y": [(cell.get((d, quadrant)) or {}).get("gross_margin") or 0 for d in departments],
                }
                for quadrant in QUADRANTS
            ],
            "layout": {
                "title": {"text": "Gross margin by department and quadrant"},
                "barmode": "stack",
                "yaxis": {"title": {"text": f"gross margin ({currency})"}},
            },
        },
        height=380,
    )
    totals = []
    for quadrant in QUADRANTS:
        part = [r for r in mine if r["quadrant"] == quadrant]
        totals.append(
            [
                quadrant.replace("_", " "),
                sum(r["products"] for r in part),
                sum(r["net_revenue"] or 0 for r in part),
                sum(r["gross_margin"] or 0 for r in part),
                sum(r["high_returns"] for r in part),
            ]
        )
    weeks = mine[0]["window_weeks"] if mine else None
    return (
        "<h3>Product margin matrix</h3><div class='charts'>"
        + chart
        + table(
            [
                "quadrant",
                "products",
                f"net revenue ({currency})",
                f"gross margin ({currency})",
                "high returns",
            ],
            totals,
            {f"net revenue ({currency})": 0, f"gross margin ({currency})": 0},
        )
        + f"</div><p class='note'>Products priced or sold in the unit, over the orders of the last {weeks} weeks "
        "(sales.product_margin_matrix): star = high margin and fast, traffic builder = low margin and fast, niche "
        "= high margin and slow, to review = low margin and slow; margin net of returns and discounts, thresholds "
        "and actions in the retailer configuration. High returns: products over the return-rate limit, whose "
        "action is to investigate returns first.</p>"
    )


CATCHMENT_TABLE = "sales.store_catchment"
OUTSIDE = "share outside the primary zone (located buyers)"
NOT_LOCATED = "share of anonymous or unknown buyers"


def store_catchment(src: Sources) -> list[dict]:
    """Per store and distance band: nearest customers, buyers, net revenue and its shares."""
    return rows(
        src.conn,
        f"""
        select business_unit, store_id, store_name, distance_band, band_order, is_outside_primary_zone,
               nearest_customers, buying_customers, net_revenue, revenue_share, located_revenue_share
        from cur.{CATCHMENT_TABLE}
        order by business_unit, store_id, band_order
        """,
    )


def catchment_panel(page: Page, figures: list[dict], code: str, currency: str) -> str:
    mine = [r for r in figures if r["business_unit"] == code]
    bands = [b for _, b in sorted({(r["band_order"], r["distance_band"]) for r in mine})]
    stores = sorted({(r["store_id"], r["store_name"]) for r in mine})
    cell = {(r["store_id"], r["distance_band"]): r for r in mine}
    chart = page.chart(
        {
            "data": [
                {
                    "type": "bar",
                    "name": band,
                    "x": [f"{name} ({sid})" for sid, name in stores],  # names may repeat
                    "y": [(cell.get((sid, band)) or {}).get("nearest_customers") or 0 for sid, _ in stores],
                }
                for band in bands
                if band != "anonymous"
            ],
            "layout": {
                "title": {"text": "Customers by nearest store and distance band"},
                "barmode": "stack",
                "yaxis": {"title": {"text": "customers"}},
            },
        },
        height=380,
    )
    body = []
    for sid, name in stores:
        part = [cell[(sid, b)] for b in bands if (sid, b) in cell]
        primary = next((r for r in part if r["band_order"] == 0), {})
        body.append(
            [
                f"{name} ({sid})",
                sum(r["nearest_customers"] for r in part),
                primary.get("nearest_customers", 0),
                sum(r["net_revenue"] or 0 for r in part),
                sum(r["located_revenue_share"] or 0 for r in part if r["is_outside_primary_zone"]),
                sum(r["revenue_share"] or 0 for r in part if r["is_outside_primary_zone"] is None),
            ]
        )
    revenue = f"net revenue ({currency})"
    return (
        "<h3>Catchment areas</h3><div class='charts'>"
        + chart
        + table(
            ["store", "nearest customers", "in the primary zone", revenue, OUTSIDE, NOT_LOCATED],
            body,
            {revenue: 0, OUTSIDE: 3, NOT_LOCATED: 3},
        )
        + "</div><p class='note'>Customers and stores placed at their postcode's centroid (the retailer's reference "
        "file); each customer counts for their nearest store, by distance band (unknown: no postcode the reference "
        "knows). A store's revenue over the configured window by its buyers' distance to it: the share from beyond "
        "the first band among the located buyers' revenue, and the share of anonymous receipts and buyers not located "
        "in the whole (sales.store_catchment).</p>"
    )
