"""Being replaced by platform_assets.lib (settings resource); deleted once no domain calls settings()."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from platform_assets.lib.settings import REFERENCE_DATE_TAG, REPO_ROOT

DEFAULT_HOLDOUT_SALT = "cdp-holdout-v1"
DEFAULT_HOLDOUT_SHARE = 0.10


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    landing_dir: Path
    duckdb_path: Path
    reference_date: date | None  # None: the run's tag, else today (UTC)
    ground_truth_dir: Path  # the demo generator's truth: read only to measure match quality
    match_threshold: float | None  # None: the matching default
    published_dir: Path  # analyst.duckdb, restricted.duckdb, manifest.json, snapshots/
    snapshots_kept: int  # published snapshots kept for rollback and comparison
    exports_dir: Path  # every export file lives under it (erasure sweeps it)
    volume_tolerance: float = 0.5  # a table's row count may move this share from its recent average
    gx_max_rows: int = 200_000  # above this, Great Expectations reads a repeatable sample of the table
    holdout_salt: str = DEFAULT_HOLDOUT_SALT  # salts the hash that puts a customer in a campaign's holdout
    holdout_share: float = DEFAULT_HOLDOUT_SHARE  # share of each audience held out (not contacted)

    @property
    def analyst_path(self) -> Path:
        """The published analyst file: no direct identifiers, opened read-only by analysts."""
        return self.published_dir / "analyst.duckdb"

    @property
    def restricted_path(self) -> Path:
        """The published restricted file: personal data, for referential and activation teams."""
        return self.published_dir / "restricted.duckdb"

    @classmethod
    def from_env(cls) -> Settings:
        data_dir = Path(os.environ.get("CDP_DATA_DIR", REPO_ROOT / "data")).resolve()
        landing = Path(os.environ.get("CDP_LANDING_DIR", data_dir / "demo" / "landing")).resolve()
        duckdb_path = Path(os.environ.get("CDP_DUCKDB_PATH", data_dir / "warehouse" / "cdp.duckdb")).resolve()
        ref = os.environ.get("CDP_REFERENCE_DATE")
        truth = Path(os.environ.get("CDP_GROUND_TRUTH_DIR", landing.parent / "ground_truth")).resolve()
        threshold = os.environ.get("CDP_MATCH_THRESHOLD")
        tolerance = os.environ.get("CDP_VOLUME_TOLERANCE")
        gx_max_rows = os.environ.get("CDP_GX_MAX_ROWS")
        published = Path(os.environ.get("CDP_PUBLISHED_DIR", data_dir / "published")).resolve()
        kept = int(os.environ.get("CDP_PUBLISHED_SNAPSHOTS", "7"))
        if kept < 1:
            raise ValueError(f"CDP_PUBLISHED_SNAPSHOTS must be at least 1 (the published one), got {kept}")
        exports = Path(os.environ.get("CDP_EXPORTS_DIR", data_dir / "exports")).resolve()
        salt = os.environ.get("CDP_HOLDOUT_SALT") or DEFAULT_HOLDOUT_SALT
        share = float(os.environ.get("CDP_HOLDOUT_SHARE") or DEFAULT_HOLDOUT_SHARE)
        if not 0 < share < 1:
            raise ValueError(f"CDP_HOLDOUT_SHARE must be between 0 and 1 (exclusive), got {share}")
        return cls(
            data_dir,
            landing,
            duckdb_path,
            date.fromisoformat(ref) if ref else None,
            truth,
            float(threshold) if threshold else None,
            published,
            kept,
            exports,
            float(tolerance) if tolerance else 0.5,
            int(gx_max_rows) if gx_max_rows else 200_000,
            salt,
            share,
        )


def settings() -> Settings:
    return Settings.from_env()


def resolve_reference_date(run_tags: dict[str, str], configured: date | None) -> date:
    """The date every score is computed "as of": the run's tag (set by the schedule or by hand),
    else ``CDP_REFERENCE_DATE``, else today in UTC."""
    if tag := run_tags.get(REFERENCE_DATE_TAG):
        return date.fromisoformat(tag)
    if configured is not None:
        return configured
    return datetime.now(UTC).date()
