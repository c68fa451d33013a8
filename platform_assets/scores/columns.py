"""Column documentation of score tables built from polars frames: (name, type, description) triples
for ``lib.metadata.asset_metadata``, the types read from the frame's polars schema."""

from __future__ import annotations

import polars as pl

DUCKDB_TYPES = {pl.String: "varchar", pl.Date: "date", pl.Float64: "double", pl.Int64: "bigint"}


def described(types: dict, descriptions: dict[str, str]) -> tuple[tuple[str, str, str], ...]:
    """Every column of ``types`` (name -> polars type) with its DuckDB type and its description."""
    return tuple(
        (name, DUCKDB_TYPES.get(dtype, str(dtype)), descriptions[name]) for name, dtype in types.items()
    )
