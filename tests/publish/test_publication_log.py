"""The working file's publication log: created before the build, and an older log (ops.publications,
its name until issue 19) carried over with its rows."""

import duckdb

from platform_assets.lib.tables import table_exists
from platform_assets.publish.publication import LOG, LOG_SCHEMA, create_log


def test_the_log_is_created_with_its_documented_columns():
    conn = duckdb.connect()
    create_log(conn)
    columns = conn.execute(
        "select column_name, lower(data_type) from duckdb_columns() where schema_name = 'ops' "
        "and table_name = 'publication_log' order by column_index"
    ).fetchall()
    assert columns == [(name, type_) for name, type_, _ in LOG_SCHEMA]


def test_an_older_log_under_the_former_name_keeps_its_rows():
    conn = duckdb.connect()
    conn.execute("create schema ops")
    conn.execute("create table ops.publications as select 'run-1' as run_id")
    create_log(conn)
    assert not table_exists(conn, "ops.publications")
    assert conn.execute(f"select run_id from {LOG}").fetchall() == [("run-1",)]
