"""Every asset check says what it checks and, last, whether its failure blocks (as the spec says)."""

import pytest

from platform_assets.definitions import defs
from platform_assets.lib.metadata import BLOCKING, NOT_BLOCKING
from platform_assets.referential.dbt_tests import describe_test


def test_every_check_says_what_it_checks_and_whether_it_blocks():
    graph = defs.resolve_asset_graph()
    specs = [graph.get_check_spec(key) for key in graph.asset_check_keys]
    assert len(specs) > 400
    wrong = []
    for spec in specs:
        ending = BLOCKING if spec.blocking else NOT_BLOCKING
        text = (spec.description or "").removesuffix(ending).strip()
        if not (spec.description or "").endswith(ending) or len(text) < 10:
            wrong.append(f"{spec.key.to_user_string()}: {spec.description!r}")
    assert wrong == []


def test_dbt_tests_blocking_follows_their_severity():
    graph = defs.resolve_asset_graph()
    dbt = [graph.get_check_spec(k) for k in graph.asset_check_keys]
    dbt = [s for s in dbt if "dagster_dbt/unique_id" in (s.metadata or {})]
    assert {s.blocking for s in dbt} == {True, False}  # error and warn severities both present


def _generic(name: str, column: str | None = None, **kwargs) -> dict:
    return {
        "name": f"{name}_x",
        "column_name": column,
        "test_metadata": {"name": name, "kwargs": {"model": "{{ get_where_subquery(ref('m')) }}", **kwargs}},
        "config": {},
    }


@pytest.mark.parametrize(
    ("test", "expected"),
    [
        (_generic("not_null", "customer_id"), "customer_id is never null."),
        (
            _generic(
                "relationships",
                "country_code",
                to="source('retailer', 'business_units')",
                field="country_code",
            ),
            "Every country_code is found in retailer.business_units.country_code (nulls pass).",
        ),
        (_generic("accepted_range", "n_lines", min_value=1), "n_lines is at least 1 (nulls pass)."),
        (
            _generic("accepted_values", "line_type", values=["sale", "return"]),
            "line_type is one of sale, return (nulls pass).",
        ),
        (
            _generic("unique_combination_of_columns", combination_of_columns=["a", "b"]),
            "(a, b) is unique: no combination on two rows.",
        ),
        (
            {**_generic("not_null", "category_id"), "config": {"where": "not is_inferred"}},
            "category_id is never null. Rows checked: where not is_inferred.",
        ),
        (_generic("made_up", "c", limit=3), "dbt test made_up(c, limit=3) returns no row."),
        ({**_generic("unique", "k"), "description": "Own words. "}, "Own words."),
    ],
)
def test_a_dbt_test_is_described_by_its_own_words_or_its_name_and_arguments(test, expected):
    assert describe_test(test) == expected


def test_a_singular_test_without_description_names_its_file():
    test = {"name": "assert_x", "original_file_path": "tests/assert_x.sql", "config": {}}
    with pytest.raises(ValueError, match=r"assert_x \(tests/assert_x.sql\) has no description"):
        describe_test(test)
