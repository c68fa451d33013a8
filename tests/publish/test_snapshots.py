"""Snapshot promotion and retention on plain files (no pipeline)."""

import os
from datetime import datetime, timedelta

from platform_assets.publish import snapshots


def build(published, run, day):
    building = snapshots.start_building(published, run)
    for name in snapshots.PUBLISHED_FILES:
        (building / name).write_text(f"{run}\n")
    snapshots.write_manifest(building, {"run_id": run, "snapshot": snapshots.snapshot_name(day, run)})
    return building, snapshots.snapshot_name(day, run)


def test_promotion_swaps_every_file_and_keeps_the_last_n(tmp_path):
    published = tmp_path / "published"
    start = datetime(2026, 11, 1, 6)
    for n in range(4):
        building, name = build(published, f"run{n}aaaa", start + timedelta(days=n))
        if n == 3:
            reader = (published / "analyst.duckdb").open()  # an analyst reading publication 2
        snapshots.promote(building, published, name)
        snapshots.prune(published, keep=2)
    assert (published / "analyst.duckdb").read_text() == "run3aaaa\n"
    assert snapshots.current_manifest(published)["run_id"] == "run3aaaa"
    assert [p.name.split("_")[1] for p in snapshots.snapshots(published)] == ["run2aaaa", "run3aaaa"]
    assert reader.read() == "run2aaaa\n"  # the open file is the old one, whole
    assert not os.access(published / "analyst.duckdb", os.W_OK) or os.geteuid() == 0
    assert not list(published.glob(".*"))


def test_a_build_left_by_a_killed_run_is_cleaned_and_never_published(tmp_path):
    published = tmp_path / "published"
    building, name = build(published, "good0000", datetime(2026, 11, 1))
    snapshots.promote(building, published, name)
    stale = snapshots.start_building(published, "killed00")
    (stale / "analyst.duckdb").write_text("half")
    fresh = snapshots.start_building(published, "next0000")
    assert not stale.exists() and fresh.exists()
    assert (published / "analyst.duckdb").read_text() == "good0000\n"
