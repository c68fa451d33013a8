"""Reads of a local score: its features as of a cutoff, and who had its event in a window.

Features as of ``cutoff`` see nothing on or after it: the profile is the features package's own
(``features.profile.customer_profile``) recomputed as of the cutoff, and the declaration's SQL reads
dated facts filtered by ``$cutoff`` (declaration.py refuses it otherwise). The population: customers
of the score's business unit with a purchase in the two years before the cutoff.
"""

from __future__ import annotations

from datetime import date, timedelta

import duckdb

from platform_assets.features import profile
from platform_assets.lib.engine_queries import Scan, on_duckdb
from platform_assets.lib.tables import sql_literal
from platform_assets.scores.local.declaration import (
    EmailTarget,
    LocalScore,
    LocalScoreRefused,
    PurchaseTarget,
    SqlTarget,
    WebTarget,
)

HISTORY_DAYS = 730


def features_as_of(
    conn: duckdb.DuckDBPyConnection,
    score: LocalScore,
    cutoff: date,
    absent: tuple[str, ...],
    profile_table: str | None = None,
    scan: Scan = on_duckdb,
):
    """customer_id and the declared features (polars), one row per customer of the population.
    ``profile_table``: a table already holding the profile as of ``cutoff`` (else it is computed, its
    facts scanned where ``scan`` runs: lib/engine_queries.py)."""
    import polars as pl

    if profile_table is None:
        relation = profile.customer_profile(conn, cutoff, absent, scan)
    else:
        relation = conn.sql(f"select * from {profile_table}")
    columns = score.profile_columns
    _check_profile_columns(score, set(relation.columns))
    selected = ", ".join(["customer_id", *(f'"{c}"::double as "{c}"' for c in columns)])
    frame = conn.sql(
        f"select {selected} from ({relation.sql_query()}) where business_unit = $bu "
        "and last_purchase_date >= $since order by customer_id",
        params={"bu": score.business_unit, "since": cutoff - timedelta(days=HISTORY_DAYS)},
    ).pl()
    if score.feature_sql:
        try:
            extra = conn.sql(score.feature_sql, params={"cutoff": cutoff}).pl()
        except duckdb.Error as error:
            raise LocalScoreRefused(f"{score.path}: features.sql: {str(error).splitlines()[0]}") from None
        _check_sql_features(score, extra)
        extra = extra.with_columns(pl.exclude("customer_id").cast(pl.Float64))
        clash = set(extra.columns) & set(frame.columns) - {"customer_id"}
        if clash:
            raise LocalScoreRefused(
                f"{score.path}: features.sql: columns {sorted(clash)} repeat profile columns"
            )
        frame = frame.join(extra, on="customer_id", how="left")
    return frame


def _check_profile_columns(score: LocalScore, available: set[str]) -> None:
    missing = [c for c in score.profile_columns if c not in available]
    if missing:
        shares = sorted(c for c in available if c.startswith("spend_share_"))
        raise LocalScoreRefused(
            f"{score.path}: features.columns: unknown column(s) {missing} of features.customer_profile "
            f"(department shares of this catalogue: {', '.join(shares) or 'none'})"
        )


def _check_sql_features(score: LocalScore, frame) -> None:
    import polars as pl

    where = f"{score.path}: features.sql"
    if "customer_id" not in frame.columns:
        raise LocalScoreRefused(f"{where}: the query must return customer_id")
    if frame["customer_id"].is_duplicated().any():
        raise LocalScoreRefused(f"{where}: the query returns a customer_id more than once")
    bad = [
        c for c, t in frame.schema.items() if c != "customer_id" and not (t.is_numeric() or t == pl.Boolean)
    ]
    if bad:
        raise LocalScoreRefused(f"{where}: columns {bad} are not numbers or booleans")


def _names(values) -> str:
    return ", ".join(sql_literal(v) for v in values)


def target_sql(score: LocalScore) -> str:
    """A query of the customers with the score's event in ``[$start, $end)``."""
    target = score.declaration.target
    if isinstance(target, PurchaseTarget):
        where = []
        if target.departments:
            where.append(f"p.department_name in ({_names(target.departments)})")
        if target.categories:
            where.append(f"p.category_name in ({_names(target.categories)})")
        return (
            "select distinct l.customer_id from sales.fct_sales_lines as l "
            "join referential.dim_product as p using (product_id) "
            "where l.customer_id is not null and not l.is_cancelled and not l.is_return "
            f"and l.sold_date >= $start and l.sold_date < $end and ({' or '.join(where)})"
        )
    if isinstance(target, EmailTarget):
        return (
            "select distinct customer_id from marketing.fct_email_events where customer_id is not null "
            f"and event_type in ({_names(target.event_types)}) "
            "and event_at >= $start::timestamp and event_at < $end::timestamp"
        )
    if isinstance(target, WebTarget):
        departments = (
            "and department_id in (select department_id from referential.dim_product "
            f"where department_name in ({_names(target.departments)}))"
            if target.departments
            else ""
        )
        return (
            "select distinct customer_id from marketing.fct_web_events where customer_id is not null "
            f"and event_type in ({_names(target.event_types)}) "
            f"and event_date >= $start and event_date < $end {departments}"
        )
    assert isinstance(target, SqlTarget)
    return score.target_sql


def check_catalogue_names(conn: duckdb.DuckDBPyConnection, score: LocalScore) -> None:
    """The departments and categories a target names are the catalogue's."""
    target = score.declaration.target
    for field, column in (("departments", "department_name"), ("categories", "category_name")):
        names = getattr(target, field, ())
        if not names:
            continue
        known = {
            n for (n,) in conn.execute(f"select distinct {column} from referential.dim_product").fetchall()
        }
        if unknown := [n for n in names if n not in known]:
            raise LocalScoreRefused(
                f"{score.path}: target.{field}: {unknown} not in the catalogue "
                f"({', '.join(sorted(str(k) for k in known if k))})"
            )


# the facts each kind of declared target reads (a `sql` target is the retailer's own DuckDB SQL)
TARGET_READS = {
    PurchaseTarget: ("sales.fct_sales_lines", "referential.dim_product"),
    EmailTarget: ("marketing.fct_email_events",),
    WebTarget: ("marketing.fct_web_events", "referential.dim_product"),
}


def had_event(
    conn: duckdb.DuckDBPyConnection, score: LocalScore, start: date, end: date, scan: Scan = on_duckdb
) -> set[str]:
    """customer_id of everyone with the score's event in ``[start, end)``: a declared purchase, e-mail
    or web target scanned where ``scan`` runs (lib/engine_queries.py); a ``sql`` target, written by the
    retailer in DuckDB's SQL, in the working file."""
    sql = target_sql(score)
    try:
        reads = TARGET_READS.get(type(score.declaration.target))
        if reads is None:
            rows = conn.execute(sql, {"start": start, "end": end}).fetchall()
        else:
            dated = sql.replace("$start", f"date '{start.isoformat()}'").replace(
                "$end", f"date '{end.isoformat()}'"
            )
            rows = conn.execute(scan(dated, reads)).fetchall()
    except duckdb.Error as error:
        raise LocalScoreRefused(f"{score.path}: target: {str(error).splitlines()[0]}") from None
    return {customer for (customer,) in rows}
