"""The contract's primary key holds on every row of ``raw.<table>`` (after quarantine): a blocking
check of the landing step, counted in SQL on the whole table (never a sample). Key parts are read
in their contract type, so '01' and '1' are the same line number.
"""

from __future__ import annotations

import time

import dagster as dg
import duckdb

from platform_assets.landing.contracts import SourceContract, typed_sql

PRIMARY_KEY = "primary_key"


def key_violations(conn: duckdb.DuckDBPyConnection, contract: SourceContract) -> dict[str, int]:
    """``duplicate_key`` (rows of a repeated key) and ``null_key`` (rows missing a key part)."""
    columns = {c.name: c for c in contract.columns}
    parts = ", ".join(f"{typed_sql(columns[name])} as k{n}" for n, name in enumerate(contract.primary_key))
    missing = " or ".join(f"k{n} is null" for n in range(len(contract.primary_key)))
    # one aggregation over the key (cheaper than a window on the biggest raw tables)
    [(duplicate, null)] = conn.execute(
        f"""
        with keys as (select {parts}, count(*) as n from raw.{contract.table} group by all)
        select
            coalesce(sum(n) filter (where n > 1 and not ({missing})), 0),
            coalesce(sum(n) filter (where {missing}), 0)
        from keys
        """
    ).fetchall()
    return {"duplicate_key": int(duplicate), "null_key": int(null)}


def primary_key_check(conn: duckdb.DuckDBPyConnection, contract: SourceContract) -> dg.AssetCheckResult:
    started = time.perf_counter()
    counts = key_violations(conn, contract)
    return dg.AssetCheckResult(
        asset_key=dg.AssetKey(["raw", contract.table]),
        check_name=PRIMARY_KEY,
        passed=not any(counts.values()),
        severity=dg.AssetCheckSeverity.ERROR,
        description=f"key ({', '.join(contract.primary_key)}): "
        f"{counts['duplicate_key']:,} rows of a repeated key, {counts['null_key']:,} with a missing part",
        metadata={
            "key": ", ".join(contract.primary_key),
            **counts,
            "seconds": round(time.perf_counter() - started, 2),
        },
    )
