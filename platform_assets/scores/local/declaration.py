"""A local score, declared in one YAML file: the types, and the rules a declaration must pass to load.

A business unit's score lives in ``<folder>/<business unit>/<score>.yml`` (the folder is the retailer
configuration's ``local_scores``, relative to that file). Each file is validated on its own when the
code location loads: a faulty one is refused with the file, the line and the field named
(``Refusal``) and left out; the others load. The rules:

- the types below (unknown keys, missing fields, an estimator or a parameter not in the allowed list);
- every feature column exists: a bare name is a numeric indicator of ``features.customer_profile``;
  ``schema.table.column`` must be a documented column of the graph (its asset's column schema);
- no leakage: a feature must be computable as of the training cutoff, a past date. The profile is
  (it is recomputed as of each cutoff); a column of any other table is not (it is as of the run's
  reference date, or the current state). SQL features may read only tables whose time is known:
  static reference data (``STATIC_TABLES``) and dated facts (``DATED_FACTS``), each fact filtered
  by ``<its date column> < $cutoff`` in the query; anything else is refused;
- a target of SQL reads documented tables and uses ``$start`` and ``$end``.

Whether the target has events (positives in training) needs the data: the score's step refuses it
(``LocalScoreRefused``), naming the file and ``target``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from platform_assets.lib.estimators import ModelSpec

EMAIL = r"^[^@\s]+@[^@\s]+\.[a-z]+$"
TEAM_OR_EMAIL = r"^(team:[A-Za-z0-9_.-]+|[^@\s]+@[^@\s]+\.[a-z]+)$"
SCORE_NAME = re.compile(r"^[a-z][a-z0-9_]{1,40}$")
PROFILE = "features.customer_profile"
# Profile indicators that are not numbers (a model cannot take them as they are).
NON_NUMERIC_UNITS = ("date", "label", "id", "department id")
DEPARTMENT_SHARE = re.compile(r"^spend_share_[a-z0-9_]+$")

# Tables whose rows do not change with time: any cutoff reads them as they are.
STATIC_TABLES = ("referential.dim_product", "referential.dim_store", "referential.business_units")
# Dated facts and the column that dates each row: a feature query must keep rows before the cutoff.
DATED_FACTS = {
    "sales.fct_sales_lines": "sold_date",
    "sales.fct_orders": "ordered_date",
    "marketing.fct_email_events": "event_at",
    "marketing.fct_web_events": "event_date",
}


class LocalScoreRefused(ValueError):
    """A declaration the data cannot train (e.g. a target without events): names the file and field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Owners(_Strict):
    """The business unit's people for this score (Dagster owners: the first two)."""

    business_owner: str = Field(
        pattern=EMAIL, description="E-mail: defines what the score means and its use."
    )
    technical_owner: str = Field(
        pattern=TEAM_OR_EMAIL, description="team:<name> or e-mail: builds and runs it."
    )
    sponsor: str = Field(pattern=EMAIL, description="E-mail: accountable for the outcome.")


Horizon = Annotated[
    int, Field(ge=7, le=365, description="Days after the reference date the event is counted in.")
]


class PurchaseTarget(_Strict):
    """A purchase (not cancelled, not returned) in the departments or categories named (the catalogue's
    ``department_name`` / ``category_name``), within the horizon."""

    event: Literal["purchase"]
    horizon_days: Horizon
    departments: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _something(self) -> PurchaseTarget:
        if not self.departments and not self.categories:
            raise ValueError("name departments or categories (a purchase of anything: use the churn score)")
        return self


class EmailTarget(_Strict):
    """An e-mail event (``marketing.fct_email_events.event_type``) within the horizon."""

    event: Literal["email"]
    horizon_days: Horizon
    event_types: tuple[Literal["open", "click", "unsubscribe"], ...] = Field(min_length=1)


class WebTarget(_Strict):
    """A web event (``marketing.fct_web_events``) within the horizon, in the departments named if any."""

    event: Literal["web"]
    horizon_days: Horizon
    event_types: tuple[Literal["product_view", "cart_add", "search", "session_start"], ...] = Field(
        min_length=1
    )
    departments: tuple[str, ...] = ()


class SqlTarget(_Strict):
    """The customers of a SQL file (beside the declaration) with the event in ``[$start, $end)``: a
    query over documented tables returning ``customer_id``."""

    event: Literal["sql"]
    horizon_days: Horizon
    sql: str = Field(description="File name, relative to the declaration's folder.")


Target = Annotated[PurchaseTarget | EmailTarget | WebTarget | SqlTarget, Field(discriminator="event")]


class Features(_Strict):
    """What the model sees, as of each cutoff."""

    columns: tuple[str, ...] = Field(
        default=(),
        description="Profile indicators by name (recomputed as of each cutoff), or schema.table.column.",
    )
    sql: str | None = Field(
        default=None,
        description="File (beside the declaration) of a query returning customer_id and numeric columns, "
        "reading static tables and dated facts filtered by $cutoff.",
    )

    @model_validator(mode="after")
    def _something(self) -> Features:
        if not self.columns and not self.sql:
            raise ValueError("give columns, sql or both")
        return self


class Declaration(_Strict):
    """One local score file."""

    description: str = Field(min_length=10, description="What the score predicts, for people.")
    target: Target
    features: Features
    model: ModelSpec
    owners: Owners
    published_to_analysts: bool = Field(description="Whether the score's table reaches the analyst file.")


@dataclass(frozen=True)
class LocalScore:
    """A declaration that loaded, with where it came from and the SQL it names."""

    path: Path
    business_unit: str
    name: str
    declaration: Declaration
    feature_sql: str | None
    target_sql: str | None
    feature_tables: tuple[str, ...]  # tables its SQL reads (for the asset's dependencies)

    @property
    def table(self) -> str:
        return f"scores.local_{self.business_unit.lower()}_{self.name}"

    @property
    def model_name(self) -> str:
        return self.table.removeprefix("scores.")

    @property
    def profile_columns(self) -> tuple[str, ...]:
        return tuple(c.removeprefix(PROFILE + ".") for c in self.declaration.features.columns)


@dataclass(frozen=True)
class Refusal:
    path: Path
    business_unit: str
    name: str
    problems: tuple[str, ...]  # "line N, field: message"

    @property
    def message(self) -> str:
        return "; ".join(f"{self.path}: {p}" for p in self.problems)


def profile_columns() -> frozenset[str]:
    """The numeric indicators of ``features.customer_profile`` (its documented indicators)."""
    from platform_assets.features.indicators import INDICATORS

    return frozenset(i.name for i in INDICATORS if i.unit not in NON_NUMERIC_UNITS)


# ---------------------------------------------------------------------------------------------- SQL


@dataclass(frozen=True)
class SqlReads:
    tables: dict[str, str]  # alias (or table) -> schema.table
    occurrences: list[tuple[str, str]]  # (alias, schema.table) of every table read, in order
    problems: list[str]
    cutoff_bounded: set[str]  # aliases of facts with "<alias>.<date column> < $cutoff" as a conjunct
    placeholders: set[str]


def read_sql(sql: str, documented: dict[str, frozenset[str]]) -> SqlReads:
    """The tables and columns ``sql`` reads, checked against the documented ones."""
    import sqlglot
    from sqlglot import exp

    try:
        tree = sqlglot.parse_one(sql, read="duckdb")
    except sqlglot.errors.ParseError as error:
        return SqlReads({}, [], [f"not SQL DuckDB reads: {str(error).splitlines()[0]}"], set(), set())
    # names a query gives its own row sets: CTEs and aliased subqueries
    ctes = {c.alias_or_name for c in tree.find_all(exp.CTE)} | {
        s.alias for s in tree.find_all(exp.Subquery) if s.alias
    }
    tables: dict[str, str] = {}
    occurrences: list[tuple[str, str]] = []
    problems: list[str] = []
    for t in tree.find_all(exp.Table):
        if t.name in ctes and not t.db:
            continue
        qualified = f"{t.db}.{t.name}" if t.db else t.name
        if qualified not in documented:
            problems.append(f"unknown table {qualified} (not a documented table of the graph)")
            continue
        tables[t.alias_or_name] = qualified
        tables.setdefault(t.name, qualified)
        occurrences.append((t.alias_or_name, qualified))
    known = set().union(*(documented[t] for t in tables.values())) if tables else set()
    aliases = {a.alias for a in tree.find_all(exp.Alias)} | {
        c.name for cte in tree.find_all(exp.CTE) for c in cte.this.selects if isinstance(cte.this, exp.Select)
    }
    for column in tree.find_all(exp.Column):
        if column.name == "*":
            continue
        table = tables.get(column.table) if column.table else None
        if column.table and table is None and column.table not in ctes:
            problems.append(f"unknown column {column.table}.{column.name} (no table {column.table} read)")
        elif table is not None and column.name not in documented[table]:
            problems.append(f"unknown column {column.name} of {table}")
        elif not column.table and column.name not in known | aliases:
            problems.append(
                f"unknown column {column.name} (in none of {', '.join(sorted(set(tables.values())))})"
            )
    bounded = set()
    for comparison in [*tree.find_all(exp.LT), *tree.find_all(exp.GT)]:
        column, other = (
            (comparison.this, comparison.expression)
            if isinstance(comparison, exp.LT)
            else (comparison.expression, comparison.this)
        )
        if not (
            isinstance(column, exp.Column)
            and isinstance(other, exp.Placeholder)
            and other.name == "cutoff"
            and _is_conjunct(comparison)
        ):
            continue
        dated = [(a, t) for a, t in occurrences if DATED_FACTS.get(t) == column.name]
        if column.table:
            bounded |= {a for a, _ in dated if a == column.table}
        elif len(dated) == 1:  # an unqualified date column: only when one table read has it
            bounded.add(dated[0][0])
    placeholders = {p.name for p in tree.find_all(exp.Placeholder)}
    return SqlReads(tables, occurrences, problems, bounded, placeholders)


def _is_conjunct(condition) -> bool:
    """Whether ``condition`` must hold for a row to pass: a term of the AND chain of a WHERE or a
    JOIN's ON (not under an OR, a NOT or a CASE, where a row could pass without it)."""
    from sqlglot import exp

    node = condition.parent
    while isinstance(node, exp.And | exp.Paren):
        node = node.parent
    return isinstance(node, exp.Where | exp.Join)


def feature_sql_problems(sql: str, documented: dict[str, frozenset[str]]) -> list[str]:
    """Unknown tables or columns, and leakage: a table whose time is not known, or a dated fact not
    kept before the cutoff."""
    reads = read_sql(sql, documented)
    problems = list(reads.problems)
    if unknown := sorted(reads.placeholders - {"cutoff"}):
        problems.append(f"parameter(s) {unknown}: a feature query takes only $cutoff")
    for alias, table in reads.occurrences:
        if table in STATIC_TABLES:
            continue
        if table in DATED_FACTS:
            if alias not in reads.cutoff_bounded:
                problems.append(
                    f"leakage: {table} (as {alias}) is read without '{alias}.{DATED_FACTS[table]} < $cutoff' "
                    "in its WHERE or ON: rows after the training cutoff would reach the features"
                )
            continue
        problems.append(
            f"leakage: {table} is as of the run's reference date (or the current state), after the "
            f"training cutoff; read the dated facts ({', '.join(DATED_FACTS)}) filtered by $cutoff, or "
            f"static tables ({', '.join(STATIC_TABLES)})"
        )
    return list(dict.fromkeys(problems))


def target_sql_problems(sql: str, documented: dict[str, frozenset[str]]) -> list[str]:
    reads = read_sql(sql, documented)
    problems = list(reads.problems)
    if missing := sorted({"start", "end"} - reads.placeholders):
        problems.append(f"the target query must use $start and $end (the horizon); missing {missing}")
    return problems


# --------------------------------------------------------------------------------------- loading


def column_problems(
    columns: tuple[str, ...], documented: dict[str, frozenset[str]]
) -> list[tuple[tuple, str]]:
    numeric = profile_columns()
    problems = []
    for i, column in enumerate(columns):
        parts = column.split(".")
        table, name = (PROFILE, parts[-1]) if len(parts) == 1 else (".".join(parts[:-1]), parts[-1])
        where = ("features", "columns", i)
        if table == PROFILE:
            if name not in numeric and not DEPARTMENT_SHARE.match(name):
                problems.append((where, f"unknown column {name!r}: not a numeric indicator of {PROFILE}"))
        elif table not in documented:
            problems.append((where, f"unknown column {column!r}: no documented table {table}"))
        elif name not in documented[table]:
            problems.append((where, f"unknown column {column!r}: {table} has no column {name}"))
        else:
            problems.append(
                (
                    where,
                    f"leakage: {column} is as of the run's reference date (or the current state), not of "
                    f"the training cutoff; use {PROFILE}'s indicators (recomputed as of each cutoff) or SQL "
                    "over dated facts filtered by $cutoff",
                )
            )
    return problems


def parse_declaration(
    path: Path, business_units: tuple[str, ...], documented: dict[str, frozenset[str]]
) -> LocalScore | Refusal:
    """The score declared in ``path`` (``<folder>/<business unit>/<score>.yml``), or why it is refused."""
    import yaml

    from platform_assets.lib.retailer import _document_path, _error_line

    business_unit, name = path.parent.name, path.stem
    text = path.read_text(encoding="utf-8")
    problems: list[tuple[tuple, str]] = []
    if business_unit not in business_units:
        problems.append(
            ((), f"folder {business_unit!r} is not a business unit ({', '.join(business_units)})")
        )
    if not SCORE_NAME.match(name):
        problems.append(((), f"file name {name!r}: lowercase letters, digits and _ (it names the table)"))
    declaration = feature_sql = target_sql = None
    tables: set[str] = set()
    try:
        document = yaml.safe_load(text)
        declaration = Declaration.model_validate(document if isinstance(document, dict) else {})
    except yaml.YAMLError as error:
        problems.append(((), f"not valid YAML: {error}"))
    except ValidationError as error:
        problems += [
            (_document_path(e["loc"]), e["msg"].removeprefix("Value error, ")) for e in error.errors()
        ]
    if declaration is not None:
        problems += column_problems(declaration.features.columns, documented)
        if declaration.features.sql:
            feature_sql, found = _sql_file(path, declaration.features.sql, ("features", "sql"))
            problems += found
            if feature_sql is not None:
                problems += [(("features", "sql"), p) for p in feature_sql_problems(feature_sql, documented)]
                tables |= set(read_sql(feature_sql, documented).tables.values())
        if isinstance(declaration.target, SqlTarget):
            target_sql, found = _sql_file(path, declaration.target.sql, ("target", "sql"))
            problems += found
            if target_sql is not None:
                problems += [(("target", "sql"), p) for p in target_sql_problems(target_sql, documented)]
                tables |= set(read_sql(target_sql, documented).tables.values())
    if problems:
        lines = _safe_lines(text)
        described = []
        for where, message in problems:
            line = _error_line(lines, where)
            key = ".".join(str(p) for p in where) or "(file)"
            described.append(f"{'line ' + str(line) + ', ' if line else ''}{key}: {message}")
        return Refusal(path, business_unit, name, tuple(described))
    return LocalScore(path, business_unit, name, declaration, feature_sql, target_sql, tuple(sorted(tables)))


def _safe_lines(text: str) -> dict[tuple, int]:
    from platform_assets.lib.retailer import _yaml_lines

    try:
        return _yaml_lines(text)
    except Exception:  # not YAML: no lines to point at
        return {}


def _sql_file(path: Path, name: str, where: tuple) -> tuple[str | None, list[tuple[tuple, str]]]:
    file = path.parent / name
    if not file.is_file():
        return None, [(where, f"SQL file {file} not found")]
    return file.read_text(encoding="utf-8"), []


def load_declarations(
    folder: Path, business_units: tuple[str, ...], documented: dict[str, frozenset[str]]
) -> tuple[list[LocalScore], list[Refusal]]:
    """Every ``<bu>/<score>.yml`` under ``folder``: the scores that load and the refused ones."""
    loaded, refused = [], []
    for path in sorted(folder.glob("*/*.yml")) if folder.is_dir() else []:
        result = parse_declaration(path, business_units, documented)
        (loaded if isinstance(result, LocalScore) else refused).append(result)
    return loaded, refused
