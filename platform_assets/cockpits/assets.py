"""The cockpits site: built after each publication from the published analyst file (site.py)."""

import base64

import dagster as dg

from platform_assets.cockpits.site import NEEDED, build_site, link_current, thumbnail
from platform_assets.governance.ownership import COCKPITS
from platform_assets.lib import layers
from platform_assets.lib.settings import PlatformSettings


@dg.asset(
    key=["cockpits", "site"],
    deps=[dg.AssetKey(["ops", "publication_log"])],
    description=(
        "Static pages per persona (Command Center, data health, model performance, campaign performance) "
        "built from the published analyst file and written beside it (<published>/cockpits/): open "
        "command_center.html from the file system, no network needed."
    ),
    group_name=layers.PUBLICATION,
    owners=COCKPITS.owners,
    kinds={"plotly", "python"},
    metadata={**COCKPITS.metadata, "reads": ", ".join(NEEDED)},
)
def cockpits_site(context: dg.AssetExecutionContext, platform: PlatformSettings) -> dg.MaterializeResult:
    site = build_site(platform.published_path, None, platform.dagster_ui_url)  # into the current snapshot
    link_current(platform.cockpits_path, site.directory, platform.published_path)
    if site.missing:
        context.log.warning(f"cockpits built with panels for missing tables: {', '.join(site.missing)}")
    links = "\n".join(
        f"- [{title}](file://{platform.cockpits_path / path.name})" for title, path in site.pages.items()
    )
    picture, why_not = thumbnail(next(iter(site.pages.values())))  # the Command Center
    if picture:
        data = base64.b64encode(picture.read_bytes()).decode()
        links += f"\n\n![Command Center](data:image/png;base64,{data})"
    else:
        context.log.info(why_not)
    return dg.MaterializeResult(
        metadata={
            "thumbnail": dg.MetadataValue.path(str(platform.cockpits_path / picture.name))
            if picture
            else dg.MetadataValue.text(why_not),
            "site": dg.MetadataValue.path(str(platform.cockpits_path)),
            "snapshot_site": dg.MetadataValue.path(str(site.directory)),
            "pages": dg.MetadataValue.md(links),
            "summary": dg.MetadataValue.md(site.summary_markdown()),
            "page_bytes": dg.MetadataValue.json({p.name: p.stat().st_size for p in site.pages.values()}),
            "missing_tables": dg.MetadataValue.json(site.missing),
            "migration_and_drift": site.previous_kept,
            "reference_date": site.reference_date,
        }
    )
