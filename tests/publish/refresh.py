"""``python -m tests.publish.refresh [--publication-only | --from-records | --identity-onwards]``: the daily job (or only its
publication, or the customer records identity reads and everything after them) in this one process, so a SIGKILL stops
all of it; configured by the CDP_* environment and DAGSTER_HOME like `make materialize`, which first
recovers runs whose process died (a killed run would otherwise hold the warehouse pool's one slot: the
next run would wait forever). Exit code 0 when it succeeded."""

import sys

import dagster as dg

from platform_assets.definitions import defs
from platform_assets.lib.recovery import recover_abandoned_runs
from platform_assets.lib.settings import REFERENCE_DATE_TAG


def selection(argv: list[str]) -> list[dg.AssetKey] | None:
    if "--publication-only" in argv:
        return [dg.AssetKey(["ops", "publication_log"])]
    if "--identity-onwards" in argv:  # for a run killed in identity resolution: nothing before it is needed
        graph = defs.resolve_asset_graph()
        identity = next(
            a
            for a in defs.assets
            if isinstance(a, dg.AssetsDefinition) and a.node_def.name == "identity_resolution"
        )
        return sorted(dg.AssetSelection.assets(*identity.keys).downstream().resolve(graph), key=str)
    if "--from-records" in argv:  # the same input as the last run: landing and staging are as they were
        # from the records, not from identity resolution: the last run deleted its erased persons' records
        # from them, and matching on fewer records trains other weights
        records = dg.AssetKey(["intermediate", "int_customer_records"])
        identity = next(  # all of it: its erasure tables depend on the requests, not on the records
            a
            for a in defs.assets
            if isinstance(a, dg.AssetsDefinition) and a.node_def.name == "identity_resolution"
        )
        selected = dg.AssetSelection.assets(records, *identity.keys).downstream()
        return sorted(selected.resolve(defs.resolve_asset_graph()), key=str)
    return None


if __name__ == "__main__":
    instance = dg.DagsterInstance.get()
    for run_id in recover_abandoned_runs(instance):
        print(f"recovered abandoned run {run_id}")
    result = defs.resolve_job_def("daily_refresh").execute_in_process(
        instance=instance,
        tags={REFERENCE_DATE_TAG: "2026-11-01"},
        raise_on_error=False,
        asset_selection=selection(sys.argv),
    )
    sys.exit(0 if result.success else 1)
