"""Row-level quarantine rules, as SQL over a raw table (every value still text).

A row that breaks a rule leaves ``raw.<table>`` for ``quarantine.<table>``, with its original
values, the first rule it broke (``quarantine_rule``) and all of them (``quarantine_rules``).
Rules run in DuckDB, not in Great Expectations: they touch every row of the biggest tables.

Rules, in the order that decides a row's ``quarantine_rule``:
  missing_required    a required or key column is empty
  unparseable_number  an integer or decimal column is not a number (e.g. '12,5', 'n/a')
  unparseable_date    a date or timestamp column does not parse (with the contract's format)
  future_date         a date or timestamp after the load time plus one day (time zones)
  sign_inconsistent   quantity or amount sign disagrees with the return flag
  unknown_product     SKU not in the (accepted) product catalogue
  unknown_store       store code not in the (accepted) ERP store master
  unknown_parent      line of a receipt or order that is not (or no longer) in its raw table
  duplicate_row       exact copy of an earlier row of the same source (first one is kept)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from platform_assets.landing.contracts import SourceContract, typed_sql

RULES = (
    "missing_required",
    "unparseable_number",
    "unparseable_date",
    "future_date",
    "sign_inconsistent",
    "unknown_product",
    "unknown_store",
    "unknown_parent",
    "duplicate_row",
)

# Tolerance for "in the future": local store times carry no zone, a day covers every zone.
FUTURE_TOLERANCE = "interval 1 day"


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


def _rule_conditions(contract: SourceContract, cutoff: str) -> list[tuple[str, str]]:
    """(rule, condition true when the row breaks it), for the rules that look at one row."""
    required = [c for c in contract.columns if c.required or c.name in contract.primary_key]
    numbers = [c for c in contract.columns if c.type in ("integer", "decimal")]
    dates = [c for c in contract.columns if c.type in ("date", "timestamp")]
    conditions: list[tuple[str, str]] = []
    if required:
        conditions.append(("missing_required", " or ".join(f"{_value(c.name)} is null" for c in required)))
    if numbers:
        conditions.append(
            (
                "unparseable_number",
                " or ".join(f"({_value(c.name)} is not null and {typed_sql(c)} is null)" for c in numbers),
            )
        )
    if dates:
        conditions.append(
            (
                "unparseable_date",
                " or ".join(f"({_value(c.name)} is not null and {typed_sql(c)} is null)" for c in dates),
            )
        )
        conditions.append(
            (
                "future_date",
                " or ".join(
                    f"coalesce({typed_sql(c)} > {cutoff} + {FUTURE_TOLERANCE}, false)" for c in dates
                ),
            )
        )
    if sign := SIGN_RULES.get(contract.table):
        by_name = {c.name: c for c in contract.columns}
        is_return = f"lower({_value(sign.flag_column)}) = '{sign.return_value.lower()}'"
        wrong = [
            f"(case when {is_return} then {typed_sql(by_name[c])} >= 0 else {typed_sql(by_name[c])} <= 0 end)"
            for c in sign.strict_columns
        ] + [
            f"(case when {is_return} then {typed_sql(by_name[c])} > 0 else {typed_sql(by_name[c])} < 0 end)"
            for c in sign.amount_columns
        ]
        conditions.append(("sign_inconsistent", "coalesce(" + " or ".join(wrong) + ", false)"))
    for ref in REFERENCES.get(contract.table, ()):
        known = (
            f"(select trim({_q(ref.ref_column)}) from raw.{ref.ref_table} "
            f"where {_q(ref.ref_column)} is not null)"
        )
        missing = f"{_value(ref.column)} not in {known}"
        condition = f"({_value(ref.column)} is not null and {missing})"
        conditions.append((ref.rule, condition))
    return conditions


def broken_rules_sql(contract: SourceContract, loaded_at: datetime) -> str:
    """Rows of ``raw.<table>`` that break a rule: (_source_file, _row_number, rules[]).

    ``loaded_at`` (UTC) is the reference for future dates.
    """
    cutoff = f"timestamp '{loaded_at.replace(tzinfo=None).isoformat(sep=' ')}'"
    conditions = _rule_conditions(contract, cutoff)
    # Same order as RULES, so rules[1] is the rule that decides.
    conditions.sort(key=lambda rc: RULES.index(rc[0]))
    rules_list = ", ".join(f"case when {cond} then '{rule}' end" for rule, cond in conditions)
    columns = ", ".join(_q(c) for c in contract.column_names)
    key = ", ".join(_q(c) for c in contract.primary_key)
    row_rules = f"list_filter([{rules_list}], lambda r: r is not null)" if conditions else "[]::varchar[]"
    return f"""
with
per_row as (
    select _source_file, _row_number, {row_rules} as rules
    from raw.{contract.table}
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
