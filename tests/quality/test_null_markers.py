"""The null-marker test the rules and the loader use reads as DuckDB's own trim would, without a
trim on every value: the same answer on padded, Unicode-spaced and ordinary values."""

import duckdb

from platform_assets.landing.loader import (
    is_marker_sql,  # (rules and landing import each other: landing first)
)

VALUES = [
    "N/A", " N/A", "N/A  ", "\u00a0N/A", "N/A\u3000", "\u2003-\u2003", "NULL", "NULLS", "null", "\tN/A",
    "N/A\t", "", " ", "\u00a0", "WEB000000000001", "2026-10-03T08:00:00Z", "-5", "é", "N/Aé", "Ñ/A", None,
]  # fmt: skip


def test_the_marker_test_agrees_with_trim_on_every_kind_of_value():
    markers = ("", "NULL", "N/A", "-")
    with duckdb.connect() as conn:
        conn.execute("create table t (x varchar)")
        conn.executemany("insert into t values (?)", [(v,) for v in VALUES])
        listed = ", ".join(f"'{m}'" for m in markers)
        rows = conn.execute(
            f"select x, {is_marker_sql('x', markers)}, trim(x) in ({listed}) from t"
        ).fetchall()
    assert [(x, fast) for x, fast, _ in rows] == [(x, exact) for x, _, exact in rows]
    assert sum(bool(fast) for _, fast, _ in rows) == 10  # the padded markers and blanks, not "NULLS"
