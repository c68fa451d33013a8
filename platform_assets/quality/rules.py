"""Row-level quarantine rules, as SQL over a raw table (every value still text).

A row that breaks a rule leaves ``raw.<table>`` for ``quarantine.<table>``, with its original
values, the first rule it broke (``quarantine_rule``) and all of them (``quarantine_rules``).
Rules run in DuckDB, not in Great Expectations: they touch every row of the biggest tables.

Rules, in the order that decides a row's ``quarantine_rule``:
  malformed_json      a line of an NDJSON export that is not a JSON object (sources whose contract
                      ``quarantines_malformed_lines``, the web analytics export; set by the loader, which
                      keeps the file and line and leaves every column empty; elsewhere the file is refused)
  missing_required    a required or key column is empty, or holds a null marker (``NULL``, ``N/A``, ...)
  malformed_value     a key or required value does not match the id format the retailer's
                      configuration gives it (a column mapping's ``pattern``, whole, e.g. ``C[0-9]{8}``)
  unparseable_number  an integer or decimal column is not a number (e.g. '12,5', 'n/a')
  unparseable_date    a date or timestamp column does not parse (with the contract's format)
  future_date         a date or timestamp after the load time plus one day (time zones)
  implausible_date    a business date outside the retailer's plausible window (``dates`` in its
                      configuration; birth and master-data dates are not judged)
  sign_inconsistent   quantity or amount sign disagrees with the return flag
  unknown_product     SKU not in the (accepted) product catalogue
  unknown_store       store code not in the (accepted) ERP store master
  unknown_parent      line of a receipt or order that is not (or no longer) in its raw table
  duplicate_row       exact copy of an earlier row of the same source (first one is kept)

A reference rule is skipped when the retailer does not deliver the referenced source (nothing to
check against). In the customer sources (``FIELD_WARNING_SOURCES``) an optional value that does
not parse does not quarantine its record: the record is accepted (staging reads the value as
null) and a row goes to ``quarantine.field_warnings`` (table, file, row, column, value, rule).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from platform_assets.landing.contracts import Column, SourceContract, typed_sql
from platform_assets.lib.retailer import CUSTOMER_SOURCES, RetailerConfig

RULES = (
    "malformed_json",  # set by the loader (landing/loader.py), not by a condition here
    "missing_required",
    "malformed_value",
    "unparseable_number",
    "unparseable_date",
    "future_date",
    "implausible_date",
    "sign_inconsistent",
    "unknown_product",
    "unknown_store",
    "unknown_parent",
    "duplicate_row",
)

# Tolerance for "in the future": local store times carry no zone, a day covers every zone.
FUTURE_TOLERANCE = "interval 1 day"

# Sources whose optional fields warn instead of quarantining the record (a person is kept whole).
FIELD_WARNING_SOURCES = CUSTOMER_SOURCES


@dataclass(frozen=True)
class Reference:
    """``column`` of a source must exist in ``ref_table.ref_column`` (accepted rows only)."""

    column: str
    ref_table: str
    ref_column: str
    rule: str
    optional: bool = False  # an empty value is fine (the column is not required)


@dataclass(frozen=True)
class SignRule:
    """When ``flag_column`` equals ``return_value`` the columns must be negative (or zero for amounts),
    otherwise positive (or zero for amounts)."""

    flag_column: str
    return_value: str
    strict_columns: tuple[str, ...]  # quantities: never zero
    amount_columns: tuple[str, ...] = ()  # amounts: zero allowed (free line, full discount)


REFERENCES: dict[str, tuple[Reference, ...]] = {
    "pos_receipts": (Reference("store_code", "erp_stores", "store_code", "unknown_store"),),
    "pos_receipt_lines": (
        Reference("sku", "catalog_products", "sku", "unknown_product"),
        Reference("ticket_id", "pos_receipts", "ticket_id", "unknown_parent"),
    ),
    "ecommerce_order_lines": (
        Reference("sku", "catalog_products", "sku", "unknown_product"),
        Reference("order_id", "ecommerce_orders", "order_id", "unknown_parent"),
    ),
    "catalog_prices": (Reference("sku", "catalog_products", "sku", "unknown_product"),),
    "loyalty_cards": (
        Reference("issuing_store_code", "erp_stores", "store_code", "unknown_store", optional=True),
    ),
}

SIGN_RULES: dict[str, SignRule] = {
    "pos_receipt_lines": SignRule("is_return", "Y", ("qty",), ("line_amount",)),
    "ecommerce_order_lines": SignRule("line_type", "return", ("quantity",)),
}


def load_order(tables: list[str]) -> list[str]:
    """Tables in an order where every referenced table comes before the tables that reference it."""
    ordered: list[str] = []

    def visit(table: str) -> None:
        if table in ordered:
            return
        for ref in REFERENCES.get(table, ()):
            if ref.ref_table in tables:
                visit(ref.ref_table)
        ordered.append(table)

    for table in sorted(tables):
        visit(table)
    return ordered


def referenced_tables(table: str) -> list[str]:
    return sorted({r.ref_table for r in REFERENCES.get(table, ())})


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sql_text(text: str) -> str:
    return text.replace("'", "''")


def _value(column: str) -> str:
    """The column's text, with blanks as null."""
    return f"nullif(trim({_q(column)}), '')"


def typed_columns(contract: SourceContract):
    """Column name -> SQL reading it in its contract type (lineage and unknown columns as they are):
    how the raw table's checks read its text after quarantine (every value then parses)."""
    columns = {c.name: c for c in contract.columns}

    def column_sql(name: str) -> str:
        return typed_sql(columns[name]) if name in columns else _q(name)

    return column_sql


def _is_required(contract: SourceContract, column: Column) -> bool:
    return column.required or column.name in contract.primary_key


def warned_columns(contract: SourceContract) -> list[Column]:
    """Typed optional columns whose unparseable values warn instead of quarantining the record."""
    if contract.table not in FIELD_WARNING_SOURCES:
        return []
    return [c for c in contract.columns if c.type != "string" and not _is_required(contract, c)]


def _unparseable(column: Column, typed=typed_sql) -> str:
    return f"({_value(column.name)} is not null and {typed(column)} is null)"


def is_marker_sql(column: str, markers: tuple[str, ...]) -> str:
    """SQL true when ``column`` is one of ``markers`` once trimmed (DuckDB's trim: Unicode spaces),
    trimming only the values that start or end with a character that is not visible ASCII (a space
    or another): the exact test, without a trim (a copy of the string) on every value of every row."""
    if not markers:
        return "false"
    listed = ", ".join(f"'{_sql_text(m)}'" for m in markers)
    x = _q(column)
    padded = f"(not (ascii({x}) between 33 and 126) or not (ascii({x}[-1]) between 33 and 126))"
    return f"({x} in ({listed}) or ({padded} and trim({x}) in ({listed})))"


def _typed_name(column: Column) -> str:
    return _q(f"__typed__{column.name}")


def _rule_conditions(
    contract: SourceContract, cutoff: str, retailer: RetailerConfig, typed=typed_sql
) -> list[tuple[str, str]]:
    """(rule, condition true when the row breaks it), for the rules that look at one row; ``typed``
    gives the SQL of a column's typed value (``typed_sql``, or a column where it was computed once)."""
    required = [c for c in contract.columns if _is_required(contract, c)]
    warned = {c.name for c in warned_columns(contract)}
    numbers = [c for c in contract.columns if c.type in ("integer", "decimal") and c.name not in warned]
    dates = [c for c in contract.columns if c.type in ("date", "timestamp")]
    parsed_dates = [c for c in dates if c.name not in warned]
    windowed = [c for c in dates if c.in_date_window]
    conditions: list[tuple[str, str]] = []
    if required:
        empty = ("", *retailer.quality.null_markers)  # blank or a null marker, once trimmed
        conditions.append(
            (
                "missing_required",
                " or ".join(f"({_q(c.name)} is null or {is_marker_sql(c.name, empty)})" for c in required),
            )
        )
    if patterns := retailer.patterns(contract.table):
        conditions.append(
            (
                "malformed_value",
                " or ".join(
                    f"coalesce(not regexp_full_match(trim({_q(column)}), '{_sql_text(pattern)}'), false)"
                    for column, pattern in patterns.items()
                ),
            )
        )
    if numbers:
        conditions.append(("unparseable_number", " or ".join(_unparseable(c, typed) for c in numbers)))
    if parsed_dates:
        conditions.append(("unparseable_date", " or ".join(_unparseable(c, typed) for c in parsed_dates)))
    if windowed:
        earliest, latest = retailer.dates.earliest.isoformat(), retailer.dates.latest.isoformat()
        conditions.append(
            (
                "implausible_date",
                " or ".join(
                    f"coalesce(cast({typed(c)} as date) not between date '{earliest}' and date '{latest}', false)"
                    for c in windowed
                ),
            )
        )
    if dates:
        conditions.append(
            (
                "future_date",
                " or ".join(f"coalesce({typed(c)} > {cutoff} + {FUTURE_TOLERANCE}, false)" for c in dates),
            )
        )
    if sign := SIGN_RULES.get(contract.table):
        by_name = {c.name: c for c in contract.columns}
        is_return = f"lower({_value(sign.flag_column)}) = '{sign.return_value.lower()}'"
        wrong = [
            f"(case when {is_return} then {typed(by_name[c])} >= 0 else {typed(by_name[c])} <= 0 end)"
            for c in sign.strict_columns
        ] + [
            f"(case when {is_return} then {typed(by_name[c])} > 0 else {typed(by_name[c])} < 0 end)"
            for c in sign.amount_columns
        ]
        conditions.append(("sign_inconsistent", "coalesce(" + " or ".join(wrong) + ", false)"))
    for ref in REFERENCES.get(contract.table, ()):
        if not retailer.delivers(ref.ref_table):
            continue  # nothing to check against: the retailer does not deliver it
        known = (
            f"(select trim({_q(ref.ref_column)}) from raw.{ref.ref_table} "
            f"where {_q(ref.ref_column)} is not null)"
        )
        missing = f"{_value(ref.column)} not in {known}"
        condition = f"({_value(ref.column)} is not null and {missing})"
        conditions.append((ref.rule, condition))
    return conditions


def broken_rules_sql(contract: SourceContract, loaded_at: datetime, retailer: RetailerConfig) -> str:
    """Rows of ``raw.<table>`` that break a rule: (_source_file, _row_number, rules[]).

    ``loaded_at`` (UTC) is the reference for future dates; ``retailer`` gives the plausible date
    window and the sources delivered.
    """
    cutoff = f"timestamp '{loaded_at.replace(tzinfo=None).isoformat(sep=' ')}'"
    # Each typed column parsed once per row (a timestamp with its zone costs ~0.3 s per million
    # rows), in a projection the rules read, instead of once per rule that reads it.
    typed_columns = [c for c in contract.columns if c.warehouse_type]
    conditions = _rule_conditions(contract, cutoff, retailer, _typed_name)
    # Same order as RULES, so rules[1] is the rule that decides.
    conditions.sort(key=lambda rc: RULES.index(rc[0]))
    rules_list = ", ".join(f"case when {cond} then '{rule}' end" for rule, cond in conditions)
    columns = ", ".join(_q(c) for c in contract.column_names)
    key = ", ".join(_q(c) for c in contract.primary_key)
    row_rules = f"list_filter([{rules_list}], lambda r: r is not null)" if conditions else "[]::varchar[]"
    return f"""
with
typed as (
    select *{"".join(f", {typed_sql(c)} as {_typed_name(c)}" for c in typed_columns)}
    from raw.{contract.table}
),
per_row as (
    select _source_file, _row_number, {row_rules} as rules
    from typed
),
repeated_keys as (
    select {key} from raw.{contract.table} group by all having count(*) > 1
),
copies as (
    -- only rows whose key repeats can be exact copies: the window runs on few rows
    select
        _source_file, _row_number,
        row_number() over (partition by {columns} order by _source_file, _row_number) as copy_number
    from raw.{contract.table} semi join repeated_keys using ({key})
),
flagged as (
    select
        p._source_file,
        p._row_number,
        case when c.copy_number > 1 then list_append(p.rules, 'duplicate_row') else p.rules end as rules
    from per_row p
    left join copies c using (_source_file, _row_number)
)
select * from flagged where len(rules) > 0
"""


# quarantine.field_warnings: name -> (type, description)
FIELD_WARNINGS_COLUMNS = {
    "raw_table": ("varchar", "Raw table of the record (accepted, with this field read as null)."),
    "_source_file": ("varchar", "Landing file the record was read from."),
    "_row_number": ("bigint", "Data row number of the record in that file."),
    "column_name": ("varchar", "Contract column whose value does not parse."),
    "value": ("varchar", "The value as delivered."),
    "rule": ("varchar", "unparseable_number or unparseable_date."),
    "_load_id": ("varchar", "Load (Dagster run) that read the record."),
}


def _field_warnings_select(contract: SourceContract) -> str | None:
    """Accepted rows of ``raw.<table>`` with an optional value that does not parse, one row per field
    (columns as ``FIELD_WARNINGS_COLUMNS``; the load id is the parameter)."""
    selects = [
        f"select '{contract.table}', _source_file, _row_number, '{c.name}', {_q(c.name)}, "
        f"'{'unparseable_date' if c.type in ('date', 'timestamp') else 'unparseable_number'}', ?::varchar "
        f"from raw.{contract.table} where {_unparseable(c)}"
        for c in warned_columns(contract)
    ]
    return " union all ".join(selects) if selects else None


def record_field_warnings(conn, contract: SourceContract, load_id: str | None) -> dict[str, int]:
    """Replace the source's rows of ``quarantine.field_warnings`` with this load's (none when
    ``load_id`` is None: a source not delivered). Returns the warnings by rule."""
    columns = ", ".join(f"{name} {type_}" for name, (type_, _) in FIELD_WARNINGS_COLUMNS.items())
    conn.execute(f"create table if not exists quarantine.field_warnings ({columns})")
    conn.execute(
        "comment on table quarantine.field_warnings is 'Fields read as null in accepted customer "
        "records: one row per delivered value that does not parse.'"
    )
    conn.execute("delete from quarantine.field_warnings where raw_table = ?", [contract.table])
    select = _field_warnings_select(contract)
    if select is None or load_id is None:
        return {}
    selects = select.count("?::varchar")
    conn.execute(f"insert into quarantine.field_warnings {select}", [load_id] * selects)
    return dict(
        conn.execute(
            "select rule, count(*) from quarantine.field_warnings where raw_table = ? group by 1 order by 1",
            [contract.table],
        ).fetchall()
    )
