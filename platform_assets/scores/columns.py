"""Column documentation of score tables: (name, type, description) triples for
``lib.metadata.asset_metadata`` (``lib.metadata.polars_schema`` turns the types into the scoring frames' schema)."""

from __future__ import annotations


def described(types: dict[str, str], descriptions: dict[str, str]) -> tuple[tuple[str, str, str], ...]:
    """Every column of ``types`` (name -> DuckDB type) with its type and its description."""
    return tuple((name, type_, descriptions[name]) for name, type_ in types.items())
