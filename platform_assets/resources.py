"""Resources shared by every domain: the working DuckDB warehouse and the dbt CLI."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

from platform_assets.config import settings


class Warehouse(dg.ConfigurableResource):
    """The pipeline's working DuckDB file. Analysts never open it (an open reader blocks the
    writer): they read the published copy."""

    # No path field on purpose: dbt's profiles.yml reads the same CDP_DUCKDB_PATH, and a path
    # set here but not there would split the warehouse in two.
    @property
    def database(self) -> Path:
        return settings().duckdb_path

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        self.database.parent.mkdir(parents=True, exist_ok=True)
        conn = duckdb.connect(str(self.database))
        try:
            yield conn
        finally:
            conn.close()
