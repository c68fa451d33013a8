"""The corruption injector on a small demo: every damaged row is quarantined under its rule, every
source reconciles exactly, and a failed critical expectation stops what is downstream."""

import gzip
import json
import shutil
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from platform_assets.demo.generator import generate
from platform_assets.landing.assets import raw_sources
from platform_assets.landing.contracts import CONTRACTS
from platform_assets.lib.resources import resources_from_env
from platform_assets.lib.retailer import DEMO_RETAILER
from platform_assets.quality.corrupt import corrupt

CUSTOMERS = 300


@pytest.fixture(scope="module")
def corrupted(tmp_path_factory) -> Path:
    demo = tmp_path_factory.mktemp("demo")
    generate(demo, customers=CUSTOMERS, seed=5, start=date(2025, 11, 1), end=date(2026, 10, 31))
    out = tmp_path_factory.mktemp("corrupted")
    corrupt(demo / "landing", out, seed=3)
    return out


def materialize_landing(out: Path, db: Path, extra_assets=(), **kwargs):
    # The injector damages up to a third of a tiny file's rows (1 of 3): the demo's configuration with a limit
    # above that, so these tests see quarantine as a warning (tests/quality/test_quarantine_limit.py
    # covers the limit itself).
    config = db.parent / "retailer.yml"
    config.write_text(
        DEMO_RETAILER.read_text(encoding="utf-8") + "\nquality: {max_quarantined_share: 0.5}\n",
        encoding="utf-8",
    )
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CDP_RETAILER_CONFIG", str(config))
        mp.setenv("CDP_LANDING_DIR", str(out / "landing"))
        mp.setenv("CDP_DUCKDB_PATH", str(db))
        return dg.materialize(
            [raw_sources, *extra_assets],
            resources=resources_from_env(),
            instance=dg.DagsterInstance.ephemeral(),
            raise_on_error=False,
            **kwargs,
        )


@pytest.fixture(scope="module")
def loaded(corrupted, tmp_path_factory):
    db = tmp_path_factory.mktemp("warehouse") / "cdp.duckdb"
    return materialize_landing(corrupted, db), db


def test_the_injector_is_repeatable(corrupted, tmp_path):
    again = corrupt(Path(json.loads((corrupted / "corruption.json").read_text())["source"]), tmp_path, seed=3)
    assert again == json.loads((corrupted / "corruption.json").read_text())
    assert set(again["expected_quarantine"]) >= {"pos_receipt_lines", "pos_receipts", "emailing_events"}


def test_every_damaged_row_is_quarantined_under_its_rule(loaded, corrupted):
    result, db = loaded
    assert result.success  # quarantined rows never fail the run
    manifest = json.loads((corrupted / "corruption.json").read_text())
    with duckdb.connect(str(db), read_only=True) as conn:
        found = {}
        for contract in CONTRACTS:
            for rule, n in conn.execute(
                f"select quarantine_rule, count(*) from quarantine.{contract.table} group by 1"
            ).fetchall():
                found.setdefault(contract.table, {})[rule] = n
        for damaged in manifest["damaged_rows"]:
            [(rule, original)] = conn.execute(
                f"select quarantine_rule, {damaged['column'] or 'null'} from quarantine.{damaged['table']} "
                "where _source_file = ? and _row_number = ?",
                [damaged["file"], damaged["row_number"]],
            ).fetchall()
            assert rule == damaged["rule"], damaged
            if damaged["column"]:
                assert original == (damaged["value"] or None), damaged  # the damaged value, as delivered
        counted = {}  # what the cockpits read: ops.quarantine_by_rule, summed over business units
        for table, rule, n in conn.execute(
            "select raw_table, quarantine_rule, sum(rows) from ops.quarantine_by_rule group by all"
        ).fetchall():
            counted.setdefault(table, {})[rule] = n
    assert found == manifest["expected_quarantine"]
    assert counted == found


def test_every_source_reconciles_exactly(loaded):
    result, _ = loaded
    checks = {(e.asset_key.path[-1], e.check_name): e for e in result.get_asset_check_evaluations()}
    for contract in CONTRACTS:
        check = checks[(contract.table, "reconciliation")]
        assert check.passed, contract.table
        meta = check.metadata
        if meta.get("delivered") is not None:  # configured with when_no_files: empty, none delivered
            assert "no file delivered" in meta["reason"].value, contract.table
            continue
        assert meta["unaccounted_rows"].value == 0
        assert meta["rows_read"].value == meta["rows_accepted"].value + meta["rows_quarantined"].value


def test_rows_read_match_the_files(loaded, corrupted):
    _, db = loaded
    manifest = json.loads((corrupted / "corruption.json").read_text())
    with duckdb.connect(str(db), read_only=True) as conn:
        audit = dict(
            conn.execute(
                "select source_file, rows from ops.landing_files where duplicate_of is null"
            ).fetchall()
        )
        twice = conn.execute(
            "select source_file, duplicate_of from ops.landing_files where duplicate_of is not null"
        ).fetchall()
        encodings = conn.execute(
            "select distinct raw_table, encoding from ops.landing_files where encoding <> 'utf-8'"
        ).fetchall()
    for file, rows in audit.items():
        path = corrupted / "landing" / file
        lines = (gzip.decompress(path.read_bytes()) if file.endswith(".gz") else path.read_bytes()).count(
            b"\n"
        )
        assert rows == (lines if ".ndjson" in file else lines - 1), file
    assert [{"file": f, "same_as": d} for f, d in twice] == manifest["files_delivered_twice"]
    assert encodings == [("crm_contacts", "cp1252")]


def test_quarantine_is_visible_as_a_warning_with_examples(loaded):
    result, _ = loaded
    [warning] = [
        e
        for e in result.get_asset_check_evaluations()
        if e.asset_key.path[-1] == "pos_receipt_lines" and e.check_name == "quarantine"
    ]
    assert not warning.passed and warning.severity == dg.AssetCheckSeverity.WARN
    examples = warning.metadata["examples"].value
    assert set(examples) == set(warning.metadata["by_rule"].value)
    assert all(len(rows) >= 1 for rows in examples.values())


def test_a_failed_critical_expectation_stops_what_is_downstream(corrupted, tmp_path):
    shutil.copytree(corrupted / "landing", tmp_path / "landing")
    stores = tmp_path / "landing" / "erp" / "stores.csv"
    stores.write_text(
        stores.read_text().replace(",store,", ",warehouse,", 1)
    )  # a store type no suite accepts

    @dg.asset(deps=[["raw", "erp_stores"]])
    def downstream_of_stores() -> None: ...

    result = materialize_landing(
        tmp_path,
        tmp_path / "cdp.duckdb",
        [downstream_of_stores],
        selection=[dg.AssetKey(["raw", "erp_stores"]), downstream_of_stores.key],
    )
    assert not result.success
    failed = {
        (e.asset_key.path[-1], e.check_name) for e in result.get_asset_check_evaluations() if not e.passed
    }
    assert failed == {("erp_stores", "expectations_critical")}
    materialized = {m.asset_key.to_user_string() for m in result.get_asset_materialization_events()}
    assert materialized == {"raw/erp_stores"}  # loaded and checked, but nothing built on it
