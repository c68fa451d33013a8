"""The publication under stress, with real runs of the daily job in subprocesses, continuing from the
end-to-end run (A): a reader during a refresh on the same input (B, from the customer records onwards), a
run killed during identity resolution (C1), a publication killed while building (C2), then a whole
run (D) with a new erasure request, the old request file gone, and an older record of a person
erased in A."""

import csv
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl
import pytest

from tests.dbt_parse import dbt_target_dir, parse_dbt

REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Lifecycle:
    base: Path
    published: Path
    runs: dict[str, int] = field(default_factory=dict)  # run name -> exit code
    snapshots: dict[str, str] = field(default_factory=dict)  # run name -> snapshot directory
    reads: list[dict] = field(default_factory=list)  # the reader's observations during run B
    held: list[str] = field(default_factory=list)  # run ids seen by a connection held through run B
    before_kill: tuple = ()
    after_kill: tuple = ()
    erased_late: dict = field(default_factory=dict)  # the person erased by run D's new request
    erased_early: dict = field(default_factory=dict)  # a person erased in run A, re-sent as an old record


def fingerprint(path: Path) -> tuple:
    stat = path.stat()
    return stat.st_ino, stat.st_size, stat.st_mtime_ns, hashlib.sha256(path.read_bytes()).hexdigest()


def start(env: dict, log: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.publish.refresh", *args],
        cwd=REPO_ROOT,
        env=env,
        stdout=log.open("a"),
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: the kill reaches dbt too
    )


def finish(name: str, process: subprocess.Popen, lifecycle: Lifecycle, log: Path) -> None:
    code = process.wait(timeout=900)
    lifecycle.runs[name] = code
    if code != 0:
        raise AssertionError(f"run {name} failed (exit {code}):\n" + log.read_text()[-4000:])
    lifecycle.snapshots[name] = json.loads((lifecycle.published / "manifest.json").read_text())["snapshot"]


def contacts_of(landing: Path) -> list[dict]:
    with (landing / "crm" / "contacts.csv").open(newline="") as handle:
        return list(csv.DictReader(handle))


def crm_people(demo: Path, erased: bool) -> list[dict]:
    """Persons erased by the demo's own requests (or not), with a CRM contact that carries an e-mail."""
    truth = pl.read_csv(demo / "ground_truth" / "persons.csv", infer_schema=False)
    records = pl.read_csv(demo / "ground_truth" / "source_records.csv", infer_schema=False)
    contacts = pl.DataFrame(contacts_of(demo / "landing")).filter(pl.col("email") != "")
    return (
        truth.filter(pl.col("erased") == ("true" if erased else "false"))
        .join(records.filter(pl.col("source_system") == "crm"), on="person_id")
        .join(
            contacts.select(pl.col("contact_id").alias("source_id"), pl.col("email").alias("crm_email")),
            on="source_id",
        )
        .unique("person_id", keep="first", maintain_order=True)
        .to_dicts()
    )


def request_line(request_id: str, person: dict, day: str) -> str:
    return f"{request_id},{person['crm_email']},,{person['country_code']},{day}T10:00:00Z\n"


def prepare_next_input(base: Path, lifecycle: Lifecycle) -> Path:
    """The landing data of run D: the request file emptied but for one new request, and an older CRM
    record of the person erased in run A (same identity, another contact id)."""
    landing = base / "landing_d"
    shutil.copytree(base / "demo" / "landing", landing)
    contacts = contacts_of(landing)
    # no request any more: the demo's request file is emptied

    early = lifecycle.erased_early
    old = {
        **next(c for c in contacts if c["contact_id"] == early["source_id"]),
        "contact_id": early["old_contact_id"],
    }
    old.update(created_at="2023-11-02 09:00:00", updated_at="")
    with (landing / "crm" / "contacts.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(contacts[0]))
        writer.writeheader()
        writer.writerows([*contacts, old])
    (landing / "consent" / "erasure_requests.csv").write_text(
        "request_id,email,phone,country_code,requested_at\n"
        + request_line("ER-900002", lifecycle.erased_late, "2026-10-30")
    )
    return landing


def kill(process: subprocess.Popen) -> int:
    os.killpg(process.pid, signal.SIGKILL)
    return process.wait()


def wait_for(process: subprocess.Popen, ready) -> None:
    while process.poll() is None and not ready():
        time.sleep(0.01)
    assert process.poll() is None, "the run ended before the moment it was to be killed at"


@pytest.fixture(scope="module")
def lifecycle(refreshed, demo_dir, tmp_path_factory) -> Lifecycle:
    """Run A is the end-to-end run (fixture ``refreshed``): its working file, published directory
    and landing data are copied, then B, C1, C2 and D run on the copy in subprocesses."""
    result, db = refreshed
    assert result.success
    base = tmp_path_factory.mktemp("lifecycle")
    for part in ("landing", "ground_truth"):
        shutil.copytree(demo_dir / part, base / "demo" / part)
    shutil.copytree(demo_dir / "published", base / "published", symlinks=True)
    (base / "warehouse").mkdir()
    shutil.copy(db, base / "warehouse" / "cdp.duckdb")
    published = base / "published"
    state = Lifecycle(base, published)
    state.snapshots["A"] = json.loads((published / "manifest.json").read_text())["snapshot"]
    # erased by the demo's own request in run A; another erased by a new request in run D
    state.erased_early = {**crm_people(base / "demo", erased=True)[0], "old_contact_id": "C09999999"}
    state.erased_late = crm_people(base / "demo", erased=False)[0]
    home = base / "dagster_home"  # one persistent instance for B to D, with the pool limits of make dev
    home.mkdir()
    shutil.copy(REPO_ROOT / "platform_assets" / "dagster_instance.yaml", home / "dagster.yaml")
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "CDP_DATA_DIR": str(base),
        "CDP_LANDING_DIR": str(base / "demo" / "landing"),
        "CDP_GROUND_TRUTH_DIR": str(base / "demo" / "ground_truth"),
        "CDP_DUCKDB_PATH": str(base / "warehouse" / "cdp.duckdb"),
        "CDP_PUBLISHED_SNAPSHOTS": "2",
    }
    log = base / "runs.log"
    analyst = published / "analyst.duckdb"
    parse_dbt(base / "warehouse" / "cdp.duckdb")  # the runs below then parse only what changed

    # B, same input: an analyst keeps a connection open, another reads in a loop, both must be fine
    held = duckdb.connect(str(analyst), read_only=True)
    stop = base / "stop-reader"
    reads = base / "reads.jsonl"  # a file, not a pipe: a full pipe would stall the reader
    reader = subprocess.Popen(
        [sys.executable, "-m", "tests.publish.reader", str(analyst), str(stop)],
        cwd=REPO_ROOT,
        stdout=reads.open("w"),
    )
    # from the customer records on: landing and staging read the same files as in A (the time they would
    # take is spent in the other end-to-end tests); every table computed after them is built again
    run_b = start(env, log, "--from-records")
    while run_b.poll() is None:
        state.held.append(held.execute("select run_id from ops.publication").fetchall()[0][0])
        time.sleep(0.5)
    finish("B", run_b, state, log)
    time.sleep(1)  # a few reads of the new publication
    stop.touch()
    reader.wait(timeout=60)
    state.reads = [json.loads(line) for line in reads.read_text().splitlines()]
    state.held.append(held.execute("select run_id from ops.publication").fetchall()[0][0])
    held.close()
    # kept aside: the retention of 2 snapshots will have pruned A's by the end
    for run in ("A", "B"):
        for name in ("analyst", "restricted"):
            shutil.copy(
                published / "snapshots" / state.snapshots[run] / f"{name}.duckdb",
                base / f"{name}_{run}.duckdb",
            )

    files = ("analyst.duckdb", "restricted.duckdb", "manifest.json")
    state.before_kill = tuple(fingerprint(published / f) for f in files)
    # C1: a whole run killed halfway, while identity resolution writes the working file
    log_c1 = base / "run_c1.log"
    run_c1 = start(env, log_c1, "--identity-onwards")
    wait_for(run_c1, lambda: 'Started execution of step "identity_resolution"' in log_c1.read_text())
    time.sleep(1)
    state.runs["C1"] = kill(run_c1)
    # C2: a publication killed while it builds its files (the worst moment for the published ones)
    run_c2 = start(env, log, "--publication-only")
    wait_for(run_c2, lambda: bool(list(base.glob("published.building/*/analyst.duckdb"))))
    state.runs["C2"] = kill(run_c2)
    state.after_kill = tuple(fingerprint(published / f) for f in files)

    # D: the next run, on new input
    exports = base / "exports" / "email"
    exports.mkdir(parents=True)
    with duckdb.connect(str(published / "restricted.duckdb"), read_only=True) as conn:
        audience = conn.execute(
            "select customer_id, email from referential.dim_customer where email is not null order by customer_id"
        ).fetchall()
    state.erased_late["customer_id_in_a"] = _customer_of(published, "crm", state.erased_late["source_id"])
    (exports / "audience.csv").write_text("customer_id,email\n" + "".join(f"{c},{e}\n" for c, e in audience))
    env_d = {**env, "CDP_LANDING_DIR": str(prepare_next_input(base, state))}
    finish("D", start(env_d, log), state, log)
    return state


def _customer_of(published: Path, system: str, source_id: str) -> str:
    with duckdb.connect(str(published / "restricted.duckdb"), read_only=True) as conn:
        [(customer_id,)] = conn.execute(
            "select customer_id from referential.customer_xref where source_system = ? and source_id = ?",
            [system, source_id],
        ).fetchall()
    return customer_id


def test_a_reader_during_a_refresh_sees_only_complete_publications_and_no_error(lifecycle):
    errors = [r["error"] for r in lifecycle.reads if "error" in r]
    assert errors == []
    assert all(r["complete"] for r in lifecycle.reads)
    runs = [r["run_id"] for r in lifecycle.reads]
    assert len(set(runs)) == 2, "the reader saw the publication of run A, then of run B"
    switched = runs.index(runs[-1])
    assert set(runs[:switched]) == {runs[0]} and set(runs[switched:]) == {runs[-1]}  # never back


def test_a_connection_held_open_keeps_its_snapshot_and_does_not_block_the_refresh(lifecycle):
    assert lifecycle.runs["B"] == 0
    assert len(lifecycle.held) > 2 and len(set(lifecycle.held)) == 1


# What may differ between two runs on the same input: the run audit (README, "Same inputs, same tables")
AUDIT_SCHEMA = "ops"
AUDIT_COLUMNS = {"run_id", "linked_run_id", "linked_at", "generated_at", "published_at"}


@pytest.mark.parametrize("name", ["analyst", "restricted"])
def test_two_runs_on_the_same_input_publish_identical_tables(lifecycle, name):
    snapshot = lambda run: lifecycle.base / f"{name}_{run}.duckdb"  # noqa: E731
    with duckdb.connect(":memory:") as conn:
        conn.execute(f"attach '{snapshot('A')}' as a (read_only)")
        conn.execute(f"attach '{snapshot('B')}' as b (read_only)")
        listing = "select schema_name || '.' || table_name from duckdb_tables() where database_name = ? and not internal order by 1"
        tables_a = [t for (t,) in conn.execute(listing, ["a"]).fetchall()]
        assert tables_a == [t for (t,) in conn.execute(listing, ["b"]).fetchall()]
        assert len(tables_a) > 10
        compared = 0
        for table in tables_a:
            if table.split(".")[0] == AUDIT_SCHEMA:
                continue
            columns = [
                c
                for (c,) in conn.execute(
                    "select column_name from duckdb_columns() where database_name = 'a' "
                    "and schema_name || '.' || table_name = ? order by column_index",
                    [table],
                ).fetchall()
                if c not in AUDIT_COLUMNS
            ]
            listed = ", ".join(f'"{c}"' for c in columns)
            [(only_a, only_b, rows)] = conn.execute(
                f"select (select count(*) from (select {listed} from a.{table} except all select {listed} from b.{table})), "
                f"(select count(*) from (select {listed} from b.{table} except all select {listed} from a.{table})), "
                f"(select count(*) from a.{table})"
            ).fetchall()
            assert (table, only_a, only_b) == (table, 0, 0), f"{table}: {rows} rows"
            compared += 1
        assert compared > 10


def test_runs_killed_halfway_or_while_publishing_leave_the_published_files_unchanged(lifecycle):
    assert lifecycle.runs["C1"] == lifecycle.runs["C2"] == -signal.SIGKILL
    assert lifecycle.after_kill == lifecycle.before_kill
    with duckdb.connect(str(lifecycle.published / "analyst.duckdb"), read_only=True) as conn:
        assert conn.execute("select count(*) from referential.dim_customer").fetchall()[0][0] > 0


def test_the_killed_runs_are_marked_failed_and_free_the_pool_for_the_next(lifecycle, monkeypatch):
    """C1 and C2 died holding the duckdb_writer slot: D recovered them first (as make materialize
    and the nightly schedule do), or it would have waited for that slot forever."""
    import dagster as dg

    monkeypatch.setenv("DAGSTER_HOME", str(lifecycle.base / "dagster_home"))
    with dg.DagsterInstance.get() as instance:
        runs = [r.dagster_run for r in instance.get_run_records(order_by="create_timestamp", ascending=True)]
        assert [r.status for r in runs] == [
            dg.DagsterRunStatus.SUCCESS,  # B
            dg.DagsterRunStatus.FAILURE,  # C1, killed in identity resolution
            dg.DagsterRunStatus.FAILURE,  # C2, killed while publishing
            dg.DagsterRunStatus.SUCCESS,  # D
        ]
        for killed in runs[1:3]:
            [failure] = instance.all_logs(killed.run_id, of_type=dg.DagsterEventType.RUN_FAILURE)
            assert "Marked failed by the platform's recovery" in failure.message
        assert not instance.event_log_storage.get_concurrency_info("duckdb_writer").claimed_slots


def test_the_run_after_the_kill_succeeds_and_only_the_last_snapshots_are_kept(lifecycle):
    assert lifecycle.runs["D"] == 0
    kept = sorted(p.name for p in (lifecycle.published / "snapshots").iterdir())
    assert kept == sorted([lifecycle.snapshots["B"], lifecycle.snapshots["D"]])
    assert not list(lifecycle.published.glob(".building*"))  # C2's build never sat where analysts look
    current = json.loads((lifecycle.published / "current" / "manifest.json").read_text())
    assert current["snapshot"] == lifecycle.snapshots["D"]


def test_an_erased_person_is_absent_everywhere_after_the_next_run(lifecycle):
    person = lifecycle.erased_late
    customer_id = person["customer_id_in_a"]
    identifiers = [v for v in (customer_id, person["crm_email"], person["email"], person["phone_e164"]) if v]
    for kind in ("analyst", "restricted"):
        with duckdb.connect(str(lifecycle.published / f"{kind}.duckdb"), read_only=True) as conn:
            for schema, table, column in conn.execute(
                "select schema_name, table_name, column_name from duckdb_columns() where not internal and data_type = 'VARCHAR'"
            ).fetchall():
                [(hits,)] = conn.execute(
                    f'select count(*) from "{schema}"."{table}" where list_contains(?, "{column}")',
                    [identifiers],
                ).fetchall()
                assert hits == 0, f"{kind}: {schema}.{table}.{column}"
    with duckdb.connect(str(lifecycle.published / "restricted.duckdb"), read_only=True) as conn:
        [(request, applied_run, customers)] = conn.execute(
            "select erasure_request_id, applied_run_id, customers_erased from ops.erasure_log "
            "where erasure_request_id = 'ER-900002'"
        ).fetchall()
        [(run_d,)] = conn.execute("select run_id from ops.publication").fetchall()
    assert (request, applied_run) == ("ER-900002", run_d) and customers >= 1
    exported = (lifecycle.base / "exports" / "email" / "audience.csv").read_text()
    assert customer_id not in exported and exported.count("\n") > 10


def test_an_older_record_does_not_bring_back_a_person_erased_before_the_request_file_went(lifecycle):
    person = lifecycle.erased_early
    with duckdb.connect(str(lifecycle.published / "restricted.duckdb"), read_only=True) as conn:
        [(linked,)] = conn.execute(
            "select count(*) from referential.customer_xref where source_system = 'crm' and source_id in (?, ?)",
            [person["source_id"], person["old_contact_id"]],
        ).fetchall()
        [(golden,)] = conn.execute(
            "select count(*) from referential.dim_customer where email in (lower(?), lower(?)) or phone_e164 = ?",
            [person["email"], person["crm_email"], person["phone_e164"] or "none"],
        ).fetchall()
        logged = conn.execute("select count(*) from ops.erasure_log").fetchall()[0][0]
    assert (linked, golden) == (0, 0)
    assert logged > 1  # run A's requests stay in the log although their file is gone


# What the platform writes, searched for the person erased in run D (the landing copies and this
# test's own copies of A's and B's files are not the platform's). Raw and staging are the files as the
# sources deliver them (the source still delivers the person in D: sources delete at source); an
# erased person's e-commerce orders stay as anonymous sales, so their order ids are not searched.
SEARCHED = ("published", "exports", "models", "dagster_home", "runs.log")
NOT_SEARCHED_SCHEMAS = ("raw", "staging")


def _identifiers(lifecycle: Lifecycle) -> list[str]:
    person = lifecycle.erased_late
    records = pl.read_csv(lifecycle.base / "demo" / "ground_truth" / "source_records.csv", infer_schema=False)
    source_ids = records.filter(
        (pl.col("person_id") == person["person_id"])
        & pl.col("source_system").is_in(["crm", "ecommerce", "loyalty", "emailing"])
    )["source_id"].to_list()
    values = [
        person["customer_id_in_a"],
        person["crm_email"],
        person["email"],
        person["phone_e164"],
        *source_ids,
    ]
    return sorted({v.lower() for v in values if v})


def _hits_in_duckdb(path: Path, identifiers: list[str], skip_schemas: tuple[str, ...] = ()) -> list[str]:
    """schema.table.column of every text value holding an identifier, views excluded."""
    pattern = "|".join(identifiers).replace(".", "\\.").replace("+", "\\+")
    found = []
    with duckdb.connect(str(path), read_only=True) as conn:
        columns = conn.execute(
            "select c.schema_name, c.table_name, c.column_name from duckdb_columns() c "
            "join duckdb_tables() t using (database_name, schema_name, table_name) "
            "where c.database_name = current_database() and c.data_type in ('VARCHAR', 'VARCHAR[]', 'JSON')"
        ).fetchall()
        for schema, table, column in columns:
            if schema in skip_schemas:
                continue
            [(hits,)] = conn.execute(
                f'select count(*) from "{schema}"."{table}" where regexp_matches(lower(cast("{column}" as varchar)), ?)',
                [pattern],
            ).fetchall()
            if hits:
                found.append(f"{path.name}:{schema}.{table}.{column}")
    return found


def test_the_erasure_search_finds_the_person_nowhere_the_platform_writes(lifecycle):
    """Every file under the published directory (the current files and every kept snapshot), the
    exports, saved models, the Dagster instance (run and event storage, compute logs), the runs' log,
    dbt's target and logs, and the working warehouse's tables but raw and staging."""
    identifiers = _identifiers(lifecycle)
    assert len(identifiers) >= 4
    found = []
    files = [
        REPO_ROOT / "dbt_project" / "logs" / "dbt.log",
        *sorted(dbt_target_dir().glob("*.json")),
    ]
    for name in SEARCHED:
        root = lifecycle.base / name
        files += sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else [root]
    assert any(p.suffix == ".duckdb" and "snapshots" in p.parts for p in files)
    searched = 0
    for path in files:
        if not path.is_file():
            continue
        searched += 1
        if path.suffix == ".duckdb":  # compressed columns: searched value by value
            found += _hits_in_duckdb(path, identifiers)
        else:
            blob = path.read_bytes().lower()
            found += [f"{path}: {i}" for i in identifiers if i.encode() in blob]
    found += _hits_in_duckdb(lifecycle.base / "warehouse" / "cdp.duckdb", identifiers, NOT_SEARCHED_SCHEMAS)
    assert found == [] and searched > 20


def test_the_erasure_records_each_place_it_cleaned(lifecycle):
    with duckdb.connect(str(lifecycle.base / "warehouse" / "cdp.duckdb"), read_only=True) as conn:
        places = {
            p
            for (p,) in conn.execute(
                "select place from ops.erasure_cleanups where rows_removed > 0"
            ).fetchall()
        }
    snapshot_b = lifecycle.snapshots["B"]
    assert {"intermediate.int_customer_records_standardised", "export:email/audience.csv"} <= places
    assert f"snapshot:{snapshot_b}/restricted.duckdb:referential.dim_customer" in places
    assert f"snapshot:{snapshot_b}/analyst.duckdb:referential.dim_customer" in places
    manifest = json.loads((lifecycle.published / "snapshots" / snapshot_b / "manifest.json").read_text())
    assert (
        manifest["erased_after_publication"][0]["rows_removed"]["restricted.duckdb"][
            "referential.dim_customer"
        ]
        == 1
    )
