"""The campaign results step: every measurable campaign's members with their revenue in the window,
measured treatment against control (measurement.py), written as activation.campaign_results. No Dagster."""

from __future__ import annotations

from datetime import date

import duckdb
import polars as pl

from platform_assets.activation import columns, measurement
from platform_assets.activation.audience_tables import CAMPAIGNS_MODEL, CONTACT_LOG_MODEL
from platform_assets.activation.store import AUDIENCE_HISTORY, RESULTS, RESULTS_BY_ARM
from platform_assets.lib.engine_queries import Scan, on_duckdb
from platform_assets.lib.metadata import polars_schema
from platform_assets.lib.tables import replace_tables_from_frames

RESULT_KEY = ("source", "campaign_code", "business_unit", "channel", "sent_on", "cascade_step")
BY_ARM_KEY = (*RESULT_KEY, "model_arm")


# what the members' query reads: the campaign tool's contacts, the platform's audiences, their sales
MEMBERS_READS = (
    CONTACT_LOG_MODEL,
    CAMPAIGNS_MODEL,
    "referential.customer_xref",
    AUDIENCE_HISTORY,
    "activation.channel_costs",
    "sales.fct_sales_lines",
)


def members_sql(ref: date) -> str:
    """Every measurable campaign member with their revenue in the window: the campaign tool's
    campaigns and the platform's audiences whose window ended by the reference date, and their net
    revenue in the ``PRE_PERIOD_DAYS`` before the send (the CUPED covariate)."""
    r = f"date '{ref.isoformat()}'"
    return f"""
    with tool as (
        select
            'campaign_tool' as source, l.campaign_code, c.country_code as business_unit, c.channel,
            c.sent_on, c.measurement_days, c.currency_code, c.cost_per_contact::double as cost_per_contact,
            1 as cascade_step, x.customer_id, null::varchar as model_arm,
            bool_or(l.contact_group = 'treatment') as treated,
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
            k.cost_per_contact::double as cost_per_contact, coalesce(h.cascade_step, 1) as cascade_step,
            h.customer_id, h.churn_model_arm as model_arm,
            h.audience_group = 'treatment' as treated, false as in_both_groups
        from {AUDIENCE_HISTORY} h
        left join activation.channel_costs k on k.business_unit = h.business_unit and k.channel = h.channel
    ),
    members as (
        select * from tool union all select * from platform
    )
    select
        m.source, m.campaign_code, m.business_unit, m.channel, m.sent_on, m.measurement_days,
        m.currency_code, m.cost_per_contact, m.cascade_step, m.customer_id, m.model_arm, m.treated,
        m.in_both_groups,
        coalesce(sum(s.net_amount), 0)::double as revenue,
        coalesce(bool_or(not s.is_return), false) as converted,
        any_value(coalesce(p.pre_revenue, 0))::double as pre_revenue
    from members m
    left join (
        select m.source, m.campaign_code, m.business_unit, m.sent_on, m.cascade_step, m.customer_id,
            sum(s.net_amount) as pre_revenue
        from members m
        join sales.fct_sales_lines s
            on s.customer_id = m.customer_id
            and not s.is_cancelled
            and s.currency_code = m.currency_code
            and s.sold_date >= m.sent_on - {measurement.PRE_PERIOD_DAYS}
            and s.sold_date < m.sent_on
        group by all
    ) p using (source, campaign_code, business_unit, sent_on, cascade_step, customer_id)
    left join sales.fct_sales_lines s
        on s.customer_id = m.customer_id
        and not s.is_cancelled
        and s.currency_code = m.currency_code
        and s.sold_date >= m.sent_on
        and s.sold_date < m.sent_on + m.measurement_days::integer
    where m.sent_on + m.measurement_days::integer <= {r}
    group by all
    """


def results_frame(
    members: pl.DataFrame, ref: date, key_columns: tuple[str, ...] = RESULT_KEY
) -> pl.DataFrame:
    """One row per campaign (``key_columns``: ``RESULT_KEY``, or with ``model_arm`` per churn model
    arm): the groups' revenue, the uplift and its intervals, cost, ROI."""
    rows = []
    # in a fixed order: the query returns rows in any order, and float sums (numpy's means and
    # variances) depend on it in their last digits - two runs on the same data must agree
    members = members.sort([*key_columns, "customer_id"])
    for key, part in members.group_by(list(key_columns), maintain_order=True):
        treated, control = part.filter(pl.col("treated")), part.filter(~pl.col("treated"))
        u = measurement.uplift(
            treated["revenue"].to_numpy(),
            control["revenue"].to_numpy(),
            treated["converted"].to_numpy(),
            control["converted"].to_numpy(),
        )
        adjusted = measurement.cuped(
            treated["revenue"].to_numpy(),
            control["revenue"].to_numpy(),
            treated["pre_revenue"].to_numpy(),
            control["pre_revenue"].to_numpy(),
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
                **dict(zip(key_columns, key, strict=True)),
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
                "cuped_incremental_revenue_per_customer": adjusted.estimate,
                "cuped_incremental_revenue_per_customer_ci_low": adjusted.ci_low,
                "cuped_incremental_revenue_per_customer_ci_high": adjusted.ci_high,
                "cuped_incremental_revenue": scale(adjusted.estimate),
                "cuped_incremental_revenue_ci_low": scale(adjusted.ci_low),
                "cuped_incremental_revenue_ci_high": scale(adjusted.ci_high),
                "cuped_theta": adjusted.theta,
                "pre_period_correlation": adjusted.correlation,
                "pre_period_days": measurement.PRE_PERIOD_DAYS,
                "conversion_rate_treatment": u.conversion_rate_treatment,
                "conversion_rate_control": u.conversion_rate_control,
                "cost_per_contact": cost_per_contact,
                "cost": cost,
                "roi": measurement.roi(incremental, cost) if cost is not None else None,
                "reference_date": ref,
            }
        )
    schema = polars_schema(
        columns.CAMPAIGN_RESULTS if key_columns == RESULT_KEY else columns.CAMPAIGN_RESULTS_BY_ARM
    )
    frame = pl.DataFrame(rows, schema=schema) if rows else pl.DataFrame(schema=schema)
    return frame.with_columns(
        window_end=pl.col("sent_on") + pl.duration(days=pl.col("measurement_days"))
    ).sort(list(key_columns))


def write_results(
    conn: duckdb.DuckDBPyConnection, ref: date, scan: Scan = on_duckdb
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, dict[str, int]]:
    """Measures every campaign whose window ended by ``ref``, and the platform's per churn model arm;
    returns (members, results, results by arm, rows written per table), both tables in one transaction.
    The members' sales in their windows are scanned where ``scan`` runs (lib/engine_queries.py)."""
    members = conn.sql(scan(members_sql(ref), MEMBERS_READS)).pl()
    results = results_frame(members, ref)
    by_arm = results_frame(members.filter(pl.col("model_arm").is_not_null()), ref, BY_ARM_KEY)
    rows = replace_tables_from_frames(
        conn,
        {
            RESULTS: results.select(columns_of(columns.CAMPAIGN_RESULTS)),
            RESULTS_BY_ARM: by_arm.select(columns_of(columns.CAMPAIGN_RESULTS_BY_ARM)),
        },
    )
    return members, results, by_arm, rows


def columns_of(schema: tuple) -> list[pl.Expr]:
    """The table's columns in order, cast to their documented types."""
    types = polars_schema(schema)
    return [pl.col(name).cast(types[name]) for name in types]


def audiences_in_window(conn: duckdb.DuckDBPyConnection, ref: date) -> int:
    """The platform's audiences (campaign, business unit, day) whose window has not ended yet."""
    [(pending,)] = conn.execute(
        f"select count(distinct (campaign_code, business_unit, reference_date)) from {AUDIENCE_HISTORY} "
        f"where reference_date + measurement_days > date '{ref.isoformat()}'"
    ).fetchall()
    return int(pending)


def results_shown(results: pl.DataFrame, extra: tuple[str, ...] = ()) -> pl.DataFrame:
    """The results as the run's metadata shows them: rounded, the key figures only."""
    return results.select(
        "source",
        "campaign_code",
        "business_unit",
        "channel",
        "sent_on",
        "cascade_step",
        *extra,
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
