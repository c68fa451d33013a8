"""Behavioural segment assets: read the profile, assign with the frozen model, write, report.

``scores.customer_segment`` never re-clusters on its own: it assigns with the active frozen
classifier of ``ops.model_registry``. It discovers (and freezes a new version) only when asked
(``rediscover: true``, the ``rediscover_segments`` job) or when no segmentation was ever frozen
(first run), and says so in its metadata.
"""

import time
from datetime import UTC, date, datetime

import dagster as dg
import duckdb
import polars as pl

from platform_assets.config import resolve_reference_date, settings
from platform_assets.features.assets import MODEL_METRICS_DDL
from platform_assets.features.columns import table_schema
from platform_assets.governance.ownership import SCORES
from platform_assets.lib.charts import figure_markdown, horizontal_bars
from platform_assets.resources import Warehouse
from platform_assets.scores.segments import columns, describe, names, prepare, tables
from platform_assets.scores.segments.assignment import NO_PURCHASE, stability
from platform_assets.scores.segments.freeze import FrozenSegmentation, freeze, load_frozen

PROFILE = dg.AssetKey(["features", "customer_profile"])
RFM = dg.AssetKey(["features", "customer_rfm"])
CUSTOMER_SEGMENT = dg.AssetKey(["scores", "customer_segment"])


class SegmentationConfig(dg.Config):
    rediscover: bool = False  # True: discover and freeze a new segmentation version first


def _metadata(table: str, grain: str, schema: tuple) -> dict:
    return {
        **SCORES.metadata,
        "grain": grain,
        "dagster/table_name": table,
        "dagster/column_schema": table_schema(schema),
    }


def _md(frame: pl.DataFrame) -> str:
    header = "| " + " | ".join(frame.columns) + " |"
    rule = "|" + "---|" * len(frame.columns)
    body = ["| " + " | ".join("" if v is None else str(v) for v in row) + " |" for row in frame.iter_rows()]
    return "\n".join([header, rule, *body])


def _table_exists(conn: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(
        conn.execute(
            "select 1 from duckdb_tables() where schema_name = ? and table_name = ?", [schema, table]
        ).fetchall()
    )


def _write(conn: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> int:
    """Replaces ``table`` with ``frame`` in one transaction; returns its row count."""
    view = f"frame_{table.replace('.', '_')}"
    conn.execute(f"create schema if not exists {table.split('.')[0]}")
    conn.register(view, frame.to_arrow())
    conn.execute("begin transaction")
    try:
        conn.execute(f"create or replace table {table} as select * from {view}")
        conn.execute("commit")
    except Exception:
        conn.execute("rollback")
        raise
    finally:
        conn.unregister(view)
    return frame.height


def _record_metrics(
    conn: duckdb.DuckDBPyConnection, run_id: str, ref: date, rows: list[tuple[str, str, float]]
) -> None:
    """(model, metric, value) rows into the shared ops.model_metrics (group-wide: business unit ALL)."""
    if not rows:
        return
    now = datetime.now(UTC).replace(tzinfo=None)
    conn.execute("create schema if not exists ops")
    conn.execute(MODEL_METRICS_DDL)
    models = sorted({m for m, _, _ in rows})
    conn.execute(
        f"delete from ops.model_metrics where run_id = ? and model in ({', '.join('?' * len(models))})",
        [run_id, *models],
    )
    conn.executemany(
        "insert into ops.model_metrics values (?, ?, 'ALL', ?, ?, ?, ?)",
        [[run_id, model, metric, float(value), ref, now] for model, metric, value in rows],
    )


def _read_profile(conn: duckdb.DuckDBPyConnection, ref: date) -> pl.DataFrame:
    profile = conn.sql("select * from features.customer_profile").pl()
    dates = profile["reference_date"].unique().to_list()
    if dates != [ref]:
        raise ValueError(
            f"features.customer_profile is as of {dates}, this run is as of {ref}: "
            "materialise customer_profile in the same run first"
        )
    return profile


def assign_all(frozen: FrozenSegmentation, profile: pl.DataFrame, ref: date) -> pl.DataFrame:
    """Every profiled customer's segment: buyers by the classifier, the others "no purchase yet"."""
    readable = prepare.readable(prepare.buyers(profile))
    segment_ids, probability = frozen.classifier.assign(readable)
    assigned = readable.select("customer_id").with_columns(
        pl.Series("segment_id", segment_ids, dtype=pl.Int64), pl.Series("segment_probability", probability)
    )
    overrides = names.read_overrides()
    labels = names.final_names(frozen.version, frozen.proposed_names, overrides)
    key = {s: names.segment_key(frozen.version, s) for s in labels}
    return (
        profile.select("customer_id", "business_unit")
        .join(assigned, on="customer_id", how="left")
        .with_columns(pl.col("segment_id").fill_null(NO_PURCHASE))
        .with_columns(
            pl.lit(ref).alias("reference_date"),
            pl.col("segment_id").replace_strict(key, return_dtype=pl.String).alias("segment_key"),
            pl.col("segment_id").replace_strict({s: n for s, (n, _) in labels.items()}).alias("segment_name"),
            pl.col("segment_id")
            .replace_strict({s: src for s, (_, src) in labels.items()})
            .alias("name_source"),
            pl.lit(frozen.version).alias("segmentation_version"),
        )
        .select(
            "customer_id",
            "reference_date",
            "business_unit",
            "segment_id",
            "segment_key",
            "segment_name",
            "name_source",
            "segment_probability",
            "segmentation_version",
        )
        .sort("customer_id")
    )


def _previous(conn: duckdb.DuckDBPyConnection) -> pl.DataFrame | None:
    if not _table_exists(conn, "scores", "customer_segment"):
        return None
    return conn.sql(
        "select customer_id, segment_id, segmentation_version, reference_date from scores.customer_segment"
    ).pl()


def _sizes_chart(table: pl.DataFrame) -> str:
    sizes = table.group_by("segment_id", "segment_name").len().sort("segment_id")
    share = (sizes["len"] / sizes["len"].sum()).round(3).to_list()
    labels = [f"{s}. {n}"[:60] for s, n in sizes.select("segment_id", "segment_name").iter_rows()]
    return figure_markdown(
        horizontal_bars(labels, share, "Customers per behavioural segment", "share of customers"),
        "segment sizes",
    )


@dg.asset(
    key=CUSTOMER_SEGMENT,
    deps=[PROFILE],
    group_name=SCORES.domain,
    owners=SCORES.owners,
    kinds={"scikit-learn", "duckdb"},
    metadata=_metadata("scores.customer_segment", "one row per profiled customer", columns.CUSTOMER_SEGMENT),
    pool="duckdb_writer",
)
def customer_segment(
    context: dg.AssetExecutionContext, config: SegmentationConfig, warehouse: Warehouse
) -> dg.MaterializeResult:
    """Each customer's behavioural segment as of the reference date, assigned by the frozen
    segmentation's classifier (ops.model_registry: segmentation + segment_classifier), so segments
    don't reshuffle overnight. Discovers a new version only when asked (rediscover_segments) or on
    the very first run."""
    ref = resolve_reference_date(context.run.tags, settings().reference_date)
    started = time.perf_counter()
    with warehouse.connect() as conn:
        profile = _read_profile(conn, ref)
        frozen = None if config.rediscover else load_frozen(conn)
        trigger = "rediscover requested" if config.rediscover else "no frozen segmentation (first run)"
        discovery_meta: dict = {}
        if frozen is None:
            context.log.info(f"discovering a new behavioural segmentation: {trigger}")
            readable = prepare.readable(prepare.buyers(profile))
            frozen, report = freeze(conn, readable, ref, context.run_id)
            _record_metrics(conn, context.run_id, ref, report.metric_rows)
            discovery_meta = {
                "discovery_trigger": trigger,
                "discovery_comparison": dg.MetadataValue.md(_md(report.comparison)),
                "discovery_choice": report.reason,
                "classifier_choice": report.classifier_reason,
                "holdout_accuracy": round(report.holdout_accuracy, 4),
                "discovery_seconds": round(report.seconds, 1),
            }
        assign_started = time.perf_counter()
        table = assign_all(frozen, profile, ref)
        assign_seconds = time.perf_counter() - assign_started
        previous = _previous(conn)
        day_to_day = {}
        if previous is not None and previous.height:
            same = previous.filter(
                (pl.col("segmentation_version") == frozen.version) & (pl.col("reference_date") != ref)
            )
            if same.height:
                day_to_day = stability(same, table)
                day_to_day["previous_reference_date"] = str(same["reference_date"].max())
        rows = _write(conn, "scores.customer_segment", table)
        _record_metrics(
            conn,
            context.run_id,
            ref,
            [("segment_assignment", "customers", float(rows))]
            + [
                ("segment_assignment", k, v)
                for k, v in day_to_day.items()
                if k in ("changed_share", "adjusted_rand", "customers_compared")
            ],
        )
    summary = (
        table.group_by("segment_id", "segment_name", "name_source")
        .agg(pl.len().alias("customers"))
        .with_columns((pl.col("customers") / rows).round(4).alias("share"))
        .sort("segment_id")
    )
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": rows,
            "reference_date": str(ref),
            "segmentation_version": frozen.version,
            "discovered_in_this_run": bool(discovery_meta),
            **discovery_meta,
            "classifier": frozen.classifier.method,
            "segments": dg.MetadataValue.md(_md(summary)),
            "segment_sizes": dg.MetadataValue.md(_sizes_chart(table)),
            "stability_vs_previous_run": dg.MetadataValue.json(day_to_day or {"compared": "no earlier day"}),
            "assign_seconds": round(assign_seconds, 2),
            "run_seconds": round(time.perf_counter() - started, 1),
        }
    )


@dg.asset(
    key=["scores", "segment_profile"],
    deps=[CUSTOMER_SEGMENT, PROFILE],
    group_name=SCORES.domain,
    owners=SCORES.owners,
    kinds={"polars", "duckdb"},
    metadata=_metadata(
        "scores.segment_profile",
        "one row per business unit (and ALL) and segment",
        columns.SEGMENT_PROFILE,
    ),
    pool="duckdb_writer",
)
def segment_profile(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    """Per behavioural segment and business unit: size, share of the last 12 months' value, the
    indicators that set it apart (lift and distance against the whole base) and its name (proposed
    from them at discovery, or marketing's, segment_names.csv)."""
    ref = resolve_reference_date(context.run.tags, settings().reference_date)
    with warehouse.connect() as conn:
        segments = conn.sql("select * from scores.customer_segment").pl()
        _same_day(segments, ref, "scores.customer_segment")
        profile = _read_profile(conn, ref)
        comparable = describe.comparable(prepare.readable(prepare.buyers(profile)))
        values = profile.select("customer_id", "monetary_12m", "currency_code")
        table = tables.segment_profile(segments, comparable, values).with_columns(
            pl.lit(ref).alias("reference_date"),
            # shares to 9 decimals: parallel float sums differ in the last bits from run
            # to run, and the same input must publish the same table
            pl.selectors.float().round(9),
        )
        rows = _write(conn, "scores.segment_profile", table)
    group = table.filter(pl.col("business_unit") == tables.GROUP).select(
        "segment_id",
        "segment_name",
        "name_source",
        "customers",
        pl.col("customer_share").round(3),
        "distinctive_indicators",
    )
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": rows,
            "reference_date": str(ref),
            "segments": dg.MetadataValue.md(_md(group)),
            "names_from_marketing": int((group["name_source"] == "marketing").sum()),
        }
    )


def _same_day(frame: pl.DataFrame, ref: date, table: str) -> None:
    dates = frame["reference_date"].unique().to_list()
    if dates != [ref]:
        raise ValueError(
            f"{table} is as of {dates}, this run is as of {ref}: materialise it in the same run first"
        )


@dg.asset(
    key=["scores", "segment_rfm_crosstab"],
    deps=[CUSTOMER_SEGMENT, RFM],
    group_name=SCORES.domain,
    owners=SCORES.owners,
    kinds={"polars", "duckdb"},
    metadata=_metadata(
        "scores.segment_rfm_crosstab",
        "one row per business unit (and ALL), behavioural and RFM segment",
        columns.SEGMENT_RFM_CROSSTAB,
    ),
    pool="duckdb_writer",
)
def segment_rfm_crosstab(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    """Behavioural segments crossed with RFM segments (customers, share of each, lift): which
    behaviours the Champions, the At risk or the Lost show, to pick an offer per cell."""
    ref = resolve_reference_date(context.run.tags, settings().reference_date)
    with warehouse.connect() as conn:
        segments = conn.sql("select * from scores.customer_segment").pl()
        _same_day(segments, ref, "scores.customer_segment")
        rfm = conn.sql("select customer_id, segment from features.customer_rfm").pl()
        table = tables.rfm_crosstab(segments, rfm).with_columns(pl.lit(ref).alias("reference_date"))
        rows = _write(conn, "scores.segment_rfm_crosstab", table)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": rows,
            "reference_date": str(ref),
            "crosstab_customers": dg.MetadataValue.md(_md(tables.crosstab_wide(table))),
        }
    )


rediscover_segments = dg.define_asset_job(
    "rediscover_segments",
    selection=dg.AssetSelection.assets(
        CUSTOMER_SEGMENT, ["scores", "segment_profile"], ["scores", "segment_rfm_crosstab"]
    ),
    config={"ops": {"scores__customer_segment": {"config": {"rediscover": True}}}},
    description=(
        "Discovers a new behavioural segmentation on today's profile and freezes it as a new version "
        "(ops.model_registry: segmentation + segment_classifier), then reassigns every customer. "
        "The daily refresh never does this on its own."
    ),
)
