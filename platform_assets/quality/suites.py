"""Expectation suites from ``expectations/<schema>.<table>.json``: GX 1.x on pandas frames, except the
expectations that need every row (not-null, unique, row count: ``WHOLE_TABLE``), counted in SQL on
the whole table by ``whole_table.py`` (GX may read a sample).

A suite's expectations carry ``meta.severity``: ``critical`` (a blocking check: nothing downstream
runs on data that failed it) or ``warning`` (non-blocking, visible in the UI). GX drops an invalid
expectation with a log line only, so ``built_suite`` refuses a suite that lost any. GX (slow to
import) and pandas are imported only where suites run; suite files are parsed once per process.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg

from platform_assets.lib.settings import EXPECTATIONS_DIR

if TYPE_CHECKING:
    import pandas as pd

SEVERITIES = ("critical", "warning")
EXAMPLES = 5  # failing values shown per expectation
# Expectations counted in SQL on every row of the table, never by GX on a sample.
WHOLE_TABLE = (
    "expect_column_values_to_not_be_null",
    "expect_column_values_to_be_unique",
    "expect_compound_columns_to_be_unique",
    "expect_table_row_count_to_be_between",
)


# Values a suite takes from the retailer's configuration (``platform.retailer``) instead of writing
# them: a kwarg whose value is one of these strings is replaced when the suite runs.
RETAILER_PLACEHOLDERS = ("$business_units", "$currencies", "$earliest_date", "$latest_date")


def retailer_values(config) -> dict[str, object]:
    """The placeholders' values for a ``RetailerConfig``: unit codes, currencies, the date window."""
    return {
        "$business_units": [unit.code for unit in config.business_units],
        "$currencies": list(config.currencies),
        "$earliest_date": config.dates.earliest.isoformat(),
        "$latest_date": config.dates.latest.isoformat(),
    }


class SuiteError(ValueError):
    """A suite file that cannot be used: the message names the file and the problem."""


@dataclass(frozen=True)
class Suite:
    name: str  # <schema>.<table>
    path: Path
    expectations: tuple[dict, ...]  # as in the file: type, kwargs, meta

    @property
    def asset_key(self) -> dg.AssetKey:
        return dg.AssetKey(self.name.split("."))

    def of_severity(self, severity: str) -> list[dict]:
        return [e for e in self.expectations if e.get("meta", {}).get("severity", "critical") == severity]

    def whole_table(self, severity: str) -> list[dict]:
        """The severity's expectations counted in SQL on every row (``WHOLE_TABLE``)."""
        return [e for e in self.of_severity(severity) if e.get("type") in WHOLE_TABLE]

    def gx(self, severity: str) -> list[dict]:
        """The severity's expectations GX validates (on a sample of a big table)."""
        return [e for e in self.of_severity(severity) if e.get("type") not in WHOLE_TABLE]

    @property
    def placeholders(self) -> set[str]:
        return {v for e in self.expectations for v in e.get("kwargs", {}).values() if _is_placeholder(v)}

    def resolved(self, values: Mapping[str, object] | None) -> Suite:
        """The suite with its retailer placeholders replaced by ``values`` (``retailer_values``)."""
        if not self.placeholders:
            return self
        if values is None:
            raise SuiteError(f"{self.path}: {sorted(self.placeholders)} need the retailer configuration")
        expectations = tuple(
            {
                **e,
                "kwargs": {k: values[v] if _is_placeholder(v) else v for k, v in e.get("kwargs", {}).items()},
            }
            for e in self.expectations
        )
        return Suite(self.name, self.path, expectations)

    @property
    def validated_by_gx(self) -> bool:
        return any(e.get("type") not in WHOLE_TABLE for e in self.expectations)

    @property
    def columns(self) -> list[str] | None:
        """Columns GX reads: only these are loaded into the frame. None: every column, when an
        expectation is about the table's shape (column count or column set)."""
        gx_expectations = [e for e in self.expectations if e.get("type") not in WHOLE_TABLE]
        if any(e.get("type", "").startswith(TABLE_SHAPE) for e in gx_expectations):
            return None
        names: list[str] = []
        for expectation in gx_expectations:
            kwargs = expectation.get("kwargs", {})
            for key in ("column", "column_A", "column_B"):
                if key in kwargs:
                    names.append(kwargs[key])
            names += kwargs.get("column_list", [])
            names += kwargs.get("column_set", [])
        return list(dict.fromkeys(names))


# expectations on the table's columns themselves: a projected frame would pass or fail them wrongly
TABLE_SHAPE = ("expect_table_column_count", "expect_table_columns_to_match")


def suite_paths(directory: Path = EXPECTATIONS_DIR) -> list[Path]:
    return sorted(directory.glob("*.*.json"))


def load_suite(path: Path) -> Suite:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise SuiteError(f"{path}, line {exc.lineno}: not valid JSON ({exc.msg})") from None
    name = path.name.removesuffix(".json")
    if data.get("name") != name:
        raise SuiteError(f"{path}: its name must be {name!r} (the file name), not {data.get('name')!r}")
    expectations = tuple(data.get("expectations", ()))
    if not expectations:
        raise SuiteError(f"{path}: no expectations")
    for n, expectation in enumerate(expectations, start=1):
        severity = expectation.get("meta", {}).get("severity")
        if severity not in SEVERITIES:
            raise SuiteError(f"{path}: expectation {n} ({expectation.get('type')}) has severity {severity!r}")
        for key, value in expectation.get("kwargs", {}).items():
            if isinstance(value, str) and value.startswith("$") and value not in RETAILER_PLACEHOLDERS:
                known = ", ".join(RETAILER_PLACEHOLDERS)
                raise SuiteError(
                    f"{path}: expectation {n}, {key}: unknown placeholder {value!r} (known: {known})"
                )
    return Suite(name, path, expectations)


def _is_placeholder(value) -> bool:
    return isinstance(value, str) and value in RETAILER_PLACEHOLDERS


def _with_dates(expectations: list[dict], frame: pd.DataFrame) -> tuple[list[dict], pd.DataFrame, set[str]]:
    """Date columns as epoch seconds, ISO bounds likewise: GX checks a datetime column row by row in
    Python (seconds per 100k rows) but numbers in one vectorised pass. Returns the converted columns."""
    import pandas as pd

    dated = {c for c in frame.columns if pd.api.types.is_datetime64_any_dtype(frame[c])}
    if not dated:
        return expectations, frame, set()
    frame = frame.copy()
    for column in dated:
        values = frame[column]
        if values.dt.tz is not None:
            values = values.dt.tz_convert("UTC").dt.tz_localize(None)
        frame[column] = (values - pd.Timestamp("1970-01-01")) / pd.Timedelta(seconds=1)
    converted = []
    for expectation in expectations:
        kwargs = dict(expectation.get("kwargs", {}))
        if kwargs.get("column") in dated:
            for bound in ("min_value", "max_value"):
                if isinstance(kwargs.get(bound), str):
                    kwargs[bound] = _epoch(datetime.fromisoformat(kwargs[bound]))
        converted.append({**expectation, "kwargs": kwargs})
    return converted, frame, dated


def _epoch(moment: datetime) -> float:
    return (moment.replace(tzinfo=None) - datetime(1970, 1, 1)).total_seconds()


def built_suite(suite: Suite, severity: str | None = None, expectations: list[dict] | None = None):
    """The GX suite (all expectations, or one severity's); refuses one that lost expectations."""
    if expectations is None:
        expectations = suite.of_severity(severity) if severity else list(suite.expectations)
    built = gx_suite(f"{suite.name}.{severity or 'all'}", expectations)
    if len(built.expectations) != len(expectations):
        raise SuiteError(
            f"{suite.path}: Great Expectations kept {len(built.expectations)} of {len(expectations)} "
            "expectations (an unknown type or bad kwargs is dropped with a log line only)"
        )
    return built


@cache
def discover_suites(directory: Path = EXPECTATIONS_DIR) -> dict[dg.AssetKey, Suite]:
    """Every suite of ``directory`` by asset key, parsed once per process (JSON only, no GX)."""
    return {suite.asset_key: suite for suite in map(load_suite, suite_paths(directory))}


@cache
def _context():
    import great_expectations as gx  # slow import: only where suites run
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return context


@contextmanager
def _gx_settings() -> Iterator[None]:
    """GX's module-level knobs, set for one validation and put back after it: no batch fingerprint
    (a hash of the whole frame, as long as the validation itself, for a marker nothing reads) and
    only GX's errors in the log."""
    from great_expectations.execution_engine import pandas_execution_engine

    logger = logging.getLogger("great_expectations")
    threshold, level = pandas_execution_engine.HASH_THRESHOLD, logger.level
    pandas_execution_engine.HASH_THRESHOLD = 0
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        pandas_execution_engine.HASH_THRESHOLD = threshold
        logger.setLevel(level)


def gx_suite(name: str, expectations: list[dict]):
    import great_expectations as gx

    _context()  # GX needs a context before building expectations
    return gx.ExpectationSuite(name=name, expectations=[dict(e) for e in expectations])


@dataclass(frozen=True)
class Failure:
    expectation: str  # type
    column: str
    unexpected_count: int | None
    unexpected_percent: float | None
    examples: list
    observed: object


def validate(suite: Suite, severity: str, frame: pd.DataFrame) -> tuple[int, list[Failure]]:
    """Runs the suite's GX expectations of one severity on ``frame``: (expectations run, failures).
    The ``WHOLE_TABLE`` ones are not GX's: ``whole_table.failures`` counts them on every row."""
    expectations = suite.gx(severity)
    if not expectations:
        return 0, []
    with _gx_settings():
        context = _context()
        expectations, frame, dated = _with_dates(expectations, frame)
        name = f"{suite.name}.{severity}"
        source = context.data_sources.add_or_update_pandas(name)
        batch = (
            source.add_dataframe_asset(name)
            .add_batch_definition_whole_dataframe("whole")
            .get_batch(batch_parameters={"dataframe": frame})
        )
        result = batch.validate(
            built_suite(suite, severity, expectations),
            result_format={"result_format": "SUMMARY", "partial_unexpected_count": EXAMPLES},
        )
    failures = []
    for r in result.results:
        if r.success:
            continue
        details = r.result or {}
        kwargs = r.expectation_config.kwargs
        error = _exception_message(r.exception_info)
        failures.append(
            Failure(
                r.expectation_config.type,
                str(kwargs.get("column") or kwargs.get("column_list") or ""),
                details.get("unexpected_count"),
                details.get("unexpected_percent"),
                [
                    _as_date(v) if kwargs.get("column") in dated else _plain(v)
                    for v in details.get("partial_unexpected_list", [])[:EXAMPLES]
                ],
                _plain(details.get("observed_value", error)),
            )
        )
    return len(expectations), failures


def _as_date(seconds) -> str | None:
    return (
        None
        if seconds is None or seconds != seconds
        else (datetime(1970, 1, 1) + timedelta(seconds=seconds)).isoformat()
    )


def _exception_message(info) -> str | None:
    """GX 1.x nests exception details per metric; the first message says what went wrong."""
    if not isinstance(info, dict):
        return None
    if "exception_message" in info:
        return info["exception_message"] or None
    return next((v.get("exception_message") for v in info.values() if isinstance(v, dict)), None)


def _plain(value):
    """JSON-friendly example values for Dagster metadata."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def failures_markdown(failures: list[Failure]) -> str:
    if not failures:
        return "every expectation passed"
    rows = [
        f"| {f.expectation} | {f.column} | {f.unexpected_count if f.unexpected_count is not None else ''} "
        f"| {'' if f.unexpected_percent is None else round(f.unexpected_percent, 3)} "
        f"| {json.dumps(f.examples, default=str)[:200]} | {str(f.observed)[:120]} |"
        for f in failures
    ]
    return (
        "| expectation | column | failing rows | failing % | examples | observed |\n|---|---|---|---|---|---|\n"
        + "\n".join(rows)
    )
