"""A page rendered by headless Chromium (Debian's ``chromium``): its DOM after the scripts ran, what the
page counted as script errors, the charts plotly drew and the key figures the page shows."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

CHROMIUM = "chromium"


@dataclass
class Rendered:
    dom: str
    console: list[str]  # console lines Chromium logged
    errors: int  # script errors the page counted (html.ERROR_PROBE)
    charts: dict[str, bool]  # chart id -> drawn (plotly's SVG inside)
    figures: dict[tuple[str, str | None], float]  # (key, business unit) -> value shown
    missing: int  # panels saying a table is missing


def render(page: Path) -> Rendered:
    binary = shutil.which(CHROMIUM)
    assert binary, "chromium is not installed: apt-get install -y chromium (.ci/run does it)"
    done = subprocess.run(
        [
            binary, "--headless=new", "--no-sandbox", "--disable-gpu", "--dump-dom",
            "--virtual-time-budget=10000", "--enable-logging=stderr", "--v=0", page.resolve().as_uri(),
        ],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    console = [line for line in done.stderr.splitlines() if ":CONSOLE" in line]
    parser = _Parser()
    parser.feed(done.stdout)
    errors = re.search(r'data-console-errors="(\d+)"', done.stdout)
    assert errors, f"{page.name}: the page's error probe did not run"
    return Rendered(
        done.stdout, console, int(errors.group(1)), drawn_charts(done.stdout), parser.figures, parser.missing
    )


class _Parser(HTMLParser):
    """Key figures (``data-key``/``data-bu``/``data-value``) and missing-table panels."""

    def __init__(self):
        super().__init__()
        self.figures: dict[tuple[str, str | None], float] = {}
        self.missing = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "data-key" in a and a.get("data-value"):
            self.figures[(a["data-key"], a.get("data-bu"))] = float(a["data-value"])
        if "data-missing" in a:
            self.missing += 1


def drawn_charts(dom: str) -> dict[str, bool]:
    """Chart id -> whether plotly drew it: its SVG sits between its tag and the next chart's."""
    parts = re.split(r'data-chart="([^"]+)"', dom)
    return {parts[i]: 'class="main-svg"' in parts[i + 1] for i in range(1, len(parts), 2)}
