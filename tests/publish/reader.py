"""``python -m tests.publish.reader FILE STOP``: an analyst querying the published file in a loop
until STOP exists. Each pass opens the file read-only, checks that every table holds the rows its
table of contents promises, and prints one JSON line (run id, complete or not, or the error)."""

import json
import sys
import time
from pathlib import Path


def observe(path: str) -> dict:
    import duckdb

    try:
        with duckdb.connect(path, read_only=True) as conn:
            [(run_id,)] = conn.execute("select run_id from ops.publication").fetchall()
            promised = dict(
                conn.execute(
                    "select schema_name || '.' || table_name, row_count from ops.published_tables"
                ).fetchall()
            )
            present = {
                t
                for (t,) in conn.execute(
                    "select schema_name || '.' || table_name from duckdb_tables() where not internal"
                ).fetchall()
            }
            counts = {t: conn.execute(f"select count(*) from {t}").fetchall()[0][0] for t in present}
        return {"run_id": run_id, "complete": counts == promised, "tables": len(counts)}
    except Exception as exc:  # the test asserts there is none: report it, keep reading
        return {"error": f"{type(exc).__name__}: {exc}"}


if __name__ == "__main__":
    path, stop = sys.argv[1], Path(sys.argv[2])
    while not stop.exists():
        print(json.dumps(observe(path)), flush=True)
        time.sleep(0.05)
