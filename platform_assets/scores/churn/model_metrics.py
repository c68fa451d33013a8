"""Rows for the shared ``ops.model_metrics`` table (DDL owned by the features domain)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import duckdb
import polars as pl

from platform_assets.features.assets import MODEL_METRICS_DDL


def write(
    conn: duckdb.DuckDBPyConnection, run_id: str, reference_date: date, models: list[str], rows: list[dict]
) -> int:
    """Replaces this run's rows of ``models`` with ``rows`` (model, business_unit, metric, value)."""
    frame = pl.DataFrame(
        rows,
        schema={"model": pl.String, "business_unit": pl.String, "metric": pl.String, "value": pl.Float64},
    ).with_columns(
        pl.lit(run_id).alias("run_id"),
        pl.lit(reference_date).alias("reference_date"),
        pl.lit(datetime.now(UTC).replace(tzinfo=None)).alias("computed_at"),
    )
    conn.execute("create schema if not exists ops")
    conn.execute(MODEL_METRICS_DDL)
    conn.register("scores_metrics_frame", frame.to_arrow())
    conn.execute("begin transaction")
    try:
        conn.execute(
            "delete from ops.model_metrics where run_id = ? and list_contains(?, model)", [run_id, models]
        )
        conn.execute(
            "insert into ops.model_metrics select run_id, model, business_unit, metric, value, reference_date, "
            "computed_at from scores_metrics_frame"
        )
        conn.execute("commit")
    except Exception:
        conn.execute("rollback")
        raise
    finally:
        conn.unregister("scores_metrics_frame")
    return frame.height


def replace_table(conn: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> int:
    """Create or replace ``table`` from a polars frame in one transaction; returns its row count."""
    conn.execute(f"create schema if not exists {table.split('.')[0]}")
    conn.register("scores_table_frame", frame.to_arrow())
    conn.execute("begin transaction")
    try:
        conn.execute(f"create or replace table {table} as select * from scores_table_frame")
        conn.execute("commit")
    except Exception:
        conn.execute("rollback")
        raise
    finally:
        conn.unregister("scores_table_frame")
    return frame.height
