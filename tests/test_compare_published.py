"""The before/after comparison of published analyst files finds real differences and ignores noise."""

import duckdb

from benchmarks.compare_published import compare


def write(path, value: float, label: str, run_id: str) -> str:
    with duckdb.connect(str(path)) as conn:
        conn.execute("create schema scores")
        conn.execute(
            "create table scores.s as select * from (values ('c1', ?, ?, ?), ('c2', 2.5, 'b', ?)) "
            "as t(customer_id, score, label, run_id)",
            [value, label, run_id, run_id],
        )
    return str(path)


def test_same_rows_in_another_order_and_run_match(tmp_path):
    before = write(tmp_path / "a.duckdb", 1.0 / 3.0, "a", "run-1")
    after = write(tmp_path / "b.duckdb", 1.0 / 3.0 + 1e-15, "a", "run-2")
    lines = compare(before, after)
    assert lines[-1] == "0 of 1 tables differ"
    assert "run columns not compared: run_id" in lines[0]


def test_a_changed_value_at_the_ninth_digit_is_a_difference(tmp_path):
    before = write(tmp_path / "a.duckdb", 0.123456789, "a", "run-1")
    after = write(tmp_path / "b.duckdb", 0.123456788, "a", "run-1")
    lines = compare(before, after)
    assert lines[-1] == "1 of 1 tables differ"
    assert "1 rows only before, 1 only after" in lines[0]


def test_a_changed_label_is_a_difference(tmp_path):
    before = write(tmp_path / "a.duckdb", 1.0, "a", "run-1")
    after = write(tmp_path / "b.duckdb", 1.0, "z", "run-1")
    assert compare(before, after)[-1] == "1 of 1 tables differ"
