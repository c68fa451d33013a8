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


def over_limit(
    conn: duckdb.DuckDBPyConnection, table: str, load_id: str, max_share: float
) -> list[tuple[str, int, int, str]]:
    """(file or 'the whole load', rows read, rows quarantined, its main rule) where the quarantined
    share is above ``max_share``; read and quarantined rows as the loader recorded them."""
    files = conn.execute(
        "select source_file, rows, rows_quarantined from ops.landing_files "
        "where load_id = ? and raw_table = ? and duplicate_of is null and rows > 0 order by source_file",
        [load_id, table],
    ).fetchall()
    main_rules = dict(
        conn.execute(
            f"select _source_file, mode(quarantine_rule) from quarantine.{table} where _load_id = ? group by 1",
            [load_id],
        ).fetchall()
    )
    over = [(f, read, q, main_rules.get(f, "")) for f, read, q in files if q > max_share * read]
    read, quarantined = sum(f[1] for f in files), sum(f[2] for f in files)
    if read and quarantined > max_share * read and len(files) > 1:
        rule = conn.execute(
            f"select mode(quarantine_rule) from quarantine.{table} where _load_id = ?", [load_id]
        ).fetchone()[0]
        over.append(("the whole load", read, quarantined, rule))
    return over


def quarantine_check(
    conn: duckdb.DuckDBPyConnection, table: str, load_id: str, max_share: float = 1.0
) -> dg.AssetCheckResult:
    """Warns when rows of the load went to quarantine (counts and examples per rule); fails with
    ERROR, which blocks everything downstream and the publication, when a file's or the load's
    quarantined share is above ``max_share`` (the retailer's ``max_quarantined_share``)."""
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
    over = over_limit(conn, table, load_id, max_share) if total else []
    if over:
        description = (
            f"quarantine above the limit of {max_share:.1%} of rows, nothing published: "
            + "; ".join(
                f"{where}: {q:,} of {read:,} rows ({q / read:.1%}), mostly {rule}"
                for where, read, q, rule in over
            )
        )
    elif total:
        description = f"{total:,} row(s) quarantined in quarantine.{table} (within the {max_share:.1%} limit)"
    else:
        description = "no row quarantined"
    return dg.AssetCheckResult(
        asset_key=["raw", table],
        check_name=QUARANTINE,
        passed=total == 0,
        severity=dg.AssetCheckSeverity.ERROR if over else dg.AssetCheckSeverity.WARN,
        description=description,
        metadata={
            "rows_quarantined": total,
            "max_quarantined_share": max_share,
            "over_limit": dg.MetadataValue.json(
                [{"file": w, "rows_read": r, "rows_quarantined": q, "main_rule": m} for w, r, q, m in over]
            ),
            "by_rule": dg.MetadataValue.json(dict(by_rule)),
            "examples": dg.MetadataValue.json(examples),
            "dagster/table_name": f"quarantine.{table}",
        },
    )
