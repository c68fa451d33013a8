"""Runs launched as the UI launches them: `dagster dev` (webserver + daemon) on a free port, with our
instance file, on a copy of the warehouse the session's full refresh built (fixture ``refreshed``).

- An asset materialised with no reference date tag builds as of the last full refresh, and says so in
  its run's tags.
- Two runs launched together run one after the other (``max_concurrent_runs: 1``): the second waits,
  QUEUED, until the first has ended.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from platform_assets.lib.reference_date import SOURCE_TAG
from platform_assets.lib.settings import REFERENCE_DATE_TAG
from tests.conftest import E2E_REFERENCE_DATE

REPO_ROOT = Path(__file__).resolve().parents[1]
LOCATION = "platform_assets.definitions"  # workspace.yaml's python_module
RFM = ["features", "customer_rfm"]  # reads features.customer_profile "as of": fails on a wrong date

LAUNCH = """
mutation Launch($params: ExecutionParams!) {
  launchPipelineExecution(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
    ... on InvalidSubsetError { message }
    ... on PipelineNotFoundError { message }
  }
}"""
RUN = """
query Run($runId: ID!) {
  runOrError(runId: $runId) {
    ... on Run { status startTime endTime tags { key value } }
  }
}"""
LOCATIONS = """
{ workspaceOrError { ... on Workspace { locationEntries { name
    locationOrLoadError { __typename ... on PythonError { message } } } } } }"""
DONE = {"SUCCESS", "FAILURE", "CANCELED"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Webserver:
    def __init__(self, url: str):
        self.url = url

    def query(self, text: str, variables: dict | None = None) -> dict:
        body = json.dumps({"query": text, "variables": variables or {}}).encode()
        request = urllib.request.Request(self.url, body, {"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            answer = json.loads(response.read())
        assert "errors" not in answer, answer["errors"]
        return answer["data"]

    def launch(self, asset_key: list[str]) -> str:
        """Materialise one asset (its checks left out), with no tag: as the UI's Materialize button."""
        params = {
            "selector": {
                "repositoryLocationName": LOCATION,
                "repositoryName": "__repository__",
                "pipelineName": "__ASSET_JOB",
                "assetSelection": [{"path": asset_key}],
                "assetCheckSelection": [],
            },
            "runConfigData": {},
            "mode": "default",
            "executionMetadata": {"tags": []},
        }
        launched = self.query(LAUNCH, {"params": params})["launchPipelineExecution"]
        assert launched["__typename"] == "LaunchRunSuccess", launched
        return launched["run"]["runId"]

    def run(self, run_id: str) -> dict:
        return self.query(RUN, {"runId": run_id})["runOrError"]


@pytest.fixture(scope="module")
def webserver(refreshed, demo_dir, tmp_path_factory):
    _, db = refreshed
    root = tmp_path_factory.mktemp("webserver")
    home, warehouse = root / "dagster_home", root / "warehouse" / "cdp.duckdb"
    home.mkdir()
    warehouse.parent.mkdir()
    shutil.copy(REPO_ROOT / "platform_assets" / "dagster_instance.yaml", home / "dagster.yaml")  # as make dev
    shutil.copy(db, warehouse)  # the session's warehouse stays as the other modules expect it
    port = _free_port()
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "CDP_DUCKDB_PATH": str(warehouse),
        "CDP_LANDING_DIR": str(demo_dir / "landing"),
        "CDP_DATA_DIR": str(root / "data"),
    }
    env.pop("CDP_REFERENCE_DATE", None)
    log = (root / "dagster_dev.log").open("w")
    command = [
        sys.executable,
        "-m",
        "dagster",
        "dev",
        "-w",
        "workspace.yaml",
        "-h",
        "127.0.0.1",
        "-p",
        str(port),
    ]
    server = subprocess.Popen(
        command, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    client = Webserver(f"http://127.0.0.1:{port}/graphql")
    try:
        _wait_for_location(client, server, root / "dagster_dev.log")
        yield client
    finally:
        os.killpg(server.pid, signal.SIGTERM)  # dagster dev, its webserver, daemon and code server
        try:
            server.wait(timeout=3)  # its history is in a temporary home: no graceful stop needed
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()


def _wait_for_location(client: Webserver, server: subprocess.Popen, log: Path, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert server.poll() is None, f"dagster dev exited:\n{log.read_text()[-3000:]}"
        try:
            entries = client.query(LOCATIONS)["workspaceOrError"]["locationEntries"]
        except (urllib.error.URLError, ConnectionError):
            entries = []
        loaded = {e["name"]: (e["locationOrLoadError"] or {}).get("__typename") for e in entries}
        if loaded.get(LOCATION) == "RepositoryLocation":
            return
        assert loaded.get(LOCATION) != "PythonError", entries
        time.sleep(1)
    pytest.fail(f"the code location did not load in {timeout} s:\n{log.read_text()[-3000:]}")


def _wait(client: Webserver, run_ids: list[str], timeout: float = 420) -> tuple[dict, list[dict]]:
    """Polls the runs until all have ended; returns their last state and every poll."""
    deadline, polls = time.monotonic() + timeout, []
    while time.monotonic() < deadline:
        states = {run_id: client.run(run_id) for run_id in run_ids}
        polls.append({run_id: state["status"] for run_id, state in states.items()})
        if all(state["status"] in DONE for state in states.values()):
            return states, polls
        time.sleep(0.5)
    pytest.fail(f"runs not finished after {timeout} s: {polls[-1]}")


def _tags(state: dict) -> dict:
    return {tag["key"]: tag["value"] for tag in state["tags"]}


@pytest.fixture(scope="module")
def two_runs(webserver) -> tuple[list[str], dict, list[dict]]:
    """Two runs of one asset each, launched together with no tag (as two clicks on Materialize)."""
    run_ids = [webserver.launch(RFM), webserver.launch(RFM)]
    states, polls = _wait(webserver, run_ids)
    return run_ids, states, polls


def test_one_asset_materialised_with_no_tag_builds_as_of_the_last_full_refresh(two_runs):
    run_ids, states, _ = two_runs
    for run_id in run_ids:
        assert states[run_id]["status"] == "SUCCESS"
        tags = _tags(states[run_id])
        assert tags[REFERENCE_DATE_TAG] == E2E_REFERENCE_DATE
        assert tags[SOURCE_TAG] == "last_full_refresh"


def test_two_runs_launched_together_run_one_after_the_other(two_runs):
    (first, second), states, polls = two_runs
    assert [states[first]["status"], states[second]["status"]] == ["SUCCESS", "SUCCESS"]
    assert states[first]["endTime"] <= states[second]["startTime"]
    # the second waited visibly while the first ran
    assert any(poll[first] in {"STARTING", "STARTED"} and poll[second] == "QUEUED" for poll in polls), polls
    assert not any(poll[first] == poll[second] == "STARTED" for poll in polls)
