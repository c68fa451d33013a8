"""The pipeline's working DuckDB file, as dagster-duckdb's resource.

Analysts never open this file (any open connection blocks the writer): they read the published copy.
dbt's ``profiles.yml`` reads the same ``CDP_DUCKDB_PATH`` this resource is built from (resources.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
from dagster_duckdb import DuckDBResource


class Warehouse(DuckDBResource):
    """``database``: the working file. ``connect()`` opens it (creating its folder), retrying while
    another process holds it, and always closes it."""

    @property
    def path(self) -> Path:
        return Path(self.database)

    @contextmanager
    def connect(self, memory_limit: str | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-write connection; ``memory_limit`` (e.g. "4GB") makes DuckDB spill beyond it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.get_connection() as conn:
            try:
                if memory_limit:
                    conn.execute(f"set memory_limit = '{memory_limit}'")
                yield conn
            finally:
                conn.close()
