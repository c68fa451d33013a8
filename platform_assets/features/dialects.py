"""The few SQL constructs DuckDB and Spark spell differently, one small dict each (as dbt's
``adapter.dispatch``): the profile's SQL is one text in which such a construct is a call
``$name(arg, ...)``, and ``render(sql, dialect)`` spells it for DuckDB or for Spark SQL (Spark 4).

Everything else in the text is written once: both engines read ``::`` casts, ``filter (where ...)``,
``group by all``, ``<<``, ``bit_or`` / ``bit_count``, ``date - integer`` and ``interval 365 day``.
"""

from __future__ import annotations

from collections.abc import Callable

DIALECTS = ("duckdb", "spark")


def _first_by_duckdb(value: str, *keys: str) -> str:
    return f"first({value} order by {', '.join(keys)})"


def _first_by_spark(value: str, *keys: str) -> str:
    """The least struct of the sort keys (a descending key negated, so a number; nulls last as DuckDB
    sorts them), ending with the value: Spark's ``first`` takes no order."""
    fields = []
    for i, key in enumerate(keys):
        descending = key.endswith(" desc")
        expression = key.removesuffix(" desc")
        ordered = f"-({expression})" if descending else expression
        fields.append(f"'n{i}', ({expression}) is null, 'k{i}', {ordered}")
    return f"min(named_struct({', '.join(fields)}, 'v', {value})).v"


# name -> dialect -> a template of the arguments ({0}, {1}, ...) or a function of them
FRAGMENTS: dict[str, dict[str, str | Callable[..., str]]] = {
    # days from {1} to {0}: date - date is a bigint in DuckDB, an interval in Spark (datediff: an int)
    "days": {"duckdb": "(({0}) - ({1}))", "spark": "cast(datediff({0}, {1}) as bigint)"},
    # a weekend day: DuckDB numbers Sunday 0 and Saturday 6, Spark 1 and 7
    "is_weekend": {"duckdb": "dayofweek({0}) in (0, 6)", "spark": "dayofweek({0}) in (1, 7)"},
    # the two greatest values, greatest first: Spark's max takes no count
    "max_two": {"duckdb": "max({0}, 2)", "spark": "slice(sort_array(collect_list({0}), false), 1, 2)"},
    # the n-th item of a list (from 1), null past its end: Spark's [] counts from 0 and fails past the end
    "item": {"duckdb": "{0}[{1}]", "spark": "try_element_at({0}, {1})"},
    # a 128-bit integer: Spark has none, decimal(38, 0) holds the same values
    "int128": {"duckdb": "hugeint", "spark": "decimal(38, 0)"},
    # integer division: DuckDB's // is Spark's div
    "div": {"duckdb": "(({0}) // ({1}))", "spark": "(({0}) div ({1}))"},
    # microseconds since the epoch: the same function under another name
    "epoch_us": {"duckdb": "epoch_us({0})", "spark": "unix_micros({0})"},
    # whole years from {0} to {1} (an age): Spark has no date_sub('year'); its months_between counts a
    # month end to a month end as whole months, as DuckDB does (a 29 February birthday on 28 February)
    "years_between": {
        "duckdb": "date_sub('year', {0}, {1})",
        "spark": "cast(months_between({1}, {0}) / 12 as bigint)",
    },
    # any non-null value of the group: Spark's any_value keeps nulls unless told
    "any_value": {"duckdb": "any_value({0})", "spark": "any_value({0}, true)"},
    # a ratio of decimals as a double: DuckDB divides decimals as doubles, Spark keeps 6 decimals
    "ratio": {"duckdb": "(({0}) / ({1}))", "spark": "(cast(({0}) as double) / ({1}))"},
    # a double rounded to cents: DuckDB rounds the double times 100; Spark rounds its decimal text
    "round_cents": {"duckdb": "round({0}, 2)", "spark": "(round(({0}) * 100) / 100)"},
    # the value of the first row in the order of the keys ("x desc" for descending): Spark's first
    # takes no order
    "first_by": {"duckdb": _first_by_duckdb, "spark": _first_by_spark},
}


def render(sql: str, dialect: str) -> str:
    """``sql`` with every ``$name(...)`` of ``FRAGMENTS`` spelled for ``dialect`` (inner calls first)."""
    if dialect not in DIALECTS:
        raise ValueError(f"unknown SQL dialect {dialect!r}: use one of {', '.join(DIALECTS)}")
    out, i = [], 0
    while True:
        start = _next_call(sql, i)
        if start is None:
            return "".join(out) + sql[i:]
        name_end = sql.index("(", start)
        name = sql[start + 1 : name_end]
        args, end = _arguments(sql, name_end)
        template = FRAGMENTS[name][dialect]
        args = [render(a, dialect) for a in args]
        out.append(sql[i:start])
        out.append(template(*args) if callable(template) else template.format(*args))
        i = end


def _next_call(sql: str, i: int) -> int | None:
    """Where the next ``$name(`` of a fragment starts (``$ref`` and other placeholders are not calls)."""
    while (start := sql.find("$", i)) != -1:
        j = start + 1
        while j < len(sql) and (sql[j].isalnum() or sql[j] == "_"):
            j += 1
        if sql[start + 1 : j] in FRAGMENTS and sql[j : j + 1] == "(":
            return start
        i = j
    return None


def _arguments(sql: str, open_paren: int) -> tuple[list[str], int]:
    """The comma-separated arguments of the call opened at ``open_paren`` (nested parentheses and
    quoted text kept whole), and where the call ends."""
    args, depth, quoted, current = [], 0, False, open_paren + 1
    for j in range(open_paren, len(sql)):
        char = sql[j]
        if char == "'":
            quoted = not quoted
        elif quoted:
            continue
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                args.append(sql[current:j].strip())
                return args, j + 1
        elif char == "," and depth == 1:
            args.append(sql[current:j].strip())
            current = j + 1
    raise ValueError(
        f"unbalanced parentheses in a SQL fragment call: {sql[open_paren - 20 : open_paren + 60]!r}"
    )
