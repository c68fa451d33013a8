"""The activation tables: their names, and how a step writes one (columns cast to their documented
types, a history table keeping the other days' rows). No Dagster."""

from __future__ import annotations

from datetime import date

import duckdb

from platform_assets.lib.tables import casts, table_exists

AUDIENCES = "activation.audiences"
EXCLUSIONS = "activation.audience_exclusions"
AUDIENCE_HISTORY = "activation.audience_history"
CONTACT_HISTORY = "activation.contact_history"
EXPORTS = "activation.audience_exports"
RESULTS = "activation.campaign_results"
RESULTS_BY_ARM = "activation.campaign_results_by_model_arm"
CASCADE_FOLLOW_UPS = "activation.cascade_follow_ups"

# The selection's working tables (selection.py): rewritten by each run of ``audiences``, read by its
# later steps, never published (the publication reads only its allow-listed schemas).
WORK_SCHEMA = "activation_work"


def column_names(schema: tuple) -> str:
    return ", ".join(name for name, _, _ in schema)


def typed_sql(schema: tuple, relation_sql: str) -> str:
    """``relation_sql`` with the table's columns, in order, cast to their documented types."""
    return f"select {casts(schema)} from ({relation_sql})"


def day_history_sql(
    conn: duckdb.DuckDBPyConnection, table: str, schema: tuple, new_sql: str, reference_date: date
) -> str:
    """``table`` rewritten as ``new_sql`` plus its rows of other days: a rerun of a day replaces that
    day's rows, the other days stay."""
    new = typed_sql(schema, new_sql)
    if not table_exists(conn, table):
        return new
    # a column added since the table was written reads null on its earlier days
    present = {name for (name,) in conn.execute(f"select column_name from (describe {table})").fetchall()}
    columns = ", ".join(name if name in present else f"null as {name}" for name, _, _ in schema)
    kept = f"select {columns} from {table} where reference_date <> date '{reference_date.isoformat()}'"
    return f"{new} union all {typed_sql(schema, kept)}"


def channel_case(channel: str, value: str, channels: tuple[str, ...]) -> str:
    """SQL: per row, ``value`` with ``{channel}`` replaced by the row's channel (the value of the
    ``channel`` column), e.g. ``channel_case("r.channel", "c.consent_{channel}", CHANNELS)``."""
    whens = " ".join(f"when '{ch}' then {value.format(channel=ch)}" for ch in channels)
    return f"case {channel} {whens} end"
