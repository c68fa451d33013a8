"""From the retailer's file layout to the contract: the SQL reading each contract column out of a file.

The retailer configuration (``sources.<table>`` in ``platform_assets/lib/retailer.py``) maps a
contract column to a file column (a rename), to a DuckDB expression over the file's columns (all
text) or to a constant; a column it does not map is read from the file column of the same name,
and is empty when the file has none (refused when the contract requires it). A date or timestamp
read with a ``format`` is rewritten in the contract's format at load; a value that does not parse
with it is kept as written, so the quarantine rules still see it and nothing is lost. Decimal
commas become points in integer and decimal columns.

A mapping that names a column the file does not have, or an expression that does not bind, is a
configuration error (``RetailerConfigError``) naming the key ``sources.<table>.columns.<column>``,
the file and the file's columns, raised before anything is written.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from platform_assets.landing.contracts import Column, SourceContract
from platform_assets.landing.files import LandingFileError
from platform_assets.lib.retailer import RetailerConfigError, SourceDelivery

# What a date or timestamp read with a configured format is rewritten as, when the contract
# column has no format of its own: ISO 8601 (instants in UTC).
ISO_FORMATS = {"date": "%Y-%m-%d", "timestamp": "%Y-%m-%dT%H:%M:%S", "timestamptz": "%Y-%m-%dT%H:%M:%SZ"}


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _target_format(column: Column, source_format: str) -> str:
    """The strftime pattern of the contract column (its own format, else ISO 8601)."""
    if column.format:
        return column.format
    kind = "timestamptz" if column.warehouse_type == "timestamptz" else column.type
    pattern = ISO_FORMATS[kind]
    if "%f" in source_format:  # keep sub-second digits
        pattern = pattern.replace("%S", "%S.%f")
    return pattern


def _reformatted(sql: str, column: Column, source_format: str) -> str:
    """``sql`` (text in ``source_format``) rewritten in the contract's format; kept when it does not parse."""
    parsed = f"try_strptime(trim({sql}), {literal(source_format)})"
    if "%z" in source_format or "%Z" in source_format:  # an instant with its offset: in UTC
        parsed = f"({parsed} at time zone 'UTC')"
    target = _target_format(column, source_format)
    return f"coalesce(strftime({parsed}, {literal(target)}), {sql})"


def column_sql(
    contract: SourceContract,
    delivery: SourceDelivery,
    header: tuple[str, ...],
    path: Path,
    config_path: str,
) -> dict[str, str]:
    """Contract column -> SQL (text) over one file's columns; raises on a mapping the file cannot serve."""
    present = set(header)
    found = ", ".join(header)
    selected: dict[str, str] = {}
    missing_required: list[str] = []
    for column in contract.columns:
        mapped = column.name in delivery.columns
        mapping = delivery.mapping(column.name)
        key = f"sources.{contract.table}.columns.{column.name}"
        if mapping.value is not None:
            sql = f"{literal(mapping.value)}::varchar"
        elif mapping.expression is not None:
            sql = f"cast(({mapping.expression}) as varchar)"
        elif mapping.column in present:
            sql = quote(mapping.column)
        elif mapped:
            raise RetailerConfigError(
                f"{config_path}: {key}: maps {column.name} to column {mapping.column!r}, which {path} "
                f"does not have (its columns: {found})"
            )
        elif column.required:
            missing_required.append(column.name)
            continue
        else:
            selected[column.name] = "null::varchar"  # not delivered: empty
            continue
        if mapping.format and column.type in ("date", "timestamp"):
            sql = _reformatted(sql, column, mapping.format)
        if delivery.decimal_separator == "," and column.type in ("integer", "decimal"):
            sql = f"replace({sql}, ',', '.')"
        selected[column.name] = sql
    if missing_required:
        unexpected = [name for name in header if name not in contract.column_names]
        renamed = f"; unexpected column(s) {', '.join(unexpected)}: renamed?" if unexpected else ""
        raise LandingFileError(
            f"{path}, line 1: required column(s) {', '.join(missing_required)} missing "
            f"(found: {', '.join(sorted(present))}; configured delimiter {delivery.delimiter!r}; map them "
            f"in {config_path} under sources.{contract.table}.columns){renamed}"
        )
    return selected


def check_binding(
    conn: duckdb.DuckDBPyConnection,
    contract: SourceContract,
    delivery: SourceDelivery,
    selected: dict[str, str],
    header: tuple[str, ...],
    path: Path,
    config_path: str,
) -> None:
    """Every expression binds on the file's columns (checked on no rows: nothing is read)."""
    empty_file = ", ".join(f"null::varchar as {quote(name)}" for name in header) or "null as _"
    for name, mapping in delivery.columns.items():
        if isinstance(mapping, str) or mapping.expression is None:
            continue
        try:
            conn.execute(f"select {selected[name]} from (select {empty_file}) limit 0").fetchall()
        except duckdb.Error as exc:
            raise RetailerConfigError(
                f"{config_path}: sources.{contract.table}.columns.{name}: expression {mapping.expression!r} "
                f"does not bind on {path} (its columns: {', '.join(header)}): {str(exc).splitlines()[0]}"
            ) from None
