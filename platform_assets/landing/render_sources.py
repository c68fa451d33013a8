"""Render dbt's sources file from the landing contracts, so the contract lives in one place.

``python -m platform_assets.landing.render_sources`` rewrites
``dbt_project/models/staging/__sources.yml``; a test fails when the committed file is stale.
"""

from __future__ import annotations

import sys
from itertools import groupby
from pathlib import Path

from platform_assets.landing.contracts import CONTRACTS, LINEAGE_COLUMNS, SourceContract

SOURCES_FILE = Path(__file__).resolve().parents[2] / "dbt_project" / "models" / "staging" / "__sources.yml"

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
    "campaigns": "Campaign tool of the CRM team (campaigns and their contact log with control groups).",
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


def main() -> int:
    SOURCES_FILE.write_text(render(), encoding="utf-8")
    print(f"wrote {SOURCES_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
