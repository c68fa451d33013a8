"""Column documentation of score tables: (name, type, description) triples for
``lib.metadata.asset_metadata``, and the same columns as the polars schema of the scoring frames."""

from __future__ import annotations


def described(types: dict[str, str], descriptions: dict[str, str]) -> tuple[tuple[str, str, str], ...]:
    """Every column of ``types`` (name -> DuckDB type) with its type and its description."""
    return tuple((name, type_, descriptions[name]) for name, type_ in types.items())


def polars_schema(types: dict[str, str]) -> dict:
    """``types`` (name -> DuckDB type) as a polars schema."""
    import polars as pl  # imported when used: keeps the code location fast

    dtypes = {"varchar": pl.String, "date": pl.Date, "double": pl.Float64, "bigint": pl.Int64}
    return {name: dtypes[type_] for name, type_ in types.items()}
