"""Without web files (the session's demo: configured with ``when_no_files: empty``, no file yet) the
source is an empty table that says why, and what needs it says so instead of failing."""

import duckdb


def _rows(db, sql):
    with duckdb.connect(str(db), read_only=True) as conn:
        return conn.execute(sql).fetchall()


def test_no_web_file_leaves_the_web_tables_empty_and_the_features_say_why(refreshed):
    result, db = refreshed
    materialised = {
        e.asset_key.to_user_string(): e.materialization.metadata
        for e in result.get_asset_materialization_events()
    }
    raw = materialised["raw/web_events"]
    assert raw["delivered"].value is False and raw["note"].value.startswith("no file delivered")
    for table in ("raw.web_events", "referential.cookie_xref", "marketing.fct_web_events"):
        assert _rows(db, f"select count(*) from {table}") == [(0,)], table
    assert _rows(
        db, "select count(*) from duckdb_tables() where table_name = 'customer_department_browsing'"
    ) == [(0,)]
    assert "no web event" in materialised["features/customer_department_browsing"]["skipped"].value
    profile = materialised["features/customer_profile"]
    assert "web_sessions_90d" in profile["indicators_null_for_missing_sources"].value
    assert _rows(db, "select count(web_sessions_90d), count(*) > 0 from features.customer_profile") == [
        (0, True)
    ]
    assert materialised["ops/web_stitch_quality"]["why"].value == "no web events"
