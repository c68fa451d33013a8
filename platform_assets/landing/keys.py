"""The contract's primary key holds on every row of ``raw.<table>`` (after quarantine): a blocking
check of the landing step, counted in SQL on the whole table (never a sample). Key parts are read
in their contract type, so '01' and '1' are the same line number.
"""

from __future__ import annotations

import dagster as dg
import duckdb

from platform_assets.landing.contracts import SourceContract
from platform_assets.lib.gates import key_rules, violations
from platform_assets.quality.rules import typed_columns

PRIMARY_KEY = "primary_key"


def key_violations(conn: duckdb.DuckDBPyConnection, contract: SourceContract) -> dict[str, int]:
    """``null_key`` and ``duplicate_key``: rows of ``raw.<table>`` breaking the contract's key."""
    typed = typed_columns(contract)
    key = [f'"{c}"' for c in contract.primary_key]
    select = ", ".join(f"{typed(c)} as {q}" for c, q in zip(contract.primary_key, key, strict=True))
    return violations(conn, f"(select {select} from raw.{contract.table}) as keyed", key_rules(key))


def primary_key_check(conn: duckdb.DuckDBPyConnection, contract: SourceContract) -> dg.AssetCheckResult:
    counts = key_violations(conn, contract)
    return dg.AssetCheckResult(
        asset_key=dg.AssetKey(["raw", contract.table]),
        check_name=PRIMARY_KEY,
        passed=not any(counts.values()),
        severity=dg.AssetCheckSeverity.ERROR,
        description=f"key ({', '.join(contract.primary_key)}): "
        f"{counts['duplicate_key']:,} rows of a repeated key, {counts['null_key']:,} with a missing part",
        metadata={"key": ", ".join(contract.primary_key), **counts},
    )
