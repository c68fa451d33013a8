"""Nothing lost: per source and load, rows read = rows accepted (raw) + rows quarantined + rows folded
(``distinct_on``: later rows of the same key), file by file.

Rows read and folded are what the loader recorded in ``ops.landing_files`` while reading each file;
accepted and quarantined rows are counted again from ``raw.<table>`` and ``quarantine.<table>``.
"""

from __future__ import annotations

import json

import dagster as dg
import duckdb

RECONCILIATION = "reconciliation"
QUARANTINE = "quarantine"
EXAMPLES = 5


def reconciliation_rows(conn: duckdb.DuckDBPyConnection, table: str, load_id: str) -> list[tuple]:
    """(file, read, accepted, quarantined, folded) for every file the load read."""
    return conn.execute(
        f"""
        with
        files as (
            select source_file, rows as read, coalesce(rows_folded, 0) as folded from ops.landing_files
            where raw_table = ? and load_id = ? and duplicate_of is null
        ),
        accepted as (
            select _source_file as source_file, count(*) as accepted from raw.{table}
            where _load_id = ? group by all
        ),
        quarantined as (
            select _source_file as source_file, count(*) as quarantined from quarantine.{table}
            where _load_id = ? group by all
        )
        select
            coalesce(f.source_file, a.source_file, q.source_file),
            coalesce(f.read, 0), coalesce(a.accepted, 0), coalesce(q.quarantined, 0), coalesce(f.folded, 0)
        from files f
        full join accepted a using (source_file)
        full join quarantined q using (source_file)
        order by 1
        """,
        [table, load_id, load_id, load_id],
    ).fetchall()


def reconciliation_check(conn: duckdb.DuckDBPyConnection, table: str, load_id: str) -> dg.AssetCheckResult:
    rows = reconciliation_rows(conn, table, load_id)
    read = sum(r[1] for r in rows)
    accepted = sum(r[2] for r in rows)
    quarantined = sum(r[3] for r in rows)
    folded = sum(r[4] for r in rows)
    off = [r for r in rows if r[1] != r[2] + r[3] + r[4]]
    skipped = conn.execute(
        "select source_file, duplicate_of from ops.landing_files where raw_table = ? and load_id = ? "
        "and duplicate_of is not null",
        [table, load_id],
    ).fetchall()
    table_md = "| file | read | accepted | quarantined | folded |\n|---|---|---|---|---|\n" + "\n".join(
        f"| {f} | {r:,} | {a:,} | {q:,} | {d:,} |" for f, r, a, q, d in (off or rows)[:50]
    )
    return dg.AssetCheckResult(
        asset_key=["raw", table],
        check_name=RECONCILIATION,
        passed=bool(rows) and not off,
        severity=dg.AssetCheckSeverity.ERROR,
        description=(
            f"{read:,} read = {accepted:,} accepted + {quarantined:,} quarantined"
            + (f" + {folded:,} folded (distinct_on)" if folded else "")
            if not off
            else f"{len(off)} file(s) where rows read != accepted + quarantined"
        ),
        metadata={
            "rows_read": read,
            "rows_accepted": accepted,
            "rows_quarantined": quarantined,
            "rows_folded": folded,
            "unaccounted_rows": read - accepted - quarantined - folded,
            "files": len(rows),
            "files_delivered_twice": dg.MetadataValue.json([{"file": f, "same_as": d} for f, d in skipped]),
            ("files_off" if off else "per_file"): dg.MetadataValue.md(table_md),
        },
    )


def quarantine_check(conn: duckdb.DuckDBPyConnection, table: str, load_id: str) -> dg.AssetCheckResult:
    """Warns (never blocks) when rows of the load went to quarantine; counts and examples per rule."""
    by_rule = conn.execute(
        f"select quarantine_rule, count(*) from quarantine.{table} where _load_id = ? group by 1 order by 2 desc",
        [load_id],
    ).fetchall()
    examples = {}
    for rule, _ in by_rule:
        frame = conn.execute(
            f"select * exclude (_load_id, _loaded_at, quarantine_rule) from quarantine.{table} "
            f"where _load_id = ? and quarantine_rule = ? order by _source_file, _row_number limit {EXAMPLES}",
            [load_id, rule],
        ).df()
        examples[rule] = json.loads(frame.to_json(orient="records", date_format="iso"))
    total = sum(n for _, n in by_rule)
    return dg.AssetCheckResult(
        asset_key=["raw", table],
        check_name=QUARANTINE,
        passed=total == 0,
        severity=dg.AssetCheckSeverity.WARN,
        description=f"{total:,} row(s) quarantined in quarantine.{table}" if total else "no row quarantined",
        metadata={
            "rows_quarantined": total,
            "by_rule": dg.MetadataValue.json(dict(by_rule)),
            "examples": dg.MetadataValue.json(examples),
            "dagster/table_name": f"quarantine.{table}",
        },
    )
