"""``python -m tests.lib.slow_run SECONDS``: a run holding the duckdb_writer pool slot for SECONDS, on the
instance of DAGSTER_HOME (tests/lib/test_recovery.py kills it)."""

import sys
import time

import dagster as dg


@dg.asset(pool="duckdb_writer")
def holds_the_warehouse() -> None:
    time.sleep(float(sys.argv[1]))


if __name__ == "__main__":
    defs = dg.Definitions(
        assets=[holds_the_warehouse], jobs=[dg.define_asset_job("slow")], executor=dg.in_process_executor
    )
    result = defs.resolve_job_def("slow").execute_in_process(instance=dg.DagsterInstance.get())
    sys.exit(0 if result.success else 1)
