"""ops.check_results as the publication step writes it: the run's checks, or none for a run of the
publication alone (which evaluates no check) — an empty documented table, not a failed publication."""

import duckdb

from platform_assets.publish import check_results


def test_a_run_without_checks_writes_an_empty_documented_table_and_the_next_run_replaces_it():
    with duckdb.connect() as conn:
        assert check_results.record(conn, "publication-only", []) == 0
        assert conn.execute(f"select count(*) from {check_results.TABLE}").fetchone() == (0,)
        comments = conn.execute(
            "select count(*) from duckdb_columns() where schema_name = 'ops' and table_name = 'check_results' "
            "and comment is not null"
        ).fetchone()
        assert comments == (len(check_results.COLUMNS),)
        result = check_results.CheckResult("staging/stg_x", "not_null_x_id", "dbt test", True, "passed")
        assert check_results.record(conn, "full", [result]) == 1
        assert conn.execute(f"select run_id, outcome from {check_results.TABLE}").fetchall() == [
            ("full", "passed")
        ]
