"""What a step shows the person who runs it: its own summary line, not the libraries' chatter.

``library_output_to_debug(context)`` wraps the work of a step that calls a chatty library: Python
warnings (scikit-learn's convergence, lifelines', pandas'...), the records of the libraries' loggers
(Splink's "unable to train m value", Great Expectations') and whatever they print to stdout (dbt's log,
which dagster-dbt echoes) go to the step's debug log: the run's event log in the UI (level debug), not
the console. The step then logs its one summary line with ``summary`` (``context.log.info``). With the
run config ``CONSOLE_INFO`` (``make materialize`` passes it) the console shows info and above, so a
run reads as one line per step; the UI's event log keeps every level.
The standard library and dagster only: imported with the code location.
"""

from __future__ import annotations

import contextlib
import io
import logging
import warnings
from collections.abc import Iterator
from pathlib import Path

import dagster as dg

# Loggers of the libraries the steps call. Each is detached from its own handlers (Splink installs one
# that prints to stderr) and from the root logger for the step's duration.
LIBRARY_LOGGERS = (
    "splink",
    "great_expectations",
    "lifelines",
    "sklearn",
    "matplotlib",
    "numexpr",
    "phonenumbers",
    # integrations' notes through dagster.get_dagster_logger(), e.g. dagster-dbt's "Running dbt command"
    "dagster.builtin",
)

# The run config that makes the console show info and above (used by `make materialize`).
CONSOLE_INFO = Path(__file__).resolve().parents[1] / "run_config" / "console_info.yaml"


class _ToDebug(logging.Handler):
    def __init__(self, log) -> None:
        super().__init__(logging.NOTSET)
        self._log = log

    def emit(self, record: logging.LogRecord) -> None:
        self._log.debug(f"{record.name} {record.levelname.lower()}: {record.getMessage()}")


@contextlib.contextmanager
def library_output_to_debug(context: dg.OpExecutionContext) -> Iterator[None]:
    """Within the block, library warnings, log records and stdout go to ``context.log.debug``."""
    log = context.log
    handler = _ToDebug(log)
    saved = []
    for name in LIBRARY_LOGGERS:
        logger = logging.getLogger(name)
        saved.append((logger, list(logger.handlers), logger.propagate))
        logger.handlers = [handler]
        logger.propagate = False
    printed = io.StringIO()

    def show(message, category, filename, lineno, file=None, line=None) -> None:
        log.debug(f"{category.__name__}: {message} ({filename}:{lineno})")

    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(printed):
            warnings.showwarning = show
            yield
    finally:
        for logger, handlers, propagate in saved:
            logger.handlers = handlers
            logger.propagate = propagate
        if printed.getvalue().strip():
            log.debug(printed.getvalue().rstrip())


def summary(context: dg.OpExecutionContext, table: str, rows: int, **figures) -> None:
    """The step's one line: ``table: N rows; figure value; ...`` (a float to 3 decimals)."""
    shown = "".join(
        f"; {name.replace('_', ' ')} {value:.3f}"
        if isinstance(value, float)
        else f"; {name.replace('_', ' ')} {value}"
        for name, value in figures.items()
    )
    context.log.info(f"{table}: {rows:,} rows{shown}")
