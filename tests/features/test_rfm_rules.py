"""Marketing's RFM playbook (dbt seed, resolved per score cell by the dbt model
int_rfm_segment_cells) puts DOMAIN.md's patterns where it says, and a playbook leaving a cell without
a segment stops the run before features.customer_rfm. How rules resolve (priority, gaps, bounds,
actions): the model's dbt unit tests, run by tests/referential/test_dbt_unit_tests.py."""

import json
import shutil

import dagster as dg
import duckdb

from platform_assets.features.assets import RFM_CELLS, customer_rfm
from platform_assets.lib.resources import resources_from_env
from platform_assets.lib.settings import REFERENCE_DATE_TAG
from platform_assets.referential.assets import dbt_models
from tests.conftest import E2E_REFERENCE_DATE
from tests.dbt_parse import dbt_target_dir

PLAYBOOK = {  # DOMAIN.md: typical R-F-M pattern of each named segment
    "5-5-5": "Champions",
    "4-4-4": "Loyal",
    "3-2-3": "Potential loyalists",
    "5-1-1": "New",
    "2-4-4": "At risk",
    "1-5-5": "Can't lose them",
    "1-2-2": "Hibernating",
    "1-1-1": "Lost",
}
GAP_TEST = "rfm_playbook_gives_every_score_cell_a_segment"
PATTERN_TEST = "assert_rfm_typical_patterns_land_in_their_segment"


def test_every_one_of_the_125_cells_has_its_playbook_segment_and_action(refreshed):
    _, db = refreshed
    with duckdb.connect(str(db), read_only=True) as conn:
        cells = conn.sql("select rfm_cell, segment, segment_action from intermediate.int_rfm_segment_cells")
        rows = {cell: (segment, action) for cell, segment, action in cells.fetchall()}
    assert len(rows) == 125
    assert {pattern: rows[pattern][0] for pattern in PLAYBOOK} == PLAYBOOK
    assert {segment for segment, _ in rows.values()} == set(PLAYBOOK.values())
    assert all(action for _, action in rows.values())


def test_a_playbook_with_a_hole_or_a_shadowed_pattern_stops_the_run_before_customer_rfm(
    refreshed, tmp_path, monkeypatch
):
    _, db = refreshed
    scratch = shutil.copy(db, tmp_path / "cdp.duckdb")
    with duckdb.connect(str(scratch)) as conn:
        # no Hibernating: cells are left without a segment; Loyal first: 5-5-5 is no longer Champions
        conn.execute("delete from marketing.rfm_segment_rules where segment = 'Hibernating'")
        conn.execute("update marketing.rfm_segment_rules set priority = 0 where segment = 'Loyal'")
        holes = conn.sql(
            "select count(*) from intermediate.int_rfm_segment_cells where segment = 'Hibernating'"
        ).fetchall()[0][0]
    monkeypatch.setenv("CDP_DUCKDB_PATH", str(scratch))
    result = dg.materialize(
        [dbt_models, customer_rfm],
        selection=[RFM_CELLS, customer_rfm.key],
        resources=resources_from_env(),
        instance=dg.DagsterInstance.ephemeral(),
        tags={REFERENCE_DATE_TAG: E2E_REFERENCE_DATE},
        raise_on_error=False,
    )
    assert not result.success
    assert customer_rfm.key not in {e.asset_key for e in result.get_asset_materialization_events()}
    [folder] = dbt_target_dir().glob(f"dbt_models*-{result.run_id[:7]}-*")
    results = json.loads((folder / "run_results.json").read_text())["results"]
    failed = {r["unique_id"].split(".")[2]: r["failures"] for r in results if r["status"] == "fail"}
    assert failed == {GAP_TEST: holes, PATTERN_TEST: 1}
