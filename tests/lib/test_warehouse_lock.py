"""A working file held by another process is waited for, with backoff, for CDP_LOCK_TIMEOUT seconds;
then the step fails naming the file and the holder's PID. Released during the wait, it is opened."""

import subprocess
import sys
import time

import duckdb
import pytest

from platform_assets.lib.resources import resources_from_env, settings_from_env
from platform_assets.lib.warehouse import Warehouse, WarehouseLockedError, open_when_free

# Opens the file for writing, says so, and holds it until its stdin closes or `seconds` pass.
HOLDER = """
import sys, time, duckdb
conn = duckdb.connect(sys.argv[1])
print("holding", flush=True)
time.sleep(float(sys.argv[2]))
conn.close()
print("released", flush=True)
time.sleep(60)
"""


def _hold(path, seconds: float) -> subprocess.Popen:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout.readline().strip() == "holding"
    return holder


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "warehouse" / "cdp.duckdb"
    path.parent.mkdir()
    duckdb.connect(str(path)).close()
    return path


def test_a_file_still_held_after_the_timeout_fails_naming_the_file_and_the_holder(db):
    holder = _hold(db, 60)
    try:
        started = time.monotonic()
        with (
            pytest.raises(WarehouseLockedError) as error,
            Warehouse(database=str(db), lock_timeout=1).connect(),
        ):
            pass
        waited = time.monotonic() - started
    finally:
        holder.kill()
        holder.wait()
    message = str(error.value)
    assert str(db) in message
    assert f"(PID {holder.pid})" in message
    assert "CDP_LOCK_TIMEOUT" in message
    assert 1 <= waited < 5


def test_a_file_released_during_the_wait_is_then_opened(db):
    holder = _hold(db, 1.5)
    try:
        started = time.monotonic()
        with Warehouse(database=str(db), lock_timeout=30).connect() as conn:
            assert conn.execute("select 42").fetchall() == [(42,)]
        waited = time.monotonic() - started
        assert holder.stdout.readline().strip() == "released"
    finally:
        holder.kill()
        holder.wait()
    assert 1 <= waited < 10


def test_the_retries_back_off_up_to_five_seconds_and_stop_at_the_timeout():
    now, sleeps = [0.0], []

    def sleep(seconds):
        sleeps.append(seconds)
        now[0] += seconds

    def locked():
        raise duckdb.IOException('Could not set lock on file "x": Conflicting lock is held in duckdb (PID 7)')

    said = []
    with pytest.raises(WarehouseLockedError, match=r"held by duckdb \(PID 7\), still after waiting 20 s"):
        open_when_free(locked, "x", 20, log=said.append, sleep=sleep, clock=lambda: now[0])
    assert said == ["x is held by duckdb (PID 7): waiting up to 20 s (CDP_LOCK_TIMEOUT)"]
    assert sleeps[:4] == [0.1, 0.2, 0.4, 0.8]
    assert max(sleeps) == 5.0
    assert sum(sleeps) == pytest.approx(20)


def test_another_io_error_is_not_retried():
    calls = []

    def broken():
        calls.append(1)
        raise duckdb.IOException("Cannot open file: permission denied")

    with pytest.raises(duckdb.IOException, match="permission denied"):
        open_when_free(broken, "x", 60, log=pytest.fail, sleep=lambda s: pytest.fail("slept"))
    assert len(calls) == 1


def test_the_timeout_is_a_setting_read_from_cdp_lock_timeout(tmp_path):
    environ = {"CDP_DATA_DIR": str(tmp_path), "CDP_LOCK_TIMEOUT": "12.5"}
    assert resources_from_env(environ)["warehouse"].lock_timeout == 12.5
    assert settings_from_env({"CDP_DATA_DIR": str(tmp_path)}).lock_timeout == 300
    with pytest.raises(ValueError, match="CDP_LOCK_TIMEOUT"):
        settings_from_env({**environ, "CDP_LOCK_TIMEOUT": "-1"})


def test_the_dbt_step_waits_for_the_file_before_dbt_opens_it_then_fails_naming_the_holder(db, tmp_path):
    import dagster as dg

    from platform_assets.referential.assets import dbt_models

    environ = {"CDP_DUCKDB_PATH": str(db), "CDP_DATA_DIR": str(tmp_path), "CDP_LOCK_TIMEOUT": "1"}
    holder = _hold(db, 60)
    try:
        result = dg.materialize(
            [dbt_models],
            resources=resources_from_env(environ),
            instance=dg.DagsterInstance.ephemeral(),
            raise_on_error=False,
        )
    finally:
        holder.kill()
        holder.wait()
    [failure] = result.get_step_failure_events()
    error = failure.step_failure_data.error.to_string()
    assert "WarehouseLockedError" in error
    assert str(db) in error and f"(PID {holder.pid})" in error
