"""Published files: built aside, then swapped in atomically; the last N snapshots kept.

Layout of the published directory (analysts open the top-level files, read-only):
  analyst.duckdb, restricted.duckdb, manifest.json, data_dictionary.md   the current publication
  snapshots/<UTC time>_<run id>/                                        the same files, one per run
  .building-<run id>/                                                   a publication being built

A publication is built in ``.building-<run>``, renamed into ``snapshots/`` when complete, then each
top-level file is replaced by ``os.replace`` of a hard link to its snapshot (a link is a copy that
costs nothing; a plain copy where links are refused). A reader holding the old file keeps reading
the old inode; a kill at any moment leaves every top-level file either the old one or the new one.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from datetime import datetime
from pathlib import Path

SNAPSHOTS = "snapshots"
BUILDING_PREFIX = ".building-"
PUBLISHED_FILES = ("analyst.duckdb", "restricted.duckdb", "manifest.json", "data_dictionary.md")
# Read-only for everyone (analyst) / for the owner only (restricted): a published file is never
# written in place, and a hard link shares its inode with its snapshot.
MODES = {
    "analyst.duckdb": 0o444,
    "restricted.duckdb": 0o400,
    "manifest.json": 0o444,
    "data_dictionary.md": 0o444,
}


def snapshot_name(published_at: datetime, run_id: str) -> str:
    return f"{published_at:%Y%m%dT%H%M%SZ}_{run_id[:8]}"


def start_building(published_dir: Path, run_id: str) -> Path:
    """A fresh build directory; leftovers of killed runs are removed first."""
    published_dir.mkdir(parents=True, exist_ok=True)
    for stale in published_dir.glob(f"{BUILDING_PREFIX}*"):
        shutil.rmtree(stale, ignore_errors=True)
    for stale in published_dir.glob(".*.tmp"):
        stale.unlink(missing_ok=True)
    building = published_dir / f"{BUILDING_PREFIX}{run_id}"
    building.mkdir()
    return building


def write_manifest(building: Path, manifest: dict) -> None:
    (building / "manifest.json").write_text(
        json.dumps(manifest, indent=2, sort_keys=True, default=str) + "\n"
    )


def promote(building: Path, published_dir: Path, name: str) -> Path:
    """Makes a complete build the current publication: snapshot directory first, then each file."""
    for file in PUBLISHED_FILES:
        path = building / file
        if not path.exists():
            raise FileNotFoundError(f"publication incomplete: {path} is missing, nothing was published")
        _fsync(path)
        path.chmod(MODES[file])
    snapshot = published_dir / SNAPSHOTS / name
    snapshot.parent.mkdir(exist_ok=True)
    os.rename(building, snapshot)
    _fsync_dir(snapshot.parent)
    for file in PUBLISHED_FILES:
        temporary = published_dir / f".{file}.{name}.tmp"
        try:
            os.link(snapshot / file, temporary)
        except OSError:
            shutil.copy2(snapshot / file, temporary)
        os.replace(temporary, published_dir / file)
    _fsync_dir(published_dir)
    return snapshot


def snapshots(published_dir: Path) -> list[Path]:
    """Snapshot directories, oldest first (names start with their UTC time)."""
    root = published_dir / SNAPSHOTS
    return sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []


def prune(published_dir: Path, keep: int) -> list[str]:
    """Removes all but the ``keep`` newest snapshots, never the one currently published. An analyst
    who still has a removed snapshot open keeps reading it until they close it."""
    current = (current_manifest(published_dir) or {}).get("snapshot")
    removed = []
    for snapshot in snapshots(published_dir)[:-keep]:
        if snapshot.name == current:
            continue
        for file in snapshot.iterdir():
            with contextlib.suppress(PermissionError):
                file.chmod(0o600)
        shutil.rmtree(snapshot)
        removed.append(snapshot.name)
    return removed


def current_manifest(published_dir: Path) -> dict | None:
    path = published_dir / "manifest.json"
    return json.loads(path.read_text()) if path.exists() else None


def _fsync(path: Path) -> None:
    with path.open("rb") as handle:
        os.fsync(handle.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
