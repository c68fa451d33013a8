"""``ops.model_metrics``: every model's parameters, backtests and run measures, one writer for all.

Each model replaces its own rows of the run in one transaction, so a re-executed step never doubles
them and a failed one leaves the run's earlier rows as they were.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import duckdb

from platform_assets.lib.tables import comment_statements

TABLE = "ops.model_metrics"

DESCRIPTION = (
    "Model parameters, backtests and run measures: one row per run, model, business unit and metric."
)
COLUMNS = {
    "run_id": "Dagster run that computed the metric.",
    "model": "Model: bgnbd, gamma_gamma, clv, churn, life_moment_<moment>, appetence, segmentation, ...",
    "business_unit": "Business unit (country, ISO 3166 code) the metric is for; ALL for a group-wide model.",
    "metric": "Metric name, e.g. a fitted parameter, backtest_<measure> or horizon_days.",
    "value": "Value of the metric (unit as the metric's name says).",
    "reference_date": "The run's reference date (as of which the model was fitted or applied).",
    "computed_at": "When the metric was written (UTC).",
}

DDL = f"""
create table if not exists {TABLE} (
    run_id varchar,
    model varchar,
    business_unit varchar,
    metric varchar,
    value double,
    reference_date date,
    computed_at timestamp
)"""


def write_model_metrics(
    conn: duckdb.DuckDBPyConnection, run_id: str, reference_date: date, models: list[str], rows: list[dict]
) -> int:
    """Replaces this run's rows of ``models`` with ``rows`` (dicts of model, business_unit, metric,
    value; business_unit defaults to ALL). Returns the rows written."""
    computed_at = datetime.now(UTC).replace(tzinfo=None)
    values = [
        (
            run_id,
            r["model"],
            r.get("business_unit") or "ALL",
            r["metric"],
            float(r["value"]),
            reference_date,
            computed_at,
        )
        for r in rows
    ]
    conn.execute("create schema if not exists ops")
    conn.execute(DDL)
    for statement in comment_statements(TABLE, DESCRIPTION, COLUMNS):
        conn.execute(statement)
    conn.execute("begin transaction")
    try:
        conn.execute(f"delete from {TABLE} where run_id = ? and list_contains(?, model)", [run_id, models])
        if values:
            conn.executemany(f"insert into {TABLE} values (?, ?, ?, ?, ?, ?, ?)", values)
        conn.execute("commit")
    except Exception:
        conn.execute("rollback")
        raise
    return len(values)


def headline_measures(backtest: dict[str, dict[str, float]], measures) -> dict[str, float]:
    """backtest_<measure>_<business unit> of ``measures`` from a backtest per unit (NaN left out), for
    an asset's metadata."""
    return {
        f"backtest_{k}_{bu}": round(float(m[k]), 4)
        for bu, m in backtest.items()
        for k in measures
        if m[k] == m[k]
    }


def backtest_frame(backtest: dict[str, dict[str, float]]):
    """A row per backtest measure, a column per business unit (4 decimals), as a polars frame."""
    import polars as pl

    frame = pl.DataFrame(
        [{"business_unit": bu, **{k: round(v, 4) for k, v in m.items()}} for bu, m in backtest.items()]
    )
    return frame.transpose(include_header=True, column_names="business_unit")
