"""What a dbt test checks, in words, for its Dagster asset check's description.

The test's own ``description`` (in its yml) when it has one — singular tests have theirs in
``dbt_project/tests/singular_tests.yml`` —, else a sentence made from the generic test's name and
arguments. The translator adds whether it blocks (``lib.metadata.check_description``).
"""

import re
from collections.abc import Mapping
from typing import Any

_REF = re.compile(r"""ref\(\s*['"](\w+)['"]\s*\)""")
_SOURCE = re.compile(r"""source\(\s*['"](\w+)['"]\s*,\s*['"](\w+)['"]\s*\)""")


def _model(to: str) -> str:
    """``ref('dim_customer')`` -> dim_customer; ``source('retailer', 'business_units')`` -> the
    source's table (retailer.business_units)."""
    if match := _REF.search(to):
        return match.group(1)
    if match := _SOURCE.search(to):
        return f"{match.group(1)}.{match.group(2)}"
    return to


def _range(column: str, low: Any, high: Any) -> str:
    if low is not None and high is not None:
        return f"{column} lies within [{low}, {high}] (nulls pass)."
    if low is not None:
        return f"{column} is at least {low} (nulls pass)."
    return f"{column} is at most {high} (nulls pass)."


def _generic(name: str, kwargs: Mapping[str, Any], column: str | None) -> str:
    if name == "not_null":
        return f"{column} is never null."
    if name == "unique":
        return f"{column} is unique: no value on two rows."
    if name == "accepted_values":
        return f"{column} is one of {', '.join(str(v) for v in kwargs['values'])} (nulls pass)."
    if name == "relationships":
        return f"Every {column} is found in {_model(kwargs['to'])}.{kwargs['field']} (nulls pass)."
    if name == "accepted_range":
        return _range(column, kwargs.get("min_value"), kwargs.get("max_value"))
    if name == "unique_combination_of_columns":
        return f"({', '.join(kwargs['combination_of_columns'])}) is unique: no combination on two rows."
    if name == "expression_is_true":
        return f"Every row satisfies `{kwargs['expression']}`."
    if name == "in_plausible_dates":
        return (
            f"{column} falls inside the retailer's plausible date window (configuration `dates`; nulls pass)."
        )
    arguments = ", ".join(f"{k}={v}" for k, v in kwargs.items() if k not in ("model", "column_name"))
    return f"dbt test {name}({', '.join(filter(None, (column, arguments)))}) returns no row."


def describe_test(test: Mapping[str, Any]) -> str:
    """The sentence for a dbt test node of the manifest; an error naming the test's file when a
    singular test has no description."""
    where = test.get("config", {}).get("where")
    scope = f" Rows checked: where {where}." if where else ""
    if test.get("description"):
        return test["description"].strip() + scope
    metadata = test.get("test_metadata")
    if not metadata:
        raise ValueError(
            f"dbt singular test {test['name']} ({test.get('original_file_path')}) has no description: "
            "add it to dbt_project/tests/singular_tests.yml"
        )
    return _generic(metadata["name"], metadata.get("kwargs", {}), test.get("column_name")) + scope
