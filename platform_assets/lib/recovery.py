"""Recovery without a human: runs whose process died (a SIGKILL, an out-of-memory kill, a machine
restart) are marked failed and their pool slots freed, so the next run starts.

Dagster records the process of every run ("Executing steps in process (pid: N)"; the run worker's
"Started process for run (pid: N)"), but its own run monitoring cannot ask the default run launcher
whether that process still lives: such a run stays STARTED, holding its ``duckdb_writer`` slot and
the run queue's one place, and every later run waits forever. ``recover_abandoned_runs`` is called
by the ``run_recovery`` sensor (every minute while the daemon runs: ``make dev``), by the nightly
schedule before it requests its run, and by ``make materialize`` (``python -m
platform_assets.lib.recovery``) before a refresh from the command line.

The platform runs on one machine (one embedded warehouse file), so a recorded pid is a process of
this machine; a run whose process is alive, or that has not yet recorded one, is left alone.
"""

from __future__ import annotations

import os

import dagster as dg

IN_PROGRESS = [
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
]


def run_process_id(instance: dg.DagsterInstance, run_id: str) -> int | None:
    """The process that runs ``run_id``: the last pid its engine events recorded, or None."""
    pid = None
    for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.ENGINE_EVENT):
        metadata = getattr(entry.dagster_event.event_specific_data, "metadata", None) or {}
        if "pid" in metadata:
            pid = int(metadata["pid"].value)
    return pid


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return not _zombie(pid)


def _zombie(pid: int) -> bool:
    """A killed child not yet reaped by its parent still answers kill(pid, 0): it is dead all the same."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


def abandoned_runs(instance: dg.DagsterInstance) -> list[tuple[dg.DagsterRun, int]]:
    """In-progress runs of this host whose recorded process is gone, with that process id."""
    abandoned = []
    for record in instance.get_run_records(filters=dg.RunsFilter(statuses=IN_PROGRESS)):
        run = record.dagster_run
        pid = run_process_id(instance, run.run_id)
        if pid is not None and pid != os.getpid() and not process_alive(pid):
            abandoned.append((run, pid))
    return abandoned


def free_slots(instance: dg.DagsterInstance, run_id: str) -> None:
    """Frees the run's pool slots and hands each to the next step waiting for that pool. Dagster's
    ``free_concurrency_slots_for_run`` frees them but hands on only the slots of the run's own
    pending steps: a step of another run already waiting would wait forever."""
    storage = instance.event_log_storage
    pools = sorted(
        key
        for key in storage.get_concurrency_keys()
        if any(slot.run_id == run_id for slot in storage.get_concurrency_info(key).claimed_slots)
    )
    storage.free_concurrency_slots_for_run(run_id)
    storage.assign_pending_steps([pool for pool in pools if storage.has_unassigned_slots(pool)])


def recover_abandoned_runs(instance: dg.DagsterInstance) -> list[str]:
    """Marks every abandoned run failed (saying why) and frees its concurrency slots; their run ids."""
    recovered = []
    for run, pid in abandoned_runs(instance):
        instance.report_run_failed(
            run,
            f"Marked failed by the platform's recovery: its process (pid {pid}) is gone - killed or "
            "crashed - so it can never finish. Its pool slots are freed; the next run starts as usual.",
        )
        if instance.event_log_storage.supports_global_concurrency_limits:
            free_slots(instance, run.run_id)
        recovered.append(run.run_id)
    return recovered


@dg.sensor(
    name="run_recovery",
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Every minute: runs whose process died (killed, crashed, machine restarted) are marked "
    "failed and their duckdb_writer slots freed, so queued and scheduled runs go on without a human.",
)
def run_recovery(context: dg.SensorEvaluationContext) -> dg.SkipReason:
    recovered = recover_abandoned_runs(context.instance)
    return dg.SkipReason(
        f"recovered {len(recovered)} abandoned run(s): {', '.join(recovered)}"
        if recovered
        else "no abandoned run"
    )


def main() -> None:
    recovered = recover_abandoned_runs(dg.DagsterInstance.get())
    for run_id in recovered:
        print(f"run {run_id}: its process is gone; marked failed, pool slots freed")


if __name__ == "__main__":
    main()
