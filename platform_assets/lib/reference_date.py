"""The date a run computes every score "as of", chosen once per run and written into its tags.

In order: the run's ``cdp/reference_date`` tag (the schedule sets the scheduled day; set by hand for a
backfill), the configured ``CDP_REFERENCE_DATE``, the date of the latest successful full refresh
(``ops.publication_log``, full refreshes only), else the day after the newest sale in the warehouse
(``sales.fct_sales_lines``). So a run started from the UI or the CLI with no tag builds on what the
last refresh built, and never mixes two dates: the first step that needs the date chooses it and adds
it to the run's tags (with ``cdp/reference_date_source``), and every later step reads it back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

import dagster as dg
import duckdb

from platform_assets.lib.settings import REFERENCE_DATE_TAG, PlatformSettings
from platform_assets.lib.tables import table_exists
from platform_assets.lib.warehouse import Warehouse

SOURCE_TAG = "cdp/reference_date_source"
REFRESH_LOG = "ops.publication_log"  # one row per publication; full_refresh: the run built every asset
SALES = "sales.fct_sales_lines"


@dataclass(frozen=True)
class ReferenceDate:
    day: date
    source: str  # tag | setting | last_full_refresh | newest_sales: the tag cdp/reference_date_source
    reason: str  # the sentence the step logs

    @property
    def explained(self) -> str:
        return f"{self.source}: {self.reason}"

    @property
    def tags(self) -> dict[str, str]:
        return {REFERENCE_DATE_TAG: self.day.isoformat(), SOURCE_TAG: self.source}


class NoReferenceDateError(ValueError):
    """Nothing says which date to compute as of: no tag, no setting, no refresh and no sales yet."""


def choose_reference_date(
    tags: Mapping[str, str],
    configured: str | date | None,
    last_full_refresh: date | None,
    newest_sale: date | None,
) -> ReferenceDate:
    """The run's reference date and why (pure: the caller reads the warehouse)."""
    if tag := tags.get(REFERENCE_DATE_TAG):
        source = tags.get(SOURCE_TAG, "tag")
        reason = f"the run's tag {REFERENCE_DATE_TAG}"
        if source != "tag":
            reason += f", chosen by an earlier step of this run ({source})"
        return ReferenceDate(date.fromisoformat(tag), source, reason)
    if configured:
        day = configured if isinstance(configured, date) else date.fromisoformat(configured)
        return ReferenceDate(day, "setting", "CDP_REFERENCE_DATE (no tag on the run)")
    if last_full_refresh:
        return ReferenceDate(
            last_full_refresh,
            "last_full_refresh",
            f"the latest successful full refresh ({REFRESH_LOG}; no tag on the run)",
        )
    if newest_sale:
        return ReferenceDate(
            newest_sale + timedelta(days=1),
            "newest_sales",
            f"the day after the newest sale in {SALES}, {newest_sale} (no full refresh yet, no tag on the run)",
        )
    raise NoReferenceDateError(
        f"no reference date: the run has no {REFERENCE_DATE_TAG} tag, CDP_REFERENCE_DATE is not set, "
        f"{REFRESH_LOG} records no full refresh and {SALES} holds no sale yet: "
        f"tag the run with {REFERENCE_DATE_TAG}=YYYY-MM-DD, or run the whole graph first"
    )


def last_full_refresh(conn: duckdb.DuckDBPyConnection) -> date | None:
    """The reference date of the latest publication by a run that built every asset."""
    if not table_exists(conn, REFRESH_LOG) or not _has_column(conn, REFRESH_LOG, "full_refresh"):
        return None
    rows = conn.execute(
        f"select reference_date from {REFRESH_LOG} where full_refresh order by published_at desc limit 1"
    ).fetchall()
    return rows[0][0] if rows else None


def newest_sale(conn: duckdb.DuckDBPyConnection) -> date | None:
    """The newest local sale date in the warehouse (None before the referential is built)."""
    if not table_exists(conn, SALES):
        return None
    [(day,)] = conn.execute(f"select max(sold_date) from {SALES}").fetchall()
    return day


def _has_column(conn: duckdb.DuckDBPyConnection, table: str, column: str) -> bool:
    schema, name = table.split(".")
    query = "select 1 from duckdb_columns() where schema_name = ? and table_name = ? and column_name = ?"
    return bool(conn.execute(query, [schema, name, column]).fetchall())


def run_reference_date(
    context: dg.AssetExecutionContext, platform: PlatformSettings, warehouse: Warehouse
) -> date:
    """This run's reference date: its tags as stored now (an earlier step of the run may have chosen
    it), else chosen from the setting and the warehouse, then added to the run's tags."""
    run = context.instance.get_run_by_id(context.run_id)
    tags = run.tags if run is not None else context.run.tags
    if tags.get(REFERENCE_DATE_TAG) or platform.reference_date:
        chosen = choose_reference_date(tags, platform.reference_date, None, None)
    else:
        with warehouse.connect() as conn:
            chosen = choose_reference_date(tags, None, last_full_refresh(conn), newest_sale(conn))
    if REFERENCE_DATE_TAG not in tags:
        context.instance.add_run_tags(context.run_id, chosen.tags)
    context.log.info(f"as of {chosen.day}: {chosen.reason}")
    if len(context.selected_asset_keys) == 1:  # a step of several assets says it in its own metadata
        context.add_asset_metadata({"reference_date_source": chosen.explained})
    return chosen.day
