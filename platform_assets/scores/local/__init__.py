"""Local scores: a business unit declares a score in a file; the platform builds, backtests, scores,
registers and governs it like a global one (README.md)."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from platform_assets.scores.local.assets import declarations_asset, score_asset, score_checks
from platform_assets.scores.local.declaration import load_declarations


def documented_tables(upstream: dg.Definitions) -> dict[str, frozenset[str]]:
    """``schema.table`` -> its documented columns (the asset's column schema), from ``upstream``."""
    tables = {}
    for assets in upstream.assets or []:
        if not isinstance(assets, dg.AssetsDefinition):
            continue
        for spec in assets.specs:
            schema = spec.metadata.get("dagster/column_schema")
            if isinstance(schema, dg.TableSchema) and len(spec.key.path) == 2:
                tables[".".join(spec.key.path)] = frozenset(c.name for c in schema.columns)
    return tables


def defs_for(
    folder: Path | None, business_units: tuple[str, ...], upstream: dg.Definitions
) -> dg.Definitions:
    """An asset and two checks per declaration under ``folder`` that loads; the register of all."""
    if folder is None:
        return dg.Definitions()
    loaded, refused = load_declarations(folder, business_units, documented_tables(upstream))
    register, register_check = declarations_asset(folder, loaded, refused)
    return dg.Definitions(
        assets=[register, *(score_asset(s) for s in loaded)],
        asset_checks=[register_check, *(c for s in loaded for c in score_checks(s))],
    )
