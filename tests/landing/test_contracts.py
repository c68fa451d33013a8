from platform_assets.landing.contracts import CONTRACTS
from platform_assets.landing.render_sources import SOURCES_FILE, render


def test_dbt_sources_file_is_rendered_from_the_contracts():
    assert SOURCES_FILE.read_text(encoding="utf-8") == render(), (
        "dbt_project/models/staging/__sources.yml is stale: run `python -m platform_assets.landing.render_sources`"
    )


def test_every_contract_is_complete():
    tables = [c.table for c in CONTRACTS]
    assert len(tables) == len(set(tables))
    for contract in CONTRACTS:
        names = contract.column_names
        assert len(names) == len(set(names)), contract.table
        assert set(contract.primary_key) <= set(contract.required_columns), contract.table
        assert all(c.description for c in contract.columns), contract.table
