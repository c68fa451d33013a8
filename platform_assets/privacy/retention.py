"""Retention of files holding personal data: what the retailer's configuration says to remove, removed
each run, with a log (``ops.retention_log``); nothing else is touched.

One category so far: the campaign exports (``<exports>/activation/<reference date>/``, one folder per
export day, each file with customers' e-mails, phones or addresses), removed once their day is older
than ``privacy.retention.campaign_exports_days`` before the run's reference date. A folder whose name is
not a date, any other folder of the exports directory, and the export day of the run itself are never
removed. No Dagster here.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

CAMPAIGN_EXPORTS = "activation"  # the activation domain's folder under the exports directory
TABLE = "ops.retention_log"
COLUMNS = (
    ("run_id", "varchar", "The run that applied the retention policy."),
    ("reference_date", "date", "The run's reference date, from which ages are counted."),
    ("category", "varchar", "The policy's category (campaign_exports)."),
    ("place", "varchar", "What was removed, relative to its root (the exports directory)."),
    ("files_removed", "bigint", "Files removed there."),
    ("rule", "varchar", "The rule applied, in words (the configured period)."),
    ("removed_at", "timestamp", "When (UTC)."),
)


@dataclass(frozen=True)
class Removal:
    category: str
    place: str
    files: int
    rule: str


def expired_export_days(exports_dir: Path, reference_date: date, days: int) -> list[Path]:
    """The campaign export folders whose day is more than ``days`` before ``reference_date``."""
    root = exports_dir / CAMPAIGN_EXPORTS
    if not root.is_dir():
        return []
    cutoff = reference_date - timedelta(days=days)
    expired = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        try:
            day = date.fromisoformat(folder.name)
        except ValueError:
            continue  # not an export day: outside the policy
        if day < cutoff:
            expired.append(folder)
    return expired


def apply_retention(
    exports_dir: Path, reference_date: date, campaign_exports_days: int | None
) -> list[Removal]:
    """Removes what the policy says (a category without a period keeps everything); returns what it removed."""
    if campaign_exports_days is None:
        return []
    rule = f"campaign exports older than {campaign_exports_days} days before the reference date"
    removed = []
    for folder in expired_export_days(exports_dir, reference_date, campaign_exports_days):
        files = sum(1 for p in folder.rglob("*") if p.is_file())
        shutil.rmtree(folder)
        removed.append(Removal("campaign_exports", str(folder.relative_to(exports_dir)), files, rule))
    return removed


def log_rows(removed: list[Removal], run_id: str, reference_date: date, now: datetime) -> list[list]:
    return [[run_id, reference_date, r.category, r.place, r.files, r.rule, now] for r in removed]
