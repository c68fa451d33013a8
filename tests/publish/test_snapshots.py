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
    # the pointer: the four files of one publication, swapped at once
    assert (published / "current").resolve() == snapshots.snapshots(published)[-1].resolve()
    assert (published / "current" / "manifest.json").read_text() == (published / "manifest.json").read_text()


def test_a_build_left_by_a_killed_run_is_cleaned_and_never_published(tmp_path):
    published = tmp_path / "published"
    building, name = build(published, "good0000", datetime(2026, 11, 1))
    snapshots.promote(building, published, name)
    stale = snapshots.start_building(published, "killed00")
    (stale / "analyst.duckdb").write_text("half")
    fresh = snapshots.start_building(published, "next0000")
    assert not stale.exists() and fresh.exists()
    assert (published / "analyst.duckdb").read_text() == "good0000\n"


def test_a_build_is_private_and_never_where_analysts_look(tmp_path):
    published = tmp_path / "published"
    building = snapshots.start_building(published, "killed00")
    (building / "restricted.duckdb").write_text("personal data")  # killed here
    assert building.parent.parent == published.parent and not building.is_relative_to(published)
    assert building.stat().st_mode & 0o777 == 0o700
    assert not list(published.rglob("restricted.duckdb"))


def test_a_build_left_inside_the_published_folder_by_an_older_version_is_removed(tmp_path):
    published = tmp_path / "published"
    legacy = published / ".building-oldrun00"
    legacy.mkdir(parents=True)
    (legacy / "restricted.duckdb").write_text("personal data")
    snapshots.start_building(published, "next0000")
    assert not legacy.exists()
