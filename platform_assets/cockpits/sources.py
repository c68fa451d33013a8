"""What the cockpits read: the published analyst files (the current one, the kept snapshots), opened
read-only, and only as aggregates (counts and sums per business unit): the pages never hold a customer.

Each reader returns plain data; a table the current file lacks comes back as a ``Missing`` saying
which table and since which kept publication it is gone, never as an error.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb

ANALYST = "analyst.duckdb"
PSI_BINS = 10


@dataclass(frozen=True)
class Snapshot:
    name: str  # directory under snapshots/ ("" for a published directory without snapshots)
    path: Path  # its analyst file
    run_id: str
    reference_date: date
    published_at: str
    tables: frozenset[str]  # schema.table


@dataclass(frozen=True)
class Missing:
    table: str
    since: str  # a sentence: since which publication it is missing

    @property
    def message(self) -> str:
        return f"{self.table} is not in the published analyst file ({self.since})."


@dataclass
class Sources:
    """The current publication and the kept ones before it, attached to one in-memory connection
    as ``cur``, ``prev`` (the one before, if kept) and ``s0``.. (every kept one, oldest first)."""

    conn: duckdb.DuckDBPyConnection
    current: Snapshot
    kept: list[Snapshot]  # oldest first, the current one last
    manifest: dict = field(default_factory=dict)

    @property
    def previous(self) -> Snapshot | None:
        return self.kept[-2] if len(self.kept) > 1 else None

    def has(self, table: str) -> bool:
        return table in self.current.tables

    def missing(self, table: str) -> Missing | None:
        """None when the current file has ``table``; else what is missing and since when."""
        if self.has(table):
            return None
        having = [s for s in self.kept if table in s.tables]
        if not having:
            return Missing(table, f"absent from all {len(self.kept)} kept publication(s)")
        last = having[-1]
        after = self.kept[self.kept.index(last) + 1]
        return Missing(
            table,
            f"missing since the publication of {after.published_at} (run {after.run_id[:8]}); "
            f"last published as of {last.reference_date} by run {last.run_id[:8]}",
        )


def open_sources(published_dir: Path) -> Sources:
    """Attaches the current analyst file and the kept snapshots read-only."""
    manifest_path = published_dir / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    root = published_dir / "snapshots"
    paths = sorted(p / ANALYST for p in root.iterdir() if (p / ANALYST).exists()) if root.is_dir() else []
    current_name = manifest.get("snapshot")
    if current_name and (root / current_name / ANALYST).exists():
        paths = [p for p in paths if p.parent.name <= current_name]
    elif (published_dir / ANALYST).exists():
        paths = [published_dir / ANALYST]
    if not paths:
        raise FileNotFoundError(f"no published analyst file under {published_dir}: run the publication first")
    conn = duckdb.connect()
    kept = []
    for i, path in enumerate(paths):
        alias = f"s{i}"
        conn.execute(f"attach '{path}' as {alias} (read_only)")
        kept.append(_snapshot(conn, alias, path, path.parent.name if path.parent != published_dir else ""))
    conn.execute(f"attach '{paths[-1]}' as cur (read_only)")
    if len(paths) > 1:
        conn.execute(f"attach '{paths[-2]}' as prev (read_only)")
    return Sources(conn, kept[-1], kept, manifest)


def _snapshot(conn: duckdb.DuckDBPyConnection, alias: str, path: Path, name: str) -> Snapshot:
    tables = frozenset(
        f"{s}.{t}"
        for s, t in conn.execute(
            "select schema_name, table_name from duckdb_tables() where database_name = ?", [alias]
        ).fetchall()
    )
    run_id, reference_date, published_at = conn.execute(
        f"select run_id, reference_date, published_at::varchar from {alias}.ops.publication"
    ).fetchone()
    return Snapshot(name, path, run_id, reference_date, published_at, tables)


def rows(conn: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    cursor = conn.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


# ---- Command Center ---------------------------------------------------------------------------


def business_units(src: Sources) -> list[dict]:
    if not src.has("referential.business_units"):
        return []
    return rows(
        src.conn,
        "select country_code as business_unit, business_unit_name, currency_code "
        "from cur.referential.business_units order by country_code",
    )


def activity(src: Sources) -> list[dict]:
    """Per business unit: customers with an order in the 12 months before the reference date, and
    the net revenue of those orders (cancelled orders and anonymous tickets left out)."""
    return rows(
        src.conn,
        "select country_code as business_unit, count(distinct customer_id) as active_customers, "
        "sum(net_amount)::double as revenue_12m, count(*) as orders_12m "
        "from cur.sales.fct_orders where not coalesce(is_cancelled, false) and customer_id is not null "
        "and ordered_date >= ?::date - interval 365 day and ordered_date < ?::date "
        "group by all order by 1",
        [src.current.reference_date, src.current.reference_date],
    )


def value_tiers(src: Sources) -> list[dict]:
    return rows(
        src.conn,
        "select business_unit, value_tier, count(*) as customers, sum(expected_value) as expected_value, "
        "min(value_rank_share) as rank_from from cur.features.customer_clv group by all order by 1, rank_from",
    )


def churn_bands(src: Sources) -> list[dict]:
    """Customers per churn band, in every kept publication that has the scores (the trend)."""
    out = []
    for i, snap in enumerate(src.kept):
        if "scores.customer_churn" not in snap.tables:
            continue
        for row in rows(
            src.conn,
            f"select business_unit, churn_band, count(*) as customers, avg(churn_probability) as mean_probability "
            f"from s{i}.scores.customer_churn group by all order by 1, mean_probability",
        ):
            out.append({**row, "reference_date": snap.reference_date, "run_id": snap.run_id, "snapshot": i})
    return out


def rfm_segments(src: Sources) -> list[dict]:
    return rows(
        src.conn,
        "select business_unit, segment, count(*) as customers, sum(monetary) as monetary "
        "from cur.features.customer_rfm group by all order by 1, customers desc",
    )


def rfm_migration(src: Sources) -> list[dict]:
    """Customers per business unit, previous segment and current segment (customers in both)."""
    return rows(
        src.conn,
        "select c.business_unit, p.segment as previous, c.segment as current, count(*) as customers "
        "from cur.features.customer_rfm c join prev.features.customer_rfm p using (customer_id) "
        "group by all order by all",
    )


def channel_ltv_cac(src: Sources) -> list[dict]:
    return rows(src.conn, "from cur.marketing.channel_ltv_cac order by business_unit, acquisition_channel")


# ---- Model performance ------------------------------------------------------------------------


def model_metrics(src: Sources) -> list[dict]:
    return rows(
        src.conn,
        "select run_id, model, business_unit, metric, value, reference_date, computed_at::varchar as computed_at "
        "from cur.ops.model_metrics where isfinite(value) order by computed_at, model, business_unit, metric",
    )


SCORES_FOR_PSI = (
    ("churn", "scores.customer_churn", "churn_probability"),
    ("customer value (CLV)", "features.customer_clv", "expected_value"),
)


def score_drift(src: Sources) -> list[dict]:
    """Per score and business unit: the current publication's histogram over the previous one's
    deciles, and the previous histogram (counts only: PSI is computed from them)."""
    out = []
    for score, table, column in SCORES_FOR_PSI:
        if src.previous is None or not src.has(table) or table not in src.previous.tables:
            continue
        edges = rows(
            src.conn,
            f"select business_unit, quantile_cont({column}, [{', '.join(str(i / PSI_BINS) for i in range(1, PSI_BINS))}]) "
            f"as edges from prev.{table} group by all order by 1",
        )
        for e in edges:
            cuts = sorted(set(e["edges"]))
            case = " ".join(f"when {column} <= {c!r} then {i}" for i, c in enumerate(cuts))
            counts = {}
            for alias in ("prev", "cur"):
                hist = dict(
                    src.conn.execute(
                        f"select case {case} else {len(cuts)} end as bin, count(*) from {alias}.{table} "
                        f"where business_unit = ? and {column} is not null group by all",
                        [e["business_unit"]],
                    ).fetchall()
                )
                counts[alias] = [int(hist.get(i, 0)) for i in range(len(cuts) + 1)]
            out.append(
                {
                    "score": score,
                    "business_unit": e["business_unit"],
                    "previous": counts["prev"],
                    "current": counts["cur"],
                }
            )
    return out


# ---- Campaign performance ---------------------------------------------------------------------


def campaign_results(src: Sources) -> list[dict]:
    return rows(
        src.conn,
        "from cur.activation.campaign_results order by business_unit, sent_on, campaign_code, channel",
    )


def audience_summary(src: Sources) -> list[dict]:
    return rows(
        src.conn,
        "select campaign_code, business_unit, coalesce(channel, '') as channel, status, coalesce(reason, '') as reason, "
        "customers from cur.activation.audience_summary order by business_unit, campaign_code, status, channel, reason",
    )


def contact_pressure(src: Sources) -> list[dict]:
    return rows(src.conn, "from cur.activation.contact_pressure order by business_unit")


def pressure_distribution(src: Sources) -> list[dict]:
    """Per business unit, customers by contacts received in the pressure window, beside the limit."""
    return rows(
        src.conn,
        "select business_unit, contacts, customers, max_contacts, period_days, over_limit "
        "from cur.activation.contact_pressure_distribution order by business_unit, contacts",
    )


# ---- Data health ------------------------------------------------------------------------------


def landing_sources(src: Sources) -> list[dict]:
    """Per raw table (source): its last load, rows and quarantined rows of that load."""
    return rows(
        src.conn,
        "select raw_table, max(loaded_at)::varchar as last_loaded_at, "
        "sum(rows) filter (where load_id = (select max_by(load_id, loaded_at) from cur.ops.landing_files)) as rows_last_load, "
        "sum(rows_quarantined) filter (where load_id = (select max_by(load_id, loaded_at) from cur.ops.landing_files)) as quarantined_last_load, "
        "count(distinct source_file) as files, sum(rows) as rows_all_loads "
        "from cur.ops.landing_files group by all order by 1",
    )


def _last_load(src: Sources) -> str:
    """The last load of the landing step (ops.landing_files when published, else the quarantine counts')."""
    table = "ops.landing_files" if src.has("ops.landing_files") else "ops.quarantine_by_rule"
    return f"(select max_by(load_id, loaded_at) from cur.{table})"


def quarantine_by_rule(src: Sources) -> list[dict]:
    """Rows the last load quarantined, per source, business unit (null: the source has none) and rule."""
    return rows(
        src.conn,
        "select raw_table, business_unit, quarantine_rule, sum(rows)::bigint as rows "
        f"from cur.ops.quarantine_by_rule where load_id = {_last_load(src)} group by all order by all",
    )


def check_results(src: Sources) -> list[dict]:
    """The publishing run's checks per kind, blocking or not, and outcome."""
    return rows(
        src.conn,
        "select check_kind, blocking, outcome, count(*) as checks from cur.ops.check_results "
        "group by all order by all",
    )


def checks_not_passed(src: Sources) -> list[dict]:
    return rows(
        src.conn,
        "select asset_key, check_name, check_kind, outcome from cur.ops.check_results "
        "where outcome <> 'passed' order by all",
    )


def sales_freshness(src: Sources) -> list[dict]:
    """Per business unit: the last order day, days from it to the reference date, and the orders of
    the 7 days before the reference date (cancelled ones included: this is about data arriving)."""
    return rows(
        src.conn,
        "select country_code as business_unit, max(ordered_date) as last_order_date, "
        "?::date - max(ordered_date) as days_since_last_order, "
        "count(*) filter (where ordered_date >= ?::date - 7 and ordered_date < ?::date) as orders_7d "
        "from cur.sales.fct_orders group by all order by 1",
        [src.current.reference_date] * 3,
    )


def identity_quality(src: Sources) -> list[dict]:
    return rows(
        src.conn,
        "select measured_at::varchar as measured_at, records, clusters, precision, recall, f1, false_merges, "
        "cluster_purity from cur.ops.identity_match_quality order by measured_at desc limit 7",
    )


def published_tables(src: Sources) -> list[dict]:
    return rows(
        src.conn, "select schema_name, table_name, row_count from cur.ops.published_tables order by 1, 2"
    )
