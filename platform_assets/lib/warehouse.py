"""The pipeline's working DuckDB file, as dagster-duckdb's resource.

Analysts never open this file (any open connection blocks the writer): they read the published copy.
dbt's ``profiles.yml`` reads the same ``CDP_DUCKDB_PATH`` this resource is built from (resources.py).
Runs of this platform queue (one at a time, ``dagster_instance.yaml``); a lock held by another process
(a DuckDB CLI session on the working file, a run of another Dagster instance) is waited for, retrying
with backoff for ``lock_timeout`` seconds, then refused naming the file and its holder.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
from dagster import get_dagster_logger
from dagster_duckdb import DuckDBResource
from pydantic import Field


class WarehouseLockedError(RuntimeError):
    """Another process held the working file for longer than the lock timeout."""


class Warehouse(DuckDBResource):
    """``database``: the working file. ``connect()`` opens it (creating its folder), retrying while
    another process holds it, and always closes it."""

    lock_timeout: float = Field(
        default=300,
        ge=0,
        description="Seconds to wait, retrying, while another process holds the file (CDP_LOCK_TIMEOUT).",
    )

    @property
    def path(self) -> Path:
        return Path(self.database)

    @contextmanager
    def connect(self, memory_limit: str | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-write connection; ``memory_limit`` (e.g. "4GB") makes DuckDB spill beyond it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        log = get_dagster_logger().warning  # in a step: its event log, so the UI says what it waits for
        conn = open_when_free(lambda: duckdb.connect(self.database), self.path, self.lock_timeout, log)
        try:
            if memory_limit:
                conn.execute(f"set memory_limit = '{memory_limit}'")
            yield conn
        finally:
            conn.close()

    def wait_until_free(self) -> None:
        """Returns once no other process holds the file (for a tool that opens it itself: dbt)."""
        with self.connect():
            pass


LOCK_ERROR = "Could not set lock on file"
_HOLDER = re.compile(r"Conflicting lock is held in (?P<holder>.*?\(PID \d+\))")


def open_when_free(
    open_: Callable[[], duckdb.DuckDBPyConnection],
    path: Path,
    timeout: float,
    log: Callable[[str], object] = lambda message: None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> duckdb.DuckDBPyConnection:
    """``open_()``, retried with backoff (0.1 s doubling to 5 s) while DuckDB reports the file locked,
    for at most ``timeout`` seconds, saying once through ``log`` what it waits for; then a
    ``WarehouseLockedError`` naming the file and its holder."""
    deadline = clock() + timeout
    delay, attempts = 0.1, 0
    while True:
        try:
            return open_()
        except duckdb.IOException as error:
            if LOCK_ERROR not in str(error):
                raise
            attempts += 1
            if attempts == 1:
                log(
                    f"{path} is held by {holder_of(str(error))}: waiting up to {timeout:g} s (CDP_LOCK_TIMEOUT)"
                )
            left = deadline - clock()
            if left <= 0:
                raise WarehouseLockedError(lock_message(path, str(error), timeout)) from error
            sleep(min(delay, left))
            delay = min(delay * 2, 5.0)


def holder_of(duckdb_error: str) -> str:
    """The process DuckDB's lock error names: program and PID."""
    match = _HOLDER.search(duckdb_error)
    return match["holder"] if match else "another process (DuckDB did not say which)"


def lock_message(path: Path, duckdb_error: str, timeout: float) -> str:
    return (
        f"the working DuckDB file {path} is held by {holder_of(duckdb_error)}, still after waiting {timeout:g} s "
        "(CDP_LOCK_TIMEOUT): close that session (a DuckDB CLI or notebook on the working file; analysts "
        "read the published copy) or wait for it, then run again"
    )
