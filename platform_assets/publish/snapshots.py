"""Published files: built aside, then swapped in; the last N snapshots kept.

Layout (analysts open the top-level files, or ``current/``, read-only):
  <published>/analyst.duckdb, restricted.duckdb, manifest.json, data_dictionary.md   the current publication
  <published>/current -> snapshots/<UTC time>_<run id>                              the same, as one set
  <published>/snapshots/<UTC time>_<run id>/                                        one per run, complete
  <published>.building/<run id>/                                                    a publication being built

A publication is built beside the published directory (never where analysts look: a killed build
leaves its personal data only there, private, until the next build removes it), renamed into
``snapshots/`` when complete, then each top-level file is replaced by ``os.replace`` of a hard link
to its snapshot (a link is a copy that costs nothing; a plain copy where links are refused), and
last the ``current`` link is swapped to the new snapshot.

What is atomic: each top-level file is replaced in one rename (a reader sees the old file or the new
one, never a mix; one holding the old file keeps reading its inode); the set of the four is replaced
file by file, so for a moment the new manifest can sit beside the old analyst file. ``current`` is
one rename: through it the four files always belong to one publication (so does every snapshot).
Each DuckDB file names its run in ``ops.publication`` (``run_id``), as the manifest does.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from datetime import datetime
from pathlib import Path

SNAPSHOTS = "snapshots"
CURRENT = "current"
BUILDING_SUFFIX = ".building"  # <published>.building/<run id>: outside the published directory
LEGACY_BUILDING_PREFIX = ".building-"  # inside it, before this version: removed when found
PUBLISHED_FILES = (
    "analyst.duckdb",
    "restricted.duckdb",
    "manifest.json",
    "data_dictionary.md",
    "processing_register.md",
)
# Read-only for everyone (analyst) / for the owner only (restricted): a published file is never
# written in place, and a hard link shares its inode with its snapshot.
MODES = {
    "analyst.duckdb": 0o444,
    "restricted.duckdb": 0o400,
    "manifest.json": 0o444,
    "data_dictionary.md": 0o444,
    "processing_register.md": 0o444,
}


def snapshot_name(published_at: datetime, run_id: str) -> str:
    return f"{published_at:%Y%m%dT%H%M%SZ}_{run_id[:8]}"


def building_root(published_dir: Path) -> Path:
    return published_dir.with_name(published_dir.name + BUILDING_SUFFIX)


def start_building(published_dir: Path, run_id: str) -> Path:
    """A fresh, private build directory beside the published one; leftovers of killed runs are removed first."""
    published_dir.mkdir(parents=True, exist_ok=True)
    root = building_root(published_dir)
    for path in [*root.glob("*"), *published_dir.glob(f"{LEGACY_BUILDING_PREFIX}*")]:
        shutil.rmtree(path, ignore_errors=True)
    for path in published_dir.glob(".*.tmp"):
        path.unlink(missing_ok=True)
    root.mkdir(mode=0o700, exist_ok=True)
    building = root / run_id
    building.mkdir(mode=0o700)
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
    snapshot.chmod(0o755)  # built private; complete, it is for readers
    _fsync_dir(snapshot.parent)
    for file in PUBLISHED_FILES:
        temporary = published_dir / f".{file}.{name}.tmp"
        try:
            os.link(snapshot / file, temporary)
        except OSError:
            shutil.copy2(snapshot / file, temporary)
        os.replace(temporary, published_dir / file)
    pointer = published_dir / f".{CURRENT}.{name}.tmp"
    os.symlink(Path(SNAPSHOTS) / name, pointer)
    current = published_dir / CURRENT
    if current.is_dir() and not current.is_symlink():  # a copy of the folder made it a directory
        shutil.rmtree(current)
    os.replace(pointer, published_dir / CURRENT)  # last: the whole set at once
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
        for file in snapshot.iterdir():  # files, and the cockpits' folder (platform_assets/cockpits/)
            with contextlib.suppress(PermissionError):
                file.chmod(0o700 if file.is_dir() else 0o600)
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
