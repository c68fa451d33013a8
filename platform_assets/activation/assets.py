"""Activation assets: audiences (with holdouts, exclusions and contact history), exports, results.

Asset modules read, call, write and report: selection, holdout, exports and measurement hold the
logic (selection.py, holdout.py, exports.py, measurement.py).
"""

import time
from dataclasses import asdict
from datetime import UTC, date, datetime

import dagster as dg
import duckdb
import polars as pl

from platform_assets.activation import columns, exports, measurement
from platform_assets.activation.selection import GROUPS, REASONS, Selection, customers_sql, select_audiences
from platform_assets.config import resolve_reference_date, settings
from platform_assets.features.columns import table_schema
from platform_assets.governance.ownership import ACTIVATION
from platform_assets.privacy.erasure import SUPPRESSION_TABLE, table_exists
from platform_assets.resources import Warehouse

AUDIENCES = "activation.audiences"
EXCLUSIONS = "activation.audience_exclusions"
AUDIENCE_HISTORY = "activation.audience_history"
CONTACT_HISTORY = "activation.contact_history"
EXPORTS = "activation.audience_exports"
RESULTS = "activation.campaign_results"

_POLARS = {
    "varchar": pl.String,
    "date": pl.Date,
    "integer": pl.Int32,
    "bigint": pl.Int64,
    "double": pl.Float64,
    "timestamp": pl.Datetime("us"),
}

CAMPAIGNS_MODEL = "staging.stg_campaigns__campaigns"
CONTACT_LOG_MODEL = "staging.stg_campaigns__contact_log"

# What the past campaigns of the campaign tool contacted, per customer (CRM contact -> customer).
TOOL_CONTACTS_SQL = f"""
select
    x.customer_id,
    min(l.contacted_at)::date as contact_date,
    l.campaign_code,
    c.country_code as business_unit,
    c.channel,
    'campaign_tool' as source,
    null::varchar as run_id
from {CONTACT_LOG_MODEL} l
join {CAMPAIGNS_MODEL} c using (campaign_code)
join referential.customer_xref x on x.source_system = 'crm' and x.source_id = l.crm_contact_id
where l.contact_group = 'treatment' and l.contacted_at is not null
group by x.customer_id, l.campaign_code, c.country_code, c.channel
"""


def _spec(table: str, description: str, schema: tuple, grain: str, deps: list) -> dg.AssetSpec:
    return dg.AssetSpec(
        key=table.split("."),
        description=description,
        group_name=ACTIVATION.domain,
        owners=ACTIVATION.owners,
        kinds={"duckdb", "python"},
        deps=deps,
        metadata={
            **ACTIVATION.metadata,
            "grain": grain,
            "dagster/table_name": table,
            "dagster/column_schema": table_schema(schema),
        },
    )


def _md(frame: pl.DataFrame) -> str:
    if frame.is_empty():
        return "_none_"
    header = "| " + " | ".join(frame.columns) + " |"
    rule = "|" + "---|" * len(frame.columns)
    body = ["| " + " | ".join("" if v is None else str(v) for v in row) + " |" for row in frame.iter_rows()]
    return "\n".join([header, rule, *body])


def _select_list(schema: tuple) -> str:
    return ", ".join(f"{name}::{type_} as {name}" for name, type_, _ in schema)


def _replace(conn: duckdb.DuckDBPyConnection, table: str, schema: tuple, relation_sql: str) -> int:
    conn.execute(f"create or replace table {table} as select {_select_list(schema)} from ({relation_sql})")
    [(rows,)] = conn.execute(f"select count(*) from {table}").fetchall()
    return int(rows)


def _with_history(
    conn: duckdb.DuckDBPyConnection, table: str, schema: tuple, new_sql: str, keep_where: str
) -> int:
    """Rewrites ``table`` as its rows that ``keep_where`` keeps plus ``new_sql`` (a rerun of the day
    replaces that day's rows, other days stay)."""
    old = (
        f"select {_select_list(schema)} from {table} where {keep_where}"
        if table_exists(conn, table)
        else None
    )
    new = f"select {_select_list(schema)} from ({new_sql})"
    conn.execute(f"create or replace temp table _history_rows as {new}")
    if old:
        conn.execute(f"insert into _history_rows {old}")
    return _replace(conn, table, schema, "select * from _history_rows")


def _reference_date(context: dg.AssetExecutionContext) -> date:
    return resolve_reference_date(context.run.tags, settings().reference_date)


def _check_scores_are_current(conn: duckdb.DuckDBPyConnection, ref: date) -> None:
    for table in ("features.customer_rfm", "scores.customer_churn"):
        [(as_of,)] = conn.execute(f"select max(reference_date) from {table}").fetchall()
        if as_of != ref:
            raise ValueError(
                f"{table} is as of {as_of}, this run is as of {ref}: audiences must not be built on "
                "stale scores (materialise the scores in the same run first)"
            )


AUDIENCE_DEPS = [
    dg.AssetKey(["referential", "dim_customer"]),
    dg.AssetKey(["referential", "customer_xref"]),
    dg.AssetKey(["features", "customer_rfm"]),
    dg.AssetKey(["scores", "customer_segment"]),
    dg.AssetKey(["scores", "customer_churn"]),
    dg.AssetKey(["scores", "customer_life_moments"]),
    dg.AssetKey(["activation", "decision_matrix"]),
    dg.AssetKey(["activation", "contact_pressure"]),
    dg.AssetKey(["staging", "stg_campaigns__contact_log"]),
    dg.AssetKey(["staging", "stg_campaigns__campaigns"]),
]


@dg.multi_asset(
    specs=[
        _spec(
            AUDIENCES,
            "Campaign audiences of the run: per campaign and business unit, the customers the decision "
            "matrix selected who consented to the channel, are not erased and fit under the contact-pressure "
            "limit; a deterministic hashed share (CDP_HOLDOUT_SHARE, default 10 %) of each is the holdout, "
            "recorded and never contacted.",
            columns.AUDIENCES,
            "one row per reference date, campaign and customer",
            AUDIENCE_DEPS,
        ),
        _spec(
            EXCLUSIONS,
            "Customers a decision-matrix rule matched but who are not in the campaign's audience, with the "
            "reason: erased, no_consent, no_contact_data or pressure_limit. Matched = selected + excluded.",
            columns.AUDIENCE_EXCLUSIONS,
            "one row per reference date, campaign and excluded customer",
            AUDIENCE_DEPS,
        ),
        _spec(
            AUDIENCE_HISTORY,
            "Every run's audiences (treatment and holdout), kept so each audience is measured against its "
            "holdout once its window has passed (activation.campaign_results). A rerun replaces its day.",
            columns.AUDIENCE_HISTORY,
            "one row per reference date, campaign and customer",
            AUDIENCE_DEPS,
        ),
        _spec(
            CONTACT_HISTORY,
            "Every contact sent: the campaign tool's contact log (treated contacts) and the treatment members "
            "of the platform's audiences. Holdouts are not contacts. The contact-pressure limit counts it.",
            columns.CONTACT_HISTORY,
            "one row per customer, campaign and contact date",
            AUDIENCE_DEPS,
        ),
    ],
    pool="duckdb_writer",
    can_subset=False,
)
def audiences(context: dg.AssetExecutionContext, warehouse: Warehouse):
    cfg = settings()
    ref = _reference_date(context)
    started = time.perf_counter()
    with warehouse.connect() as conn:
        _check_scores_are_current(conn, ref)
        conn.execute(
            f"create or replace temp view customers as {customers_sql(table_exists(conn, SUPPRESSION_TABLE))}"
        )
        conn.execute("create or replace temp view rules as select * from activation.decision_matrix")
        conn.execute("create or replace temp view pressure as select * from activation.contact_pressure")
        previous = (
            f"select * from {CONTACT_HISTORY} where source = 'platform' and contact_date <> ?"
            if table_exists(conn, CONTACT_HISTORY)
            else None
        )
        conn.execute(
            "create or replace temp table contacts as "
            f"select {columns_of(columns.CONTACT_HISTORY)} from ({TOOL_CONTACTS_SQL})"
        )
        if previous:
            conn.execute(
                f"insert into contacts select {columns_of(columns.CONTACT_HISTORY)} from ({previous})", [ref]
            )
        select_audiences(conn, Selection(ref, cfg.holdout_salt, cfg.holdout_share))
        [(matched,)] = conn.execute(
            "select count(*) from (select distinct customer_id, campaign_code from audience_matched)"
        ).fetchall()
        [(selected,)] = conn.execute("select count(*) from audience_selected").fetchall()
        [(excluded,)] = conn.execute("select count(*) from audience_excluded").fetchall()
        if matched != selected + excluded:
            raise RuntimeError(
                f"audience accounting broken: {matched} matched (customer, campaign) pairs but "
                f"{selected} selected + {excluded} excluded"
            )
        conn.execute("begin transaction")
        try:
            rows_audiences = _replace(conn, AUDIENCES, columns.AUDIENCES, "select * from audience_selected")
            rows_excluded = _replace(
                conn, EXCLUSIONS, columns.AUDIENCE_EXCLUSIONS, "select * from audience_excluded"
            )
            rows_history = _with_history(
                conn,
                AUDIENCE_HISTORY,
                columns.AUDIENCE_HISTORY,
                f"select *, '{context.run_id}' as run_id from audience_selected",
                f"reference_date <> date '{ref.isoformat()}'",
            )
            sent = (
                "select customer_id, reference_date as contact_date, campaign_code, business_unit, channel, "
                f"'platform' as source, '{context.run_id}' as run_id from audience_selected "
                "where audience_group = 'treatment'"
            )
            rows_contacts = _replace(
                conn, CONTACT_HISTORY, columns.CONTACT_HISTORY, f"select * from contacts union all {sent}"
            )
            conn.execute("commit")
        except Exception:
            conn.execute("rollback")
            raise
        sizes = conn.sql(
            "select campaign_code, channel, business_unit, "
            "count(*) filter (where audience_group = 'treatment') as treatment, "
            "count(*) filter (where audience_group = 'holdout') as holdout, "
            "round(count(*) filter (where audience_group = 'holdout') / count(*), 4) as holdout_share "
            "from audience_selected group by all order by all"
        ).pl()
        bands = conn.sql(
            "select score_band, count(*) as members, count(*) filter (where audience_group = 'holdout') as holdout, "
            "round(count(*) filter (where audience_group = 'holdout') / count(*), 4) as holdout_share "
            "from audience_selected group by all order by all"
        ).pl()
        reasons = conn.sql(
            "select campaign_code, business_unit, "
            + ", ".join(f"count(*) filter (where reason = '{r}') as {r}" for r in REASONS)
            + " from audience_excluded group by all order by all"
        ).pl()
        totals = dict(
            conn.execute(
                "select reason, count(*) from audience_excluded group by all order by all"
            ).fetchall()
        )
        [(tool_contacts,)] = conn.execute(
            "select count(*) from contacts where source = 'campaign_tool'"
        ).fetchall()
    seconds = round(time.perf_counter() - started, 1)
    common = {"reference_date": str(ref), "run_seconds": seconds}
    groups = {g: int(sizes[g].sum()) if not sizes.is_empty() else 0 for g in GROUPS}
    yield dg.MaterializeResult(
        asset_key=AUDIENCES.split("."),
        metadata={
            "dagster/row_count": rows_audiences,
            **common,
            "matched_customer_campaigns": int(matched),
            "selected": int(selected),
            "treatment": groups["treatment"],
            "holdout": groups["holdout"],
            "holdout_share_setting": cfg.holdout_share,
            "audiences": dg.MetadataValue.md(_md(sizes)),
            "holdout_by_score_band": dg.MetadataValue.md(_md(bands)),
            "excluded_by_reason": dg.MetadataValue.json({r: int(totals.get(r, 0)) for r in REASONS}),
        },
    )
    yield dg.MaterializeResult(
        asset_key=EXCLUSIONS.split("."),
        metadata={
            "dagster/row_count": rows_excluded,
            **common,
            **{f"excluded_{r}": int(totals.get(r, 0)) for r in REASONS},
            "exclusions_by_campaign": dg.MetadataValue.md(_md(reasons)),
        },
    )
    yield dg.MaterializeResult(
        asset_key=AUDIENCE_HISTORY.split("."), metadata={"dagster/row_count": rows_history}
    )
    yield dg.MaterializeResult(
        asset_key=CONTACT_HISTORY.split("."),
        metadata={"dagster/row_count": rows_contacts, "campaign_tool_contacts": int(tool_contacts)},
    )


def columns_of(schema: tuple) -> str:
    return ", ".join(name for name, _, _ in schema)


@dg.asset(
    key=EXPORTS.split("."),
    deps=[dg.AssetKey(AUDIENCES.split(".")), dg.AssetKey(["referential", "dim_customer"])],
    description="Audience files handed to the contact tools: one CSV per campaign x channel x business unit "
    "(treatment members only, only the contact fields the channel needs) with a manifest (rows, sha256, "
    "generation time, reference date), under CDP_EXPORTS_DIR/activation/<reference date>/. One row per file.",
    group_name=ACTIVATION.domain,
    owners=ACTIVATION.owners,
    kinds={"duckdb", "csv"},
    metadata={
        **ACTIVATION.metadata,
        "grain": "one row per reference date, campaign, channel and business unit (one file)",
        "dagster/table_name": EXPORTS,
        "dagster/column_schema": table_schema(columns.AUDIENCE_EXPORTS),
    },
    pool="duckdb_writer",
)
def audience_exports(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    cfg = settings()
    ref = _reference_date(context)
    started = time.perf_counter()
    generated_at = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    with warehouse.connect() as conn:
        files = exports.write_exports(
            conn, AUDIENCES, "referential.dim_customer", cfg.exports_dir, ref, context.run_id, generated_at
        )
        frame = (
            pl.DataFrame([asdict(e) for e in files])
            if files
            else pl.DataFrame(schema={n: _POLARS[t] for n, t, _ in columns.AUDIENCE_EXPORTS})
        )
        conn.register("export_files", frame)
        rows = _with_history(
            conn,
            EXPORTS,
            columns.AUDIENCE_EXPORTS,
            "select * from export_files",
            f"reference_date <> date '{ref.isoformat()}'",
        )
        conn.unregister("export_files")
    listing = pl.DataFrame(
        {
            "file": [e.file_path for e in files],
            "rows": [e.rows for e in files],
            "columns": [e.columns for e in files],
        }
    )
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": rows,
            "reference_date": str(ref),
            "files": len(files),
            "customers_exported": sum(e.rows for e in files),
            "directory": dg.MetadataValue.path(str(cfg.exports_dir / exports.SUBDIR / ref.isoformat())),
            "exports": dg.MetadataValue.md(_md(listing)),
            "run_seconds": round(time.perf_counter() - started, 1),
        }
    )


def members_sql(ref: date) -> str:
    """Every measurable campaign member with their revenue in the window: the campaign tool's
    campaigns and the platform's audiences whose window ended by the reference date."""
    r = f"date '{ref.isoformat()}'"
    return f"""
    with tool as (
        select
            'campaign_tool' as source, l.campaign_code, c.country_code as business_unit, c.channel,
            c.sent_on, c.measurement_days, c.currency_code, c.cost_per_contact::double as cost_per_contact,
            x.customer_id, bool_or(l.contact_group = 'treatment') as treated,
            count(distinct l.contact_group) > 1 as in_both_groups
        from {CONTACT_LOG_MODEL} l
        join {CAMPAIGNS_MODEL} c using (campaign_code)
        join referential.customer_xref x on x.source_system = 'crm' and x.source_id = l.crm_contact_id
        group by all
    ),
    platform as (
        select
            'platform' as source, h.campaign_code, h.business_unit, h.channel,
            h.reference_date as sent_on, h.measurement_days, k.currency_code,
            k.cost_per_contact::double as cost_per_contact, h.customer_id,
            h.audience_group = 'treatment' as treated, false as in_both_groups
        from {AUDIENCE_HISTORY} h
        left join activation.channel_costs k on k.business_unit = h.business_unit and k.channel = h.channel
    ),
    members as (
        select * from tool union all select * from platform
    )
    select
        m.source, m.campaign_code, m.business_unit, m.channel, m.sent_on, m.measurement_days,
        m.currency_code, m.cost_per_contact, m.customer_id, m.treated, m.in_both_groups,
        coalesce(sum(s.net_amount), 0)::double as revenue,
        coalesce(bool_or(not s.is_return), false) as converted
    from members m
    left join sales.fct_sales_lines s
        on s.customer_id = m.customer_id
        and not s.is_cancelled
        and s.currency_code = m.currency_code
        and s.sold_date >= m.sent_on
        and s.sold_date < m.sent_on + m.measurement_days::integer
    where m.sent_on + m.measurement_days::integer <= {r}
    group by all
    """


RESULT_KEY = ("source", "campaign_code", "business_unit", "channel", "sent_on")


def results_frame(members: pl.DataFrame, ref: date) -> pl.DataFrame:
    rows = []
    for key, part in members.group_by(list(RESULT_KEY), maintain_order=True):
        treated, control = part.filter(pl.col("treated")), part.filter(~pl.col("treated"))
        u = measurement.uplift(
            treated["revenue"].to_numpy(),
            control["revenue"].to_numpy(),
            treated["converted"].to_numpy(),
            control["converted"].to_numpy(),
        )
        first = part.row(0, named=True)
        cost_per_contact = first["cost_per_contact"]
        cost = u.treated * cost_per_contact if cost_per_contact is not None else None
        n_treated = u.treated

        def scale(v: float | None, n: int = n_treated) -> float | None:
            return None if v is None else v * n

        incremental = scale(u.incremental_revenue_per_customer)
        rows.append(
            {
                **dict(zip(RESULT_KEY, key, strict=True)),
                "measurement_days": first["measurement_days"],
                "window_end": None,  # below, from sent_on and measurement_days
                "currency_code": first["currency_code"],
                "treated": u.treated,
                "control": u.control,
                "revenue_per_customer_treatment": u.revenue_per_customer_treatment,
                "revenue_per_customer_control": u.revenue_per_customer_control,
                "incremental_revenue_per_customer": u.incremental_revenue_per_customer,
                "incremental_revenue_per_customer_ci_low": u.incremental_revenue_per_customer_ci_low,
                "incremental_revenue_per_customer_ci_high": u.incremental_revenue_per_customer_ci_high,
                "incremental_revenue": incremental,
                "incremental_revenue_ci_low": scale(u.incremental_revenue_per_customer_ci_low),
                "incremental_revenue_ci_high": scale(u.incremental_revenue_per_customer_ci_high),
                "relative_uplift": u.relative_uplift,
                "relative_uplift_ci_low": u.relative_uplift_ci_low,
                "relative_uplift_ci_high": u.relative_uplift_ci_high,
                "p_value": u.p_value,
                "conversion_rate_treatment": u.conversion_rate_treatment,
                "conversion_rate_control": u.conversion_rate_control,
                "cost_per_contact": cost_per_contact,
                "cost": cost,
                "roi": measurement.roi(incremental, cost) if cost is not None else None,
                "reference_date": ref,
            }
        )
    schema = {name: _POLARS[type_] for name, type_, _ in columns.CAMPAIGN_RESULTS}
    frame = pl.DataFrame(rows, schema=schema) if rows else pl.DataFrame(schema=schema)
    return frame.with_columns(
        window_end=pl.col("sent_on") + pl.duration(days=pl.col("measurement_days"))
    ).sort(list(RESULT_KEY))


@dg.asset(
    key=RESULTS.split("."),
    deps=[
        dg.AssetKey(AUDIENCE_HISTORY.split(".")),
        dg.AssetKey(["staging", "stg_campaigns__campaigns"]),
        dg.AssetKey(["staging", "stg_campaigns__contact_log"]),
        dg.AssetKey(["referential", "customer_xref"]),
        dg.AssetKey(["sales", "fct_sales_lines"]),
        dg.AssetKey(["activation", "channel_costs"]),
    ],
    description="Measured campaigns: per campaign (the campaign tool's, and the platform's audiences once their "
    "window has passed), business unit, channel and send day, revenue per customer in treatment and control "
    "over the window, incremental revenue with a 95 % Welch interval, relative uplift (95 % interval, delta "
    "method), conversion rates, cost and ROI.",
    group_name=ACTIVATION.domain,
    owners=ACTIVATION.owners,
    kinds={"duckdb", "scipy"},
    metadata={
        **ACTIVATION.metadata,
        "grain": "one row per source, campaign, business unit, channel and send day",
        "dagster/table_name": RESULTS,
        "dagster/column_schema": table_schema(columns.CAMPAIGN_RESULTS),
    },
    pool="duckdb_writer",
)
def campaign_results(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    ref = _reference_date(context)
    started = time.perf_counter()
    with warehouse.connect() as conn:
        members = conn.sql(members_sql(ref)).pl()
        results = results_frame(members, ref)
        conn.register("campaign_results_frame", results)
        rows = _replace(conn, RESULTS, columns.CAMPAIGN_RESULTS, "select * from campaign_results_frame")
        conn.unregister("campaign_results_frame")
        [(pending,)] = conn.execute(
            f"select count(distinct (campaign_code, business_unit, reference_date)) from {AUDIENCE_HISTORY} "
            f"where reference_date + measurement_days > date '{ref.isoformat()}'"
        ).fetchall()
    both = int(members.filter(pl.col("in_both_groups"))["customer_id"].n_unique()) if members.height else 0
    shown = results.select(
        "source",
        "campaign_code",
        "business_unit",
        "channel",
        "sent_on",
        "treated",
        "control",
        pl.col("incremental_revenue_per_customer").round(2),
        pl.col("incremental_revenue_per_customer_ci_low").round(2).alias("ci_low"),
        pl.col("incremental_revenue_per_customer_ci_high").round(2).alias("ci_high"),
        pl.col("relative_uplift").round(3),
        pl.col("incremental_revenue").round(0),
        pl.col("roi").round(2),
        "currency_code",
    )
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": rows,
            "reference_date": str(ref),
            "campaigns_measured": rows,
            "platform_audiences_in_window": int(pending),
            "customers_in_both_groups_of_a_tool_campaign": both,
            "results": dg.MetadataValue.md(_md(shown)),
            "run_seconds": round(time.perf_counter() - started, 1),
        }
    )
