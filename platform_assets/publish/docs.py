"""Documentation of the published tables: descriptions from the asset graph (dbt docs reach it
through dagster-dbt's column schema), rendered as DuckDB comments and a data-dictionary page."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import dagster as dg

from platform_assets.lib.tables import comment_statements as table_comments


@dataclass(frozen=True)
class TableDoc:
    description: str | None
    columns: dict[str, str] = field(default_factory=dict)
    owners: dict[str, str] = field(default_factory=dict)  # business_owner, technical_owner, sponsor


@dataclass(frozen=True)
class ColumnEntry:
    schema_name: str
    table_name: str
    column_name: str
    data_type: str
    description: str | None
    treatment: str  # keep, or how the analyst file derives it


def table_docs(specs: Iterable[dg.AssetSpec]) -> dict[str, TableDoc]:
    """``schema.table`` -> its description, column descriptions and owners, from asset specs."""
    docs = {}
    for spec in specs:
        table = spec.metadata.get("dagster/table_name") or ".".join(spec.key.path)
        schema = spec.metadata.get("dagster/column_schema")
        columns = {}
        if isinstance(schema, dg.TableSchema):
            columns = {c.name: c.description for c in schema.columns if c.description}
        owners = {
            k: spec.metadata[k]
            for k in ("business_owner", "technical_owner", "sponsor")
            if k in spec.metadata
        }
        docs[_short(str(table))] = TableDoc(
            _with_rows(_clean(spec.description), spec.metadata), columns, owners
        )
    return docs


def _with_rows(description: str | None, metadata) -> str | None:
    """The description followed by which rows the table holds (the asset's ``grain`` metadata), so
    every published comment says what it covers: a score of some customers says which."""
    grain = metadata.get("grain")
    grain = getattr(grain, "value", grain)
    if not grain:
        return description
    rows = f"Rows: {grain}."
    return f"{description} {rows}" if description else rows


def _short(table_name: str) -> str:
    """dbt relation names carry the database: keep ``schema.table``."""
    return ".".join(table_name.split(".")[-2:])


def _clean(text: str | None) -> str | None:
    """One line; without the model's SQL that dagster-dbt appends to a dbt description."""
    if not text:
        return None
    return " ".join(text.split("#### Raw SQL")[0].split()) or None


def comment_statements(
    catalog: str, table: str, doc: TableDoc | None, columns: list[ColumnEntry]
) -> list[str]:
    """``comment on`` statements of ``table`` in the attached file ``catalog`` (names quoted)."""
    schema_name, table_name = table.split(".")
    return table_comments(
        f'{catalog}."{schema_name}"."{table_name}"',
        doc.description if doc else None,
        {f'"{c.column_name}"': c.description for c in columns if c.description},
    )


def dictionary_markdown(
    title: str, intro: str, docs: dict[str, TableDoc], entries: list[ColumnEntry], rows: dict[str, int]
) -> str:
    """The data dictionary page: every table (description, owners, rows) and its columns."""
    lines = [f"# {title}", "", intro, ""]
    by_table: dict[str, list[ColumnEntry]] = {}
    for entry in entries:
        by_table.setdefault(f"{entry.schema_name}.{entry.table_name}", []).append(entry)
    lines.append("| table | rows | description |")
    lines.append("|---|---:|---|")
    for table, count in rows.items():
        doc = docs.get(table)
        lines.append(
            f"| [`{table}`](#{table.replace('.', '')}) | {count:,} | {_cell(doc.description if doc else None)} |"
        )
    for table in rows:
        doc = docs.get(table)
        lines += [
            "",
            f"## {table}",
            "",
            (doc.description if doc and doc.description else "_no description_"),
            "",
        ]
        if doc and doc.owners:
            lines.append(
                "Owners: " + ", ".join(f"{role.replace('_', ' ')} {who}" for role, who in doc.owners.items())
            )
            lines.append("")
        lines += ["| column | type | description |", "|---|---|---|"]
        for entry in by_table.get(table, []):
            note = "" if entry.treatment == "keep" else f" _(privacy: {entry.treatment})_"
            lines.append(f"| `{entry.column_name}` | {entry.data_type} | {_cell(entry.description)}{note} |")
    return "\n".join(lines) + "\n"


def _cell(text: str | None) -> str:
    return (text or "_undocumented_").replace("|", "\\|").replace("\n", " ")
