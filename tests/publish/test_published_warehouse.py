"""The publication of the end-to-end run (fixture ``refreshed``): both files, their documentation,
no direct identifier for analysts, and the demo's erasure requests honoured everywhere."""

import json

import duckdb
import polars as pl
import pytest

from platform_assets.publish.classification import Treatment, treatment_of


@pytest.fixture(scope="module")
def published(refreshed, demo_dir):
    result, _ = refreshed
    assert result.success
    return demo_dir / "published"


def tables(conn) -> list[str]:
    return [
        t
        for (t,) in conn.execute(
            "select schema_name || '.' || table_name from duckdb_tables() where not internal order by 1"
        ).fetchall()
    ]


def customer_id_columns(conn) -> list[tuple[str, str]]:
    return conn.execute(
        "select schema_name || '.' || table_name, column_name from duckdb_columns() "
        "where not internal and column_name like '%customer_id' and data_type = 'VARCHAR'"
    ).fetchall()


def test_the_run_publishes_both_files_and_a_manifest_matching_them(refreshed, published):
    result, _ = refreshed
    manifest = json.loads((published / "manifest.json").read_text())
    assert manifest["run_id"] == result.run_id
    assert manifest["checks"]["passed"] >= 50
    for kind in ("analyst", "restricted"):
        with duckdb.connect(str(published / f"{kind}.duckdb"), read_only=True) as conn:
            assert conn.execute("select run_id, file_kind from ops.publication").fetchall() == [
                (result.run_id, kind)
            ]
            counts = {t: conn.execute(f"select count(*) from {t}").fetchall()[0][0] for t in tables(conn)}
        assert counts == manifest["files"][kind]
    assert {"referential.dim_customer", "sales.fct_sales_lines", "sales.fct_orders"} <= set(
        manifest["files"]["analyst"]
    )
    assert not any(
        t.split(".")[0] in ("raw", "staging", "intermediate", "quarantine")
        for t in manifest["files"]["restricted"]
    )
    assert [p.name for p in (published / "snapshots").iterdir()] == [manifest["snapshot"]]


def test_the_analyst_file_holds_no_direct_identifier(published, demo_dir):
    persons = pl.read_csv(demo_dir / "ground_truth" / "persons.csv", infer_schema=False)
    with duckdb.connect(str(published / "analyst.duckdb"), read_only=True) as conn:
        columns = conn.execute(
            "select schema_name || '.' || table_name, column_name from duckdb_columns() where not internal"
        ).fetchall()
        assert [c for c in columns if treatment_of(*c) not in (None, Treatment.KEEP)] == []
        assert {"birth_year", "postcode_area"} <= {c for _, c in columns}
        [(birth_year_type,)] = conn.execute(
            "select data_type from duckdb_columns() where table_name = 'dim_customer' and column_name = 'birth_year'"
        ).fetchall()
        assert birth_year_type == "BIGINT"
        conn.register(
            "identifiers", persons.select(pl.concat([pl.col("email"), pl.col("phone_e164")]).alias("v"))
        )
        text_columns = conn.execute(
            "select schema_name, table_name, column_name from duckdb_columns() "
            "where database_name = current_database() and not internal and data_type = 'VARCHAR'"
        ).fetchall()
        for schema, table, column in text_columns:
            [(hits,)] = conn.execute(
                f'select count(*) from "{schema}"."{table}" where "{column}" in (select v from identifiers)'
            ).fetchall()
            assert hits == 0, f"{schema}.{table}.{column}"
    with duckdb.connect(str(published / "restricted.duckdb"), read_only=True) as conn:
        [(emails,)] = conn.execute("select count(email) from referential.dim_customer").fetchall()
    assert emails > 0  # the restricted file does keep personal data


def test_every_published_table_and_column_is_documented(published):
    for kind in ("analyst", "restricted"):
        with duckdb.connect(str(published / f"{kind}.duckdb"), read_only=True) as conn:
            bare_tables = conn.execute(
                "select table_name from duckdb_tables() where not internal and comment is null"
            ).fetchall()
            bare_columns = conn.execute(
                "select schema_name || '.' || table_name || '.' || column_name from duckdb_columns() "
                "where not internal and comment is null"
            ).fetchall()
            [(with_sql,)] = conn.execute(
                "select count(*) from duckdb_tables() where comment like '%Raw SQL%'"
            ).fetchall()
            assert with_sql == 0  # descriptions, not the models' code
            dictionary = conn.execute("select count(*) from ops.data_dictionary").fetchall()[0][0]
            [(columns,)] = conn.execute("select count(*) from duckdb_columns() where not internal").fetchall()
        assert (kind, bare_tables, bare_columns) == (kind, [], [])
        assert dictionary == columns
    page = (published / "data_dictionary.md").read_text()
    assert "## referential.dim_customer" in page and "`birth_year`" in page and "business owner" in page


def test_the_demo_erasure_requests_remove_each_person_from_both_files(published, demo_dir):
    truth = demo_dir / "ground_truth"
    erased = pl.read_csv(truth / "persons.csv", infer_schema=False).filter(pl.col("erased") == "true")
    records = pl.read_csv(truth / "source_records.csv", infer_schema=False).join(
        erased.select("person_id"), on="person_id"
    )
    requests = pl.read_csv(demo_dir / "landing" / "consent" / "erasure_requests.csv", infer_schema=False)
    assert erased.height == requests.height > 0
    with duckdb.connect(str(published / "restricted.duckdb"), read_only=True) as conn:
        conn.register("erased_records", records.filter(pl.col("source_system") != "consent"))
        conn.register("erased_people", erased)
        [(linked,)] = conn.execute(
            "select count(*) from referential.customer_xref join erased_records using (source_system, source_id)"
        ).fetchall()
        [(golden,)] = conn.execute(
            "select count(*) from referential.dim_customer c, erased_people p "
            "where c.email = lower(p.email) or c.phone_e164 = p.phone_e164"
        ).fetchall()
        [(events,)] = conn.execute(
            "select count(*) from marketing.fct_email_events e join erased_records r "
            "on r.source_system = 'emailing' and e.email_subscriber_id = r.source_id"
        ).fetchall()
        log = conn.sql("select * from ops.erasure_log order by erasure_request_id").pl()
        erased_hashes = {
            h
            for (h,) in conn.execute(
                "select key_hash from ops.erasure_suppression where key_type = 'customer_id'"
            ).fetchall()
        }
    assert (linked, golden, events) == (0, 0, 0)
    assert log["erasure_request_id"].to_list() == sorted(requests["request_id"].to_list())
    assert "@" not in str(log.to_dicts())
    assert log["records_erased"].sum() > 0 and len(erased_hashes) == log["customers_erased"].sum()
    for kind in ("analyst", "restricted"):
        with duckdb.connect(str(published / f"{kind}.duckdb"), read_only=True) as conn:
            for table, column in customer_id_columns(conn):
                [(left,)] = conn.execute(
                    f'select count(*) from {table} where list_contains(?, sha256("{column}"))',
                    [list(erased_hashes)],
                ).fetchall()
                assert left == 0, f"{kind}: {table}.{column}"
