"""HTML of the cockpits: plain tables, key figures, plotly charts (figures as JSON, drawn by the one
``plotly.min.js`` of the site), a business-unit selector and the panel of a missing table."""

from __future__ import annotations

import html
import json
import math
from dataclasses import dataclass, field

PLOTLY_JS = "plotly.min.js"


def esc(value: object) -> str:
    return html.escape("" if value is None else str(value))


def number(value: float | int | None, digits: int = 0) -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}".replace(",", "\u202f")


@dataclass
class Page:
    """One page: sections of HTML and the charts they hold (id -> plotly figure)."""

    slug: str  # file name without .html
    title: str
    audience: str
    body: list[str] = field(default_factory=list)
    charts: dict[str, dict] = field(default_factory=dict)

    def chart(self, figure: dict, height: int = 340, width: int = 500) -> str:
        chart_id = f"chart-{len(self.charts) + 1}"
        layout = {"height": height, "width": width, "margin": {"l": 60, "r": 20, "t": 40, "b": 60}}
        self.charts[chart_id] = {"data": figure["data"], "layout": {**layout, **figure.get("layout", {})}}
        return f'<div class="chart" id="{chart_id}" data-chart="{chart_id}"></div>'


def kpi(
    key: str,
    label: str,
    value: float | int | None,
    business_unit: str | None = None,
    digits: int = 0,
    unit: str = "",
) -> str:
    bu = f' data-bu="{esc(business_unit)}"' if business_unit else ""
    raw = "" if value is None else repr(float(value))
    return (
        f'<div class="kpi"><div class="label">{esc(label)}</div>'
        f'<div class="value" data-key="{esc(key)}"{bu} data-value="{raw}">{number(value, digits)}{esc(unit and " " + unit)}</div></div>'
    )


def table(columns: list[str], body: list[list], numeric_digits: dict[str, int] | None = None) -> str:
    digits = numeric_digits or {}
    head = "".join(f"<th>{esc(c)}</th>" for c in columns)
    lines = []
    for row in body:
        cells = []
        for column, value in zip(columns, row, strict=True):
            if isinstance(value, float | int) and not isinstance(value, bool):
                cells.append(
                    f'<td class="num">{number(value, digits.get(column, 2 if isinstance(value, float) else 0))}</td>'
                )
            elif isinstance(value, str) and value.startswith("<a "):
                cells.append(f"<td>{value}</td>")  # a link built by the page
            else:
                cells.append(f"<td>{esc(value)}</td>")
        lines.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(lines)}</tbody></table>"


def finite(value: object) -> object:
    """The figure with NaN and infinities as null (JSON has no NaN; plotly leaves a gap)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    return value


def missing_panel(message: str) -> str:
    return f'<div class="missing" data-missing="1"><strong>Not available.</strong> {esc(message)}</div>'


def section(title: str, content: str, business_unit: str | None = None) -> str:
    bu = f' data-bu-section="{esc(business_unit)}"' if business_unit else ""
    return f"<section{bu}><h2>{esc(title)}</h2>{content}</section>"


STYLE = """
body{font-family:system-ui,sans-serif;margin:0;color:#1d2733;background:#f5f7fa}
header{background:#1d2733;color:#fff;padding:12px 24px}
header a{color:#cfe3ff;margin-right:16px}header a.here{color:#fff;font-weight:bold}
.facts{font-size:13px;color:#cfd8e3;margin-top:6px}.facts span{margin-right:18px}
main{padding:12px 24px}section{background:#fff;border-radius:6px;padding:8px 16px;margin:12px 0}
h2{font-size:17px}.kpis{display:flex;flex-wrap:wrap;gap:12px}
.kpi{border:1px solid #dde3ea;border-radius:6px;padding:8px 14px;min-width:150px}
.kpi .label{font-size:12px;color:#5b6775}.kpi .value{font-size:22px;font-weight:600}
table{border-collapse:collapse;font-size:13px;margin:6px 0}th,td{border-bottom:1px solid #e3e7ec;padding:3px 8px;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}.charts{display:flex;flex-wrap:wrap;gap:8px;align-items:flex-start}
.missing{background:#fff4e5;border-left:4px solid #e8a33d;padding:8px 12px;margin:6px 0}
.warn{color:#b3261e;font-weight:600}.note{font-size:12px;color:#5b6775}
"""

# errors of the page's scripts are counted into <body data-console-errors>: the browser test reads it
ERROR_PROBE = """<script>(function(){var n=0;function count(){n+=1;document.documentElement.setAttribute('data-console-errors',n);}
document.documentElement.setAttribute('data-console-errors',0);
window.addEventListener('error',count);window.addEventListener('unhandledrejection',count);
var e=console.error;console.error=function(){count();e.apply(console,arguments);};})();</script>"""

SELECTOR = """<script>(function(){
var select=document.getElementById('bu-select');
function show(bu){document.querySelectorAll('[data-bu-section]').forEach(function(s){s.style.display=s.getAttribute('data-bu-section')===bu?'':'none';});
document.querySelectorAll('nav a').forEach(function(a){a.href=a.getAttribute('href').split('#')[0]+'#bu='+bu;});}
var m=location.hash.match(/bu=([A-Za-z_-]+)/);if(m&&select.querySelector('option[value="'+m[1]+'"]'))select.value=m[1];
select.addEventListener('change',function(){location.hash='bu='+select.value;show(select.value);});
show(select.value);})();</script>"""


def render(
    page: Page, pages: list[Page], business_units: list[dict], facts: dict[str, str], owners: str
) -> str:
    nav = "".join(
        f'<a href="{p.slug}.html"{" class=here" if p.slug == page.slug else ""}>{esc(p.title)}</a>'
        for p in pages
    )
    options = "".join(
        f'<option value="{esc(b["business_unit"])}">{esc(b["business_unit"])} - {esc(b.get("business_unit_name") or "")}</option>'
        for b in business_units
    )
    fact_html = "".join(
        f'<span data-fact="{esc(k)}">{esc(k)}: <b>{esc(v)}</b></span>' for k, v in facts.items()
    )
    figures = json.dumps(finite(page.charts), separators=(",", ":"), default=str, allow_nan=False)
    draw = (
        f'<script src="{PLOTLY_JS}"></script><script>var FIGURES={figures};'
        "Object.keys(FIGURES).forEach(function(id){Plotly.newPlot(id,FIGURES[id].data,FIGURES[id].layout,"
        "{displayModeBar:false,responsive:false});});</script>"
        if page.charts
        else ""
    )
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{esc(page.title)} - customer platform</title>
{ERROR_PROBE}<style>{STYLE}</style></head><body>
<header><nav>{nav}</nav><div class="facts">{fact_html}
<span>business unit: <select id="bu-select">{options}</select></span></div>
<div class="facts"><span>for: {esc(page.audience)}</span><span data-fact="owners">owners: <b>{esc(owners)}</b></span></div></header>
<main>{"".join(page.body)}</main>{draw}{SELECTOR}</body></html>
"""
