"""Features assets: read the referential, call the pure modules, write tables, report metadata."""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime

import dagster as dg
import duckdb
import polars as pl

from platform_assets.config import resolve_reference_date, settings
from platform_assets.features import columns as column_docs
from platform_assets.features import lifetime_value, ltv_cac, profile, rfm
from platform_assets.governance.ownership import FEATURES, MARKETING
from platform_assets.resources import Warehouse

SALES_LINES = dg.AssetKey(["sales", "fct_sales_lines"])
SALES_ORDERS = dg.AssetKey(["sales", "fct_orders"])
DIM_CUSTOMER = dg.AssetKey(["referential", "dim_customer"])
BUSINESS_UNITS = dg.AssetKey(["referential", "business_units"])
PROFILE_INPUTS = [
    SALES_LINES,
    SALES_ORDERS,
    DIM_CUSTOMER,
    BUSINESS_UNITS,
    dg.AssetKey(["referential", "dim_product"]),
    dg.AssetKey(["referential", "customer_xref"]),
    dg.AssetKey(["marketing", "fct_email_events"]),
    dg.AssetKey(["marketing", "dim_customer_acquisition"]),
    dg.AssetKey(["staging", "stg_consent__preferences"]),
    dg.AssetKey(["staging", "stg_loyalty__cards"]),
]

# DuckDB spills to disk beyond this: with the Python side (the CLV frames) a features step stays
# under the 6 GB the 1M-customer benchmark allows, and other steps keep their memory.
DUCKDB_MEMORY_LIMIT = "4GB"

MODEL_METRICS_DDL = """
create table if not exists ops.model_metrics (
    run_id varchar,
    model varchar,
    business_unit varchar,
    metric varchar,
    value double,
    reference_date date,
    computed_at timestamp
);
""" + column_docs.comment_sql("ops.model_metrics", column_docs.MODEL_METRICS)


def _reference_date(context: dg.AssetExecutionContext) -> date:
    return resolve_reference_date(context.run.tags, settings().reference_date)


@contextmanager
def _connect(warehouse: Warehouse) -> Iterator[duckdb.DuckDBPyConnection]:
    with warehouse.connect() as conn:
        conn.execute(f"set memory_limit = '{DUCKDB_MEMORY_LIMIT}'")
        yield conn


def _replace_table(conn: duckdb.DuckDBPyConnection, table: str, relation_sql: str) -> int:
    """Create or replace ``table`` from a query in one transaction; returns its row count."""
    schema = table.split(".")[0]
    conn.execute(f"create schema if not exists {schema}")
    conn.execute("begin transaction")
    try:
        conn.execute(f"create or replace table {table} as {relation_sql}")
        [(rows,)] = conn.execute(f"select count(*) from {table}").fetchall()
        conn.execute("commit")
    except Exception:
        conn.execute("rollback")
        raise
    return int(rows)


def _md(frame: pl.DataFrame) -> str:
    header = "| " + " | ".join(frame.columns) + " |"
    rule = "|" + "---|" * len(frame.columns)
    body = ["| " + " | ".join("" if v is None else str(v) for v in row) + " |" for row in frame.iter_rows()]
    return "\n".join([header, rule, *body])


def _spec_metadata(owner, table: str, grain: str, schema: tuple | None = None) -> dict:
    metadata = {**owner.metadata, "grain": grain, "dagster/table_name": table}
    if schema is not None:
        metadata[column_docs.COLUMN_SCHEMA] = column_docs.table_schema(schema)
    return metadata


@dg.asset(
    key=["features", "customer_profile"],
    deps=PROFILE_INPUTS,
    group_name=FEATURES.domain,
    owners=FEATURES.owners,
    kinds={"duckdb", "sql"},
    metadata=_spec_metadata(
        FEATURES, "features.customer_profile", "one row per customer known before the reference date"
    ),
    pool="duckdb_writer",
)
def customer_profile(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    """50+ documented indicators per customer as of the run's reference date: recency, frequency,
    monetary (12 months and lifetime), baskets, category, channel and store shares, discounts,
    returns, purchase rhythm, recent trend, e-mail engagement, consents (platform_assets/features/indicators.py)."""
    ref = _reference_date(context)
    started = time.perf_counter()
    with _connect(warehouse) as conn:
        relation = profile.customer_profile(conn, ref)
        departments = profile.departments(conn)
        rows = _replace_table(conn, "features.customer_profile", relation.sql_query())
        for column, comment in profile.column_comments(departments).items():
            conn.execute(
                f"comment on column features.customer_profile.{column} is '{comment.replace(chr(39), chr(39) * 2)}'"
            )
        [(buyers, columns)] = conn.execute(
            "select count(*) filter (where frequency_lifetime > 0), "
            "(select count(*) from duckdb_columns() where schema_name = 'features' and table_name = 'customer_profile') "
            "from features.customer_profile"
        ).fetchall()
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": rows,
            "reference_date": str(ref),
            "buyers": int(buyers),
            "indicators": int(columns) - len(profile.KEYS),
            "departments": len(departments),
            "run_seconds": round(time.perf_counter() - started, 1),
        }
    )


@dg.asset(
    key=["features", "customer_rfm"],
    deps=[dg.AssetKey(["features", "customer_profile"]), dg.AssetKey(["marketing", "rfm_segment_rules"])],
    group_name=FEATURES.domain,
    owners=FEATURES.owners,
    kinds={"duckdb", "sql"},
    metadata=_spec_metadata(
        FEATURES, "features.customer_rfm", "one row per customer with a purchase", column_docs.CUSTOMER_RFM
    ),
    pool="duckdb_writer",
)
def customer_rfm(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    """R, F and M scored 1-5 within each business unit and the playbook's named segment (rules:
    marketing.rfm_segment_rules, owned by marketing)."""
    ref = _reference_date(context)
    with _connect(warehouse) as conn:
        rules = rfm.read_rules(conn)
        [(profile_ref,)] = conn.execute(
            "select max(reference_date) from features.customer_profile"
        ).fetchall()
        if profile_ref != ref:
            raise ValueError(
                f"features.customer_profile is as of {profile_ref}, this run is as of {ref}: "
                "materialise customer_profile in the same run first"
            )
        rows = _replace_table(conn, "features.customer_rfm", rfm.customer_rfm(conn, rules).sql_query())
        segments = conn.sql(
            "select business_unit, segment, count(*) as customers, round(avg(monetary), 2) as avg_monetary "
            "from features.customer_rfm group by all order by business_unit, customers desc"
        ).pl()
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": rows,
            "reference_date": str(ref),
            "segments": dg.MetadataValue.md(_md(segments)),
        }
    )


@dg.asset(
    key=["features", "customer_clv"],
    deps=[SALES_ORDERS, DIM_CUSTOMER, BUSINESS_UNITS],
    group_name=FEATURES.domain,
    owners=FEATURES.owners,
    kinds={"duckdb", "scipy"},
    metadata=_spec_metadata(
        FEATURES, "features.customer_clv", "one row per customer with a purchase", column_docs.CUSTOMER_CLV
    ),
    pool="duckdb_writer",
)
def customer_clv(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    """BG/NBD (purchases, P(alive)) and Gamma-Gamma (spend) fitted per business unit by maximum
    likelihood: expected purchases and value over the next 12 months and a value tier. Each run
    backtests itself (fit a year earlier, predict the year since) into ops.model_metrics."""
    ref = _reference_date(context)
    started = time.perf_counter()
    with _connect(warehouse) as conn:
        summary, history = lifetime_value.customer_summaries(conn, ref)
        predictions, models = lifetime_value.customer_clv(summary, ref)
        fitted_s = time.perf_counter() - started
        backtest = lifetime_value.backtest(history)
        table = predictions.select(
            "customer_id",
            "reference_date",
            "business_unit",
            pl.col("x").cast(pl.Int64).alias("repeat_purchases"),
            pl.col("t_x").alias("weeks_first_to_last_purchase"),
            pl.col("T").alias("weeks_since_first_purchase"),
            pl.col("m").round(2).alias("mean_repeat_purchase_value"),
            "p_alive",
            "expected_purchases_12m",
            pl.col("expected_spend_per_purchase").round(2),
            pl.col("expected_value_12m").round(2),
            "value_rank_share",
            "value_tier",
        )
        conn.register("feat_clv_frame", table.to_arrow())
        rows = _replace_table(
            conn,
            "features.customer_clv",
            "select f.*, bu.currency_code from feat_clv_frame as f "
            "left join referential.business_units as bu on f.business_unit = bu.country_code",
        )
        conn.unregister("feat_clv_frame")
        metrics = pl.DataFrame(
            lifetime_value.parameter_rows(models) + backtest,
            schema={"model": pl.String, "business_unit": pl.String, "metric": pl.String, "value": pl.Float64},
        ).with_columns(
            pl.lit(context.run_id).alias("run_id"),
            pl.lit(ref).alias("reference_date"),
            pl.lit(datetime.now(UTC).replace(tzinfo=None)).alias("computed_at"),
        )
        conn.execute("create schema if not exists ops")
        conn.execute(MODEL_METRICS_DDL)
        conn.register("feat_metrics_frame", metrics.to_arrow())
        conn.execute("begin transaction")
        conn.execute(
            "delete from ops.model_metrics where run_id = ? and model in ('bgnbd', 'gamma_gamma', 'clv_12m')",
            [context.run_id],
        )
        conn.execute(
            "insert into ops.model_metrics select run_id, model, business_unit, metric, value, reference_date, "
            "computed_at from feat_metrics_frame"
        )
        conn.execute("commit")
        conn.unregister("feat_metrics_frame")
    backtest_table = (
        metrics.filter(pl.col("metric").str.starts_with("backtest_"))
        .with_columns(pl.col("value").round(4))
        .pivot(on="business_unit", index=["model", "metric"], values="value")
        if backtest
        else None
    )
    headline = {
        f"backtest_{row['model']}_{row['metric'].removeprefix('backtest_')}_{row['business_unit']}": round(
            row["value"], 4
        )
        for row in backtest
        if row["metric"] in ("backtest_aggregate_error", "backtest_spearman")
    }
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": rows,
            "reference_date": str(ref),
            "parameters": dg.MetadataValue.md(
                _md(
                    metrics.filter(~pl.col("metric").str.starts_with("backtest_"))
                    .with_columns(pl.col("value").round(4))
                    .pivot(on="business_unit", index=["model", "metric"], values="value")
                )
            ),
            "backtest": dg.MetadataValue.md(
                _md(backtest_table)
                if backtest_table is not None
                else "history shorter than a year: no backtest"
            ),
            **headline,
            "fit_seconds": round(fitted_s, 1),
            "run_seconds": round(time.perf_counter() - started, 1),
        }
    )


@dg.asset(
    key=["marketing", "channel_ltv_cac"],
    deps=[
        dg.AssetKey(["features", "customer_clv"]),
        SALES_LINES,
        BUSINESS_UNITS,
        dg.AssetKey(["marketing", "dim_customer_acquisition"]),
        dg.AssetKey(["marketing", "fct_marketing_spend"]),
    ],
    group_name=MARKETING.domain,
    owners=MARKETING.owners,
    kinds={"duckdb", "sql"},
    metadata=_spec_metadata(
        MARKETING,
        "marketing.channel_ltv_cac",
        "one row per business unit and acquisition channel",
        column_docs.CHANNEL_LTV_CAC,
    ),
    pool="duckdb_writer",
)
def channel_ltv_cac(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    """Per acquisition channel and business unit: customers acquired, CAC from marketing spend,
    12-month realised LTV (the prior year's cohort) and predicted LTV (the last year's), LTV/CAC."""
    ref = _reference_date(context)
    with _connect(warehouse) as conn:
        [(clv_ref,)] = conn.execute("select max(reference_date) from features.customer_clv").fetchall()
        if clv_ref is not None and clv_ref != ref:
            raise ValueError(
                f"features.customer_clv is as of {clv_ref}, this run is as of {ref}: materialise it first"
            )
        rows = _replace_table(
            conn, "marketing.channel_ltv_cac", ltv_cac.channel_ltv_cac(conn, ref).sql_query()
        )
        summary = conn.sql(
            "select business_unit, acquisition_channel, customers_acquired_12m, cac_12m, predicted_ltv_12m, "
            "ltv_cac_predicted, cac_prior_12m, realised_ltv_12m, ltv_cac_realised "
            "from marketing.channel_ltv_cac where is_paid_channel order by business_unit, ltv_cac_predicted desc"
        ).pl()
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": rows,
            "reference_date": str(ref),
            "paid_channels": dg.MetadataValue.md(_md(summary)),
        }
    )
