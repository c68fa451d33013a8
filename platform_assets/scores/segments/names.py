"""Marketing's segment names: a reference file it owns, replacing the proposed names it reviewed.

``segment_names.csv`` (columns segment_key, segment_name, reviewed_by, note) maps a segment key
(``<segmentation version>-s<NN>``) to the name marketing chose. Keys carry the version, so a name
given to a segment of one segmentation never lands on a different group after a re-discovery.
"""

from __future__ import annotations

import csv
from pathlib import Path

NAMES_FILE = Path(__file__).with_name("segment_names.csv")
COLUMNS = ["segment_key", "segment_name", "reviewed_by", "note"]


def read_overrides(path: Path = NAMES_FILE) -> dict[str, str]:
    """segment_key -> name; a malformed file is an error naming the file, line and problem."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames != COLUMNS:
            raise ValueError(f"{path}: header must be {','.join(COLUMNS)}, got {reader.fieldnames}")
        names: dict[str, str] = {}
        for line, row in enumerate(reader, start=2):
            key, name = (row["segment_key"] or "").strip(), (row["segment_name"] or "").strip()
            if not key or not name:
                raise ValueError(f"{path} line {line}: segment_key and segment_name are both required")
            if key in names:
                raise ValueError(f"{path} line {line}: segment_key {key!r} is named twice")
            names[key] = name
    return names


def segment_key(version: str, segment_id: int) -> str:
    return f"{version}-s{segment_id:02d}"


def final_names(
    version: str, proposed: dict[int, str], overrides: dict[str, str]
) -> dict[int, tuple[str, str]]:
    """segment_id -> (name, source): marketing's name when it gave one, else the proposed one."""
    out = {}
    for segment_id, name in proposed.items():
        key = segment_key(version, segment_id)
        out[segment_id] = (overrides[key], "marketing") if key in overrides else (name, "proposed")
    return out
