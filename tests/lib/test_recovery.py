"""Recovery without a human: a run killed while it holds the warehouse pool is marked failed and its
slot freed, so the next run goes on; a run whose process lives is left alone."""

import os
import shutil
import signal
import subprocess
import sys
import time

import dagster as dg
import pytest

from platform_assets.lib.recovery import abandoned_runs, recover_abandoned_runs, run_recovery
from tests.conftest import REPO_ROOT


@pytest.fixture
def home(tmp_path, monkeypatch):
    shutil.copy(REPO_ROOT / "platform_assets" / "dagster_instance.yaml", tmp_path / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    return tmp_path


def start_slow_run(seconds: float) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.lib.slow_run", str(seconds)],
        cwd=REPO_ROOT,
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_until_it_holds_the_slot(instance: dg.DagsterInstance, process: subprocess.Popen) -> str:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert process.poll() is None, "the slow run ended early"
        claimed = instance.event_log_storage.get_concurrency_info("duckdb_writer").claimed_slots
        if claimed:
            return claimed[0].run_id
        time.sleep(0.2)
    pytest.fail("the slow run never claimed the duckdb_writer slot")


def _waiting_in_the_queue(instance: dg.DagsterInstance, holder: str) -> bool:
    """Another run than ``holder`` has a step queued for the duckdb_writer pool."""
    info = instance.event_log_storage.get_concurrency_info("duckdb_writer")
    return bool(set(info.pending_run_ids) - {holder})


def test_a_killed_run_is_failed_and_frees_its_slot_a_live_one_is_left_alone(home):
    with dg.DagsterInstance.get() as instance:
        killed = start_slow_run(600)
        killed_id = wait_until_it_holds_the_slot(instance, killed)
        killed.send_signal(signal.SIGKILL)
        killed.wait()
        live = start_slow_run(600)
        try:
            # the live run waits in the pool's queue before the recovery frees the slot: the order in
            # which Dagster alone never handed the freed slot on
            deadline = time.monotonic() + 120
            while not _waiting_in_the_queue(instance, killed_id) and time.monotonic() < deadline:
                time.sleep(0.2)
            [(run, _)] = abandoned_runs(instance)  # the live run (its slot pending) is not among them
            assert run.run_id == killed_id
            assert recover_abandoned_runs(instance) == [killed_id]
            assert instance.get_run_by_id(killed_id).status == dg.DagsterRunStatus.FAILURE
            [failure] = instance.all_logs(killed_id, of_type=dg.DagsterEventType.RUN_FAILURE)
            assert "its process (pid" in failure.message
            live_id = wait_until_it_holds_the_slot(instance, live)  # the freed slot is taken by the next run
            assert live_id != killed_id
            assert instance.get_run_by_id(live_id).status == dg.DagsterRunStatus.STARTED
            assert recover_abandoned_runs(instance) == []
        finally:
            live.kill()
            live.wait()


def test_the_sensor_says_what_it_recovered(home):
    with dg.DagsterInstance.get() as instance:
        context = dg.build_sensor_context(instance=instance)
        assert run_recovery(context).skip_message == "no abandoned run"
