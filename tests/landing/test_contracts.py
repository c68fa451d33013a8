import re

from platform_assets.landing.contracts import CONTRACTS, col, typed_sql
from platform_assets.landing.render_sources import MACRO_FILE, SOURCES_FILE, render, render_macro
from platform_assets.lib.settings import DBT_PROJECT_DIR


def test_dbt_sources_file_is_rendered_from_the_contracts():
    assert SOURCES_FILE.read_text(encoding="utf-8") == render(), (
        "dbt_project/models/staging/__sources.yml is stale: run `python -m platform_assets.landing.render_sources`"
    )


def test_dbt_typing_macro_is_rendered_from_the_contracts():
    assert MACRO_FILE.read_text(encoding="utf-8") == render_macro(), (
        "dbt_project/macros/typed.sql is stale: run `python -m platform_assets.landing.render_sources`"
    )


def test_staging_types_raw_text_only_through_the_contracts():
    """One definition of how a raw column is typed: staging calls ``typed`` for every typed column
    and casts nothing itself."""
    typed_columns = {
        (c.system, c.entity, col.name) for c in CONTRACTS for col in c.columns if col.type != "string"
    }
    called = set()
    for path in (DBT_PROJECT_DIR / "models" / "staging").glob("*/stg_*.sql"):
        sql = path.read_text(encoding="utf-8")
        assert not re.search(r"try_cast|strptime|::", sql), path.name
        called |= set(re.findall(r"typed\('(\w+)', '(\w+)', '(\w+)'\)", sql))
    assert called == typed_columns


def test_a_typed_column_reads_its_format_and_zone():
    by_name = {(c.table, col.name): col for c in CONTRACTS for col in c.columns}
    assert "try_strptime" in typed_sql(col("day", "date", "A day/month/year date.", fmt="%d/%m/%Y"))
    assert typed_sql(by_name[("crm_contacts", "birth_date")]).endswith("as date)")
    assert typed_sql(by_name[("ecommerce_orders", "ordered_at")]).endswith("at time zone 'UTC'")
    assert typed_sql(by_name[("pos_receipts", "ticket_ts")]).endswith("as timestamp)")  # local time
    assert "decimal(14, 2)" in typed_sql(by_name[("marketing_spend", "spend")])


def test_every_contract_is_complete():
    tables = [c.table for c in CONTRACTS]
    assert len(tables) == len(set(tables))
    for contract in CONTRACTS:
        names = contract.column_names
        assert len(names) == len(set(names)), contract.table
        assert set(contract.primary_key) <= set(contract.required_columns), contract.table
        assert all(c.description for c in contract.columns), contract.table
