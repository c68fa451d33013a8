"""Retention of personal data: what the retailer's configuration (``privacy.retention``) says to remove,
removed each run, with a log (``ops.retention_log``); nothing else is touched. Three categories:

- campaign exports (``<exports>/activation/<reference date>/``, one folder per export day, each file
  with customers' e-mails, phones or addresses), removed once their day is older than
  ``campaign_exports_days`` before the run's reference date. A folder whose name is not a date, any
  other folder of the exports directory, and the export day of the run itself are never removed;
- landing files of the sources listed in ``landing_files_days``: a file the source's glob matches,
  delivered (last modified) more than that many days before the reference date, except the source's
  newest file (the current delivery). Sources are reloaded whole each run: the removed files' rows
  leave raw, staging and every mart at the next run;
- inactive customers (``inactive_customer_years``, ``dormancy.py``): their direct identifiers leave the
  restricted file, the exports and the kept snapshots, their facts stay. Logged here as the customers
  found and the rows anonymised per place.
No Dagster here.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb

from platform_assets.lib.tables import comment_table

CAMPAIGN_EXPORTS = "activation"  # the activation domain's folder under the exports directory
TABLE = "ops.retention_log"
COLUMNS = (
    ("run_id", "varchar", "The run that applied the retention policy."),
    ("reference_date", "date", "The run's reference date, from which ages are counted."),
    ("category", "varchar", "The policy's category (campaign_exports, landing_files, inactive_customers)."),
    (
        "place",
        "varchar",
        "Where: a folder or file relative to its root (landing/, exports/), customers (those found past the "
        "period), or snapshot:<snapshot>/<file>:<table>.",
    ),
    ("files_removed", "bigint", "Files removed there."),
    ("rule", "varchar", "The rule applied, in words (the configured period)."),
    ("removed_at", "timestamp", "When (UTC)."),
    (
        "rows_anonymised",
        "bigint",
        "Inactive customers: rows whose direct identifiers were removed there (customers: how many were found "
        "past the period; the restricted file of this run's publication leaves out their identifiers).",
    ),
)
SNAPSHOT_RULE = (
    "customers past the retention period for inactive customers (privacy.retention_dormant of the run): "
    "direct identifiers removed from the kept snapshot, facts kept under the customer id"
)
DESCRIPTION = "What the retention policy removed, run by run: one row per place removed or anonymised."


@dataclass(frozen=True)
class Removal:
    category: str
    place: str
    files: int
    rule: str
    rows_anonymised: int = 0


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


def delivered_day(path: Path) -> date:
    """The day a landing file was delivered: its last modification, in UTC."""
    return datetime.fromtimestamp(path.stat().st_mtime, UTC).date()


def expired_landing_files(files: list[Path], reference_date: date, days: int) -> list[Path]:
    """Those of one source's ``files`` delivered more than ``days`` before ``reference_date``, never the
    newest (the current delivery, whatever its age)."""
    if not files:
        return []
    cutoff = reference_date - timedelta(days=days)
    newest = max(files, key=lambda p: (p.stat().st_mtime, p.name))
    return sorted(p for p in files if p != newest and delivered_day(p) < cutoff)


def apply_landing_retention(
    landing_dir: Path, globs: dict[str, str], reference_date: date, days_by_source: dict[str, int]
) -> list[Removal]:
    """Removes the expired landing files of each source with a period (``globs``: source -> its files'
    glob under ``landing_dir``); one removal per source with files removed."""
    removed = []
    for source, days in sorted(days_by_source.items()):
        glob = globs.get(source)
        if glob is None:
            continue  # not delivered: nothing of it to remove
        files = sorted(p for p in landing_dir.glob(glob) if p.is_file())
        expired = expired_landing_files(files, reference_date, days)
        for path in expired:
            path.unlink()
        if expired:
            rule = (
                f"{source} files delivered more than {days} days before the reference date, the newest kept "
                f"(removed: {', '.join(p.name for p in expired)})"
            )
            removed.append(Removal("landing_files", f"landing/{glob}", len(expired), rule))
    return removed


def record(conn: duckdb.DuckDBPyConnection, removed: list[Removal], run_id: str, reference_date: date) -> int:
    """Appends ``removed`` to ``ops.retention_log`` (created and documented on first use, a log of an
    earlier version given its new columns); returns the log's rows."""
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    conn.execute("create schema if not exists ops")
    conn.execute(f"create table if not exists {TABLE} ({', '.join(f'{n} {t}' for n, t, _ in COLUMNS)})")
    for name, type_, _ in COLUMNS:
        conn.execute(f"alter table {TABLE} add column if not exists {name} {type_}")
    comment_table(conn, TABLE, DESCRIPTION, {name: text for name, _, text in COLUMNS})
    rows = log_rows(removed, run_id, reference_date, now)
    if rows:
        names = ", ".join(n for n, _, _ in COLUMNS)
        conn.executemany(f"insert into {TABLE} ({names}) values ({', '.join('?' * len(COLUMNS))})", rows)
    [(total,)] = conn.execute(f"select count(*) from {TABLE}").fetchall()
    return int(total)


def log_rows(removed: list[Removal], run_id: str, reference_date: date, now: datetime) -> list[list]:
    return [
        [run_id, reference_date, r.category, r.place, r.files, r.rule, now, r.rows_anonymised]
        for r in removed
    ]


def anonymised(category_rule: str, places: dict[str, int]) -> list[Removal]:
    """Removals of the inactive customers' identifiers: place -> rows anonymised there."""
    return [
        Removal("inactive_customers", place, 0, category_rule, rows)
        for place, rows in sorted(places.items())
        if rows
    ]


def inactive_rule(years: int, cutoff: date, kinds: tuple[str, ...]) -> str:
    return (
        f"customers with no activity ({', '.join(kinds)}) in the {years} years before the reference date "
        f"(none since {cutoff.isoformat()}): direct identifiers removed, facts kept under the customer id"
    )
