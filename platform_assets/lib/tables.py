"""Writing tables: atomic replacement, existence, the "as of" guard, column comments.

A table is replaced in one transaction, so a failed step leaves the previous version whole.
"""

from __future__ import annotations

from datetime import date

import duckdb


def sql_literal(text: str) -> str:
    """``text`` as a SQL string literal (single quotes doubled)."""
    return "'" + str(text).replace("'", "''") + "'"


def table_exists(conn: duckdb.DuckDBPyConnection, qualified: str, catalog: str | None = None) -> bool:
    """Whether ``schema.table`` exists (in ``catalog`` when given: an attached database)."""
    schema, table = qualified.split(".")
    query = "select 1 from duckdb_tables() where schema_name = ? and table_name = ?"
    params = [schema, table]
    if catalog is not None:
        query += " and database_name = ?"
        params.append(catalog)
    return bool(conn.execute(query, params).fetchall())


def relation_exists(conn: duckdb.DuckDBPyConnection, qualified: str) -> bool:
    """Whether ``schema.name`` exists as a table or a view: what a dbt model is, whichever the engine
    (staging models are views on DuckDB, tables read back from Spark); ``table_exists`` sees tables only."""
    schema, name = qualified.split(".")
    return bool(
        conn.execute(
            "select 1 from duckdb_tables() where schema_name = ? and table_name = ? "
            "union all select 1 from duckdb_views() where schema_name = ? and view_name = ?",
            [schema, name, schema, name],
        ).fetchall()
    )


def replace_table(conn: duckdb.DuckDBPyConnection, table: str, relation_sql: str) -> int:
    """Create or replace ``table`` from a query in one transaction; returns its row count."""
    conn.execute(f"create schema if not exists {table.split('.')[0]}")
    conn.execute("begin transaction")
    try:
        conn.execute(f"create or replace table {table} as {relation_sql}")
        [(rows,)] = conn.execute(f"select count(*) from {table}").fetchall()
        conn.execute("commit")
    except Exception:
        conn.execute("rollback")
        raise
    return int(rows)


def casts(schema) -> str:
    """A select list of a table's columns ((name, DuckDB type, description) triples), in order, cast to
    their documented types."""
    return ", ".join(f"{name}::{type_} as {name}" for name, type_, _ in schema)


def replace_table_from_frame(conn: duckdb.DuckDBPyConnection, table: str, frame, select: str = "*") -> int:
    """Create or replace ``table`` from a polars/pandas frame or arrow table in one transaction;
    ``select`` may cast or order the frame's columns. Returns the row count."""
    view = "_frame_" + table.replace(".", "_")
    data = frame.to_arrow() if hasattr(frame, "to_arrow") else frame
    conn.register(view, data)
    try:
        return replace_table(conn, table, f"select {select} from {view}")
    finally:
        conn.unregister(view)


def require_as_of(
    conn: duckdb.DuckDBPyConnection, table: str, reference_date: date, allow_empty: bool = False
) -> None:
    """Refuses to build on ``table`` unless every row is as of ``reference_date``: a table from another
    run's date would mix two days in one score. ``allow_empty``: an empty table passes (a table
    empty by design always does)."""
    dates = [d for (d,) in conn.execute(f"select distinct reference_date from {table} order by 1").fetchall()]
    if dates == [reference_date] or (not dates and (allow_empty or empty_by_design(conn, table))):
        return
    seen = ", ".join(str(d) for d in dates) or "empty"
    raise ValueError(
        f"{table} is as of {seen}, this run is as of {reference_date}: "
        "materialise it in the same run first (same cdp/reference_date tag)"
    )


def comment_statements(table: str, description: str | None, columns: dict[str, str]) -> list[str]:
    """``comment on`` statements documenting ``table`` and its columns (DuckDB keeps them in the file)."""
    statements = [f"comment on table {table} is {sql_literal(description)}"] if description else []
    statements += [
        f"comment on column {table}.{name} is {sql_literal(text)}" for name, text in columns.items()
    ]
    return statements


def comment_table(
    conn: duckdb.DuckDBPyConnection, table: str, description: str | None, columns: dict[str, str]
) -> None:
    for statement in comment_statements(table, description, columns):
        conn.execute(statement)


def replace_tables(conn: duckdb.DuckDBPyConnection, tables: dict[str, str]) -> dict[str, int]:
    """Create or replace several tables from queries, in order, in one transaction (all or none:
    tables that must agree with each other); returns each one's row count."""
    for schema in dict.fromkeys(table.split(".")[0] for table in tables):
        conn.execute(f"create schema if not exists {schema}")
    rows = {}
    conn.execute("begin transaction")
    try:
        for table, relation_sql in tables.items():
            conn.execute(f"create or replace table {table} as {relation_sql}")
            [(rows[table],)] = conn.execute(f"select count(*) from {table}").fetchall()
        conn.execute("commit")
    except Exception:
        conn.execute("rollback")
        raise
    return {table: int(n) for table, n in rows.items()}


def replace_tables_from_frames(conn: duckdb.DuckDBPyConnection, frames: dict) -> dict[str, int]:
    """``replace_tables`` from polars/pandas frames or arrow tables (table -> frame): all or none."""
    views = {table: "_frame_" + table.replace(".", "_") for table in frames}
    for table, frame in frames.items():
        conn.register(views[table], frame.to_arrow() if hasattr(frame, "to_arrow") else frame)
    try:
        return replace_tables(conn, {table: f"select * from {view}" for table, view in views.items()})
    finally:
        for view in views.values():
            conn.unregister(view)


# The comment of a table an asset left empty on purpose starts with this (then the reason): checks
# and downstream readers accept it empty, and analysts read why.
EMPTY_BY_DESIGN = "Empty by design: "


def replace_with_empty(conn: duckdb.DuckDBPyConnection, table: str, columns, reason: str) -> int:
    """Replace ``table`` by an empty table of ``columns`` ((name, DuckDB type, description) triples
    or name -> type), commented with ``reason``: what an asset writes when the data it needs is not
    there (``empty_by_design`` reads the reason back). Returns 0."""
    pairs = columns.items() if isinstance(columns, dict) else ((name, type_) for name, type_, _ in columns)
    nulls = ", ".join(f'null::{type_} as "{name}"' for name, type_ in pairs)
    rows = replace_table(conn, table, f"select {nulls} where false")
    comment_table(conn, table, EMPTY_BY_DESIGN + reason, {})
    return rows


def empty_by_design(conn: duckdb.DuckDBPyConnection, table: str) -> str | None:
    """The reason ``table`` was left empty on purpose (its comment), or None."""
    schema, name = table.split(".")
    found = conn.execute(
        "select comment from duckdb_tables() where schema_name = ? and table_name = ? "
        "and database_name = current_database()",
        [schema, name],
    ).fetchall()
    comment = found[0][0] if found else None
    return comment if comment and comment.startswith(EMPTY_BY_DESIGN) else None


def not_delivered(missing: tuple[str, ...], config_path: str, needs: str) -> str:
    """Why an asset is empty: the sources it needs that the retailer does not deliver."""
    return (
        f"needs {needs}, from {', '.join(missing)}: not delivered (absent from the retailer "
        f"configuration {config_path})"
    )
