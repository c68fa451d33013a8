"""What the Dagster UI shows of a table: markdown tables, column schemas, an asset's spec metadata."""

from __future__ import annotations

import dagster as dg

COLUMN_SCHEMA = "dagster/column_schema"

# The asset kinds used, one spelling per tool: Dagster's own key where its UI has an icon for the
# tool (it matches kinds lowercased, without spaces, dots, dashes or underscores: "scikitlearn" is
# its key for scikit-learn), else the tool's package name (tests/governance/test_layers.py).
KINDS = frozenset(
    {"csv", "dbt", "duckdb", "plotly", "polars", "python", "scikitlearn", "scipy", "splink", "sql"}
)

# The last sentence of every check's description: what its failure does (tests/quality/test_check_descriptions.py).
BLOCKING = (
    "Blocking: when it fails with ERROR severity, nothing downstream of it runs and nothing is published."
)
NOT_BLOCKING = "Not blocking: a failure is a warning, counted in the publication log; the run goes on."


def check_description(what: str, blocking: bool) -> str:
    """A check's description: what it checks, then whether its failure blocks."""
    return f"{what.rstrip()} {BLOCKING if blocking else NOT_BLOCKING}"


def markdown_table(frame) -> str:
    """A polars or pandas frame as a markdown table (nulls blank)."""
    if not hasattr(frame, "iter_rows"):  # pandas
        import polars as pl

        frame = pl.from_pandas(frame)
    header = "| " + " | ".join(str(c) for c in frame.columns) + " |"
    rule = "|" + "---|" * len(frame.columns)
    body = ["| " + " | ".join("" if v is None else str(v) for v in row) + " |" for row in frame.iter_rows()]
    return "\n".join([header, rule, *body])


def table_schema(columns) -> dg.TableSchema:
    """(name, type, description) triples as a Dagster column schema."""
    return dg.TableSchema(
        columns=[dg.TableColumn(name, type_, description=description) for name, type_, description in columns]
    )


def asset_metadata(owner, table: str, grain: str, columns=None, **extra) -> dict:
    """Spec metadata of a table asset: its owners' roles, grain, table name and column schema."""
    metadata = {**owner.metadata, "grain": grain, "dagster/table_name": table, **extra}
    if columns is not None:
        metadata[COLUMN_SCHEMA] = table_schema(columns)
    return metadata


def missing_inputs(absent_sources, frame=None) -> dict:
    """What a model ran without: the sources the retailer does not deliver and, given its input
    frame, the columns null on every row (a feature of an absent source is null, not 0)."""
    metadata = {"sources_not_delivered": ", ".join(absent_sources) or "none"}
    if frame is not None:
        empty = [c for c in frame.columns if frame.height and frame[c].null_count() == frame.height]
        metadata["input_columns_all_null"] = ", ".join(empty) or "none"
    return metadata


def polars_schema(types) -> dict:
    """Column types (name -> DuckDB type name, or (name, type, description) triples) as a polars
    schema, for empty frames and casts. polars is imported here, when used, not with the code location."""
    import polars as pl

    dtypes = {
        "varchar": pl.String,
        "date": pl.Date,
        "integer": pl.Int32,
        "bigint": pl.Int64,
        "double": pl.Float64,
        "timestamp": pl.Datetime("us"),
        "integer[]": pl.List(pl.Int32),
        "boolean": pl.Boolean,
    }
    pairs = types.items() if isinstance(types, dict) else ((name, type_) for name, type_, _ in types)
    return {name: dtypes[type_] for name, type_ in pairs}
