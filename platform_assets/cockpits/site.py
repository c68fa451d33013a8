"""The site: four pages and one plotly.min.js, built aside and swapped in as ``<published>/cockpits``."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from platform_assets.cockpits import pages, sources
from platform_assets.cockpits.html import PLOTLY_JS, Page, number, render
from platform_assets.governance.ownership import COCKPITS
from platform_assets.publish.snapshots import CURRENT

SITE_DIR = "cockpits"
THUMBNAIL = "thumbnail.png"
CHROMIUM = "chromium"  # Debian's package (.ci/run installs it)
MAX_PAGE_BYTES = 5_000_000
# every table a page reads (a missing one gets a panel, and is named in the asset's metadata)
NEEDED = (
    "referential.business_units",
    "sales.fct_orders",
    "features.customer_clv",
    "scores.customer_churn",
    "features.customer_rfm",
    "marketing.channel_ltv_cac",
    "marketing.attribution_by_channel",
    "sales.product_margin_matrix",
    "sales.store_catchment",
    "forecasts.demand_weekly",
    "ops.model_metrics",
    "activation.campaign_results",
    "activation.contact_pressure_distribution",
    "ops.landing_files",
    "ops.quarantine_by_rule",
    "ops.check_results",
    "ops.identity_match_quality",
    "ops.published_tables",
)


@dataclass(frozen=True)
class Site:
    directory: Path
    pages: dict[str, Path]  # title -> file
    run_id: str
    reference_date: str
    figures: dict[str, dict]  # business unit -> key figures of the Command Center
    missing: list[str]  # tables a panel said were missing
    previous_kept: bool

    def summary_markdown(self) -> str:
        lines = [
            f"Run `{self.run_id[:8]}` as of {self.reference_date}.",
            "",
            "| business unit | active customers | revenue 12m |",
            "|---|---:|---:|",
        ]
        lines += [
            f"| {bu} | {number(f['active_customers'])} | {number(f['revenue_12m'])} |"
            for bu, f in self.figures.items()
        ]
        if self.missing:
            lines += ["", f"Missing upstream tables: {', '.join(self.missing)}."]
        return "\n".join(lines)


def link_current(link: Path, site: Path, published_dir: Path) -> None:
    """``link`` (``<published>/cockpits``) becomes a relative link to ``current/cockpits``, the site of
    the current publication, swapped in one rename (a directory there from before is replaced)."""
    if site.resolve() == link.resolve() and not link.is_symlink():
        return  # no snapshots: the site was written there
    pointer = link.with_name(f".{link.name}.link.tmp")
    pointer.unlink(missing_ok=True)
    os.symlink(os.path.relpath(published_dir / CURRENT / site.name, link.parent), pointer)
    if link.is_dir() and not link.is_symlink():
        shutil.rmtree(link)
    os.replace(pointer, link)


def thumbnail(page: Path) -> tuple[Path | None, str]:
    """A small PNG of ``page`` (the Command Center's first screen, 640 x 450) beside it, taken by headless
    Chromium: (its path, "") or (None, why there is none)."""
    binary = shutil.which(CHROMIUM)
    if not binary:
        return (
            None,
            f"no thumbnail: {CHROMIUM} is not installed here (apt-get install chromium); summary only",
        )
    out = page.with_name(THUMBNAIL)
    try:
        subprocess.run(
            [
                binary, "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                "--virtual-time-budget=5000", "--window-size=1280,900", "--force-device-scale-factor=0.5",
                f"--screenshot={out}", page.resolve().as_uri(),
            ],
            capture_output=True, timeout=60, check=True,
        )  # fmt: skip
    except (subprocess.SubprocessError, OSError) as exc:
        return None, f"no thumbnail: {CHROMIUM} failed ({exc}); summary only"
    if not out.exists():
        return None, f"no thumbnail: {CHROMIUM} wrote no screenshot; summary only"
    return out, ""


def plotly_js() -> Path:
    import plotly

    return Path(plotly.__file__).parent / "package_data" / PLOTLY_JS


def build_site(published_dir: Path, target: Path | None, dagster_url: str) -> Site:
    """Reads the current publication (and the kept ones) and writes the site to ``target`` (built aside,
    then renamed in); by default into the current snapshot (``snapshots/<name>/cockpits``), so each
    kept publication keeps the pages built from it."""
    src = sources.open_sources(published_dir)
    target = target or src.current.path.parent / SITE_DIR
    try:
        bus = sources.business_units(src)
        command, figures = pages.command_center(src, bus)
        built: list[Page] = [
            command,
            pages.data_health(src, bus, dagster_url.rstrip("/")),
            pages.model_performance(src, bus),
            pages.campaign_performance(src, bus),
        ]
        current = src.current
        facts = {
            "reference date": str(current.reference_date),
            "run": current.run_id,
            "published": f"{current.published_at} UTC",
        }
        building = target.with_name(f".{target.name}.building")
        shutil.rmtree(building, ignore_errors=True)
        building.mkdir(parents=True)
        shutil.copyfile(plotly_js(), building / PLOTLY_JS)
        owners = f"{COCKPITS.business_owner}, {COCKPITS.technical_owner}, sponsor {COCKPITS.sponsor}"
        for page in built:
            text = render(page, built, bus, facts, owners)
            if len(text.encode()) > MAX_PAGE_BYTES:
                raise ValueError(
                    f"cockpit page {page.slug}.html is {len(text.encode())} bytes, over {MAX_PAGE_BYTES}"
                )
            (building / f"{page.slug}.html").write_text(text)
        (building / "index.html").write_text(
            f'<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="0; url={pages.COMMAND_CENTER}.html">'
            f'<a href="{pages.COMMAND_CENTER}.html">Command Center</a>\n'
        )
        missing = sorted(t for t in NEEDED if not src.has(t))
    finally:
        src.conn.close()
    old = target.with_name(f".{target.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    building.rename(target)
    shutil.rmtree(old, ignore_errors=True)
    return Site(
        target,
        {p.title: target / f"{p.slug}.html" for p in built},
        current.run_id,
        str(current.reference_date),
        figures,
        missing,
        src.previous is not None,
    )
