"""Render dbt's sources file and its typing macro from the landing contracts, so the contract lives
in one place.

``python -m platform_assets.landing.render_sources`` rewrites
``dbt_project/models/staging/__sources.yml`` and ``dbt_project/macros/typed.sql`` (staging reads
``{{ typed('pos', 'receipt_lines', 'qty') }}``: the expression the quarantine rules parse with);
a test fails when a committed file is stale.
"""

from __future__ import annotations

import sys
from itertools import groupby

from platform_assets.landing.contracts import CONTRACTS, LINEAGE_COLUMNS, SourceContract, typed_sql
from platform_assets.lib.settings import DBT_PROJECT_DIR

SOURCES_FILE = DBT_PROJECT_DIR / "models" / "staging" / "__sources.yml"
MACRO_FILE = DBT_PROJECT_DIR / "macros" / "typed.sql"

SYSTEM_DESCRIPTIONS = {
    "pos": "Point-of-sale system of the stores (tills).",
    "ecommerce": "The web shops.",
    "crm": "Customer relationship management system.",
    "loyalty": "Loyalty card programme.",
    "emailing": "E-mail service provider.",
    "marketing": "Marketing spend and acquisition attribution.",
    "catalog": "Product information management (catalogue and prices).",
    "erp": "Enterprise resource planning (store master).",
    "consent": "Consent management platform (opt-ins and erasure requests).",
    "web": "Web analytics (clickstream export of the web shops).",
    "campaigns": "Campaign tool of the CRM team (campaigns and their contact log with control groups).",
    "reference": "Reference data the retailer buys (postcode centroids).",
}


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _table_yaml(contract: SourceContract) -> list[str]:
    lines = [
        f"      - name: {contract.entity}",
        f"        identifier: {contract.table}",
        f"        description: {_quote(contract.description + ' Grain: ' + contract.grain + '.')}",
        "        config:",
        "          meta:",
        "            dagster:",
        f"              asset_key: [raw, {contract.table}]",
        "        columns:",
    ]
    for column in (*contract.columns, *LINEAGE_COLUMNS):
        kind = "required" if column.required else "optional"
        fmt = f", format {column.format}" if column.format else ""
        lines.append(f"          - name: {column.name}")
        lines.append(
            f"            description: {_quote(f'{column.description} ({column.type}, {kind}{fmt})')}"
        )
    return lines


def render() -> str:
    lines = [
        "# Generated from platform_assets/landing/contracts.py by",
        "# `python -m platform_assets.landing.render_sources`: edit the contracts, not this file.",
        "version: 2",
        "",
        "sources:",
    ]
    for system, contracts in groupby(CONTRACTS, key=lambda c: c.system):
        lines += [
            f"  - name: {system}",
            f"    description: {_quote(SYSTEM_DESCRIPTIONS[system])}",
            "    schema: raw",
            "    tables:",
        ]
        for contract in contracts:
            lines += _table_yaml(contract)
    return "\n".join(lines) + "\n"


# dbt adapter type -> dialect of typed_sql
MACRO_DIALECTS = ("duckdb", "spark")


def render_macro() -> str:
    """The ``typed(source, table, column)`` macro: every typed raw column's expression, in the dialect
    of the target's adapter (DuckDB's or Spark's)."""

    def entry(system: str, entity: str, column) -> str:
        by_dialect = ", ".join(f"{_quote(d)}: {_quote(typed_sql(column, d))}" for d in MACRO_DIALECTS)
        return f"    {_quote(f'{system}.{entity}.{column.name}')}: {{{by_dialect}}},"

    entries = [
        entry(c.system, c.entity, column)
        for c in CONTRACTS
        for column in c.columns
        if column.type != "string"
    ]
    return (
        "\n".join(
            [
                "{#- Generated from platform_assets/landing/contracts.py (typed_sql) by",
                "    `python -m platform_assets.landing.render_sources`: edit the contracts, not this file.",
                "    A raw column in its contract type, parsed as the quarantine rules parse it, in the",
                "    dialect of the target's adapter (duckdb, spark). -#}",
                "{% macro typed(source_name, table_name, column_name) -%}",
                "{%- set expressions = {",
                *entries,
                "} -%}",
                "{%- set key = source_name ~ '.' ~ table_name ~ '.' ~ column_name -%}",
                "{%- if key not in expressions -%}",
                "{{ exceptions.raise_compiler_error('typed: no typed raw column ' ~ key) }}",
                "{%- endif -%}",
                "{%- if adapter.type() not in expressions[key] -%}",
                "{{ exceptions.raise_compiler_error('typed: no ' ~ adapter.type() ~ ' expression (duckdb, spark)') }}",
                "{%- endif -%}",
                "{{ expressions[key][adapter.type()] }}",
                "{%- endmacro %}",
            ]
        )
        + "\n"
    )


def main() -> int:
    for path, text in ((SOURCES_FILE, render()), (MACRO_FILE, render_macro())):
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
