"""``python -m tests.publish.refresh [--publication-only]``: the daily job (or only its publication)
in this one process, so a SIGKILL stops all of it; configured by the CDP_* environment like
`make materialize`. Exit code 0 when it succeeded."""

import sys

import dagster as dg

from platform_assets.definitions import defs
from platform_assets.lib.settings import REFERENCE_DATE_TAG

if __name__ == "__main__":
    only = [dg.AssetKey(["ops", "publication_log"])] if "--publication-only" in sys.argv else None
    result = defs.resolve_job_def("daily_refresh").execute_in_process(
        instance=dg.DagsterInstance.ephemeral(),
        tags={REFERENCE_DATE_TAG: "2026-11-01"},
        raise_on_error=False,
        asset_selection=only,
    )
    sys.exit(0 if result.success else 1)
