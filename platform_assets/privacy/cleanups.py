"""Where each run's erasure cleaned: ``ops.erasure_cleanups``, one row per run and place with the
rows it removed there (intermediate tables in identity resolution; exports and earlier publication
snapshots in the publication). Hashed nothing: places and counts only."""

from __future__ import annotations

from datetime import datetime

import duckdb

from platform_assets.lib.tables import sql_literal

CLEANUPS_TABLE = "ops.erasure_cleanups"
COLUMNS = {
    "run_id": ("varchar", "Dagster run that cleaned."),
    "place": (
        "varchar",
        "What was cleaned: a working-file table, export:<file under the exports directory>, or "
        "snapshot:<snapshot>/<file>:<table> for an earlier publication snapshot rewritten.",
    ),
    "rows_removed": ("bigint", "Rows of erased persons removed there."),
    "cleaned_at": ("timestamp", "When (UTC)."),
}
DESCRIPTION = (
    "Where the right to erasure removed erased persons' rows, run by run: intermediate tables, exports, "
    "earlier publication snapshots. One row per run and place (places with nothing to remove are not listed)."
)


def record_cleanups(
    conn: duckdb.DuckDBPyConnection, run_id: str, now: datetime, places: dict[str, int]
) -> None:
    """Appends this run's places (rows removed > 0); creates and documents the table on first use."""
    conn.execute("create schema if not exists ops")
    conn.execute(
        f"create table if not exists {CLEANUPS_TABLE} ({', '.join(f'{c} {t}' for c, (t, _) in COLUMNS.items())})"
    )
    conn.execute(f"comment on table {CLEANUPS_TABLE} is {sql_literal(DESCRIPTION)}")
    for column, (_, description) in COLUMNS.items():
        conn.execute(f"comment on column {CLEANUPS_TABLE}.{column} is {sql_literal(description)}")
    rows = [[run_id, place, count, now] for place, count in sorted(places.items()) if count]
    if rows:
        conn.executemany(f"insert into {CLEANUPS_TABLE} values (?, ?, ?, ?)", rows)
