"""One identity resolution run, start to end: match, assign stable ids, apply the right to erasure,
measure against the ground truth, write every identity table in one transaction."""

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl

from platform_assets.privacy.erasure import Erasure
from platform_assets.privacy.tables import LOG_TABLE, SUPPRESSION_TABLE
from platform_assets.referential.identity.crosswalk import crosswalk, id_changes, issued_ids, without_erased
from platform_assets.referential.identity.matching import MatchingConfig, MatchResult, resolve
from platform_assets.referential.identity.quality import MatchQuality, measure, read_ground_truth
from platform_assets.referential.identity.schema import HISTORY, QUALITY, WEIGHTS
from platform_assets.referential.identity.stable_ids import IdAssignment, assign_customer_ids
from platform_assets.referential.identity.store import (
    find_erasure,
    identity_flags,
    previous_state,
    row_counts,
    write_identity,
)


@dataclass(frozen=True)
class IdentityRun:
    """What a run wrote, for the asset's metadata."""

    config: MatchingConfig
    match: MatchResult
    ids: IdAssignment  # after erasure
    xref: pl.DataFrame
    registry_before: int  # ids in the registry before this run
    issued: pl.DataFrame
    history: pl.DataFrame
    quality: MatchQuality | None
    erasure: Erasure
    row_counts: dict[str, int]  # table -> rows after the run
    resolve_seconds: float
    run_seconds: float


def resolve_identities(
    conn: duckdb.DuckDBPyConnection,
    config: MatchingConfig,
    run_id: str,
    restricted: Path,
    ground_truth_dir: Path,
) -> IdentityRun:
    """Deterministic rules, then Splink; connected components; stable ids against the previous
    crosswalk; erased customers left out; merges and splits recorded; all written together."""
    now = datetime.now(UTC).replace(tzinfo=None)
    started = time.perf_counter()
    match = resolve(conn, config)
    resolved_s = time.perf_counter() - started
    previous, registry = previous_state(conn)
    ids = assign_customer_ids(match.clusters, previous, registry)
    # the right to erasure, once, here: nothing downstream ever sees an erased person
    erasure = find_erasure(conn, ids, run_id, now, restricted)
    ids = without_erased(ids, erasure.erased_customer_ids)
    xref = crosswalk(ids.assignments, match.edges, identity_flags(conn), run_id, now)
    issued = issued_ids(ids.issued, registry, run_id, now)
    history = id_changes(ids.history, run_id, now)
    quality = measure(xref, read_ground_truth(ground_truth_dir))
    weights = match.match_weights.with_columns(
        pl.lit(run_id).alias("run_id"), pl.lit(config.link_threshold).alias("link_threshold")
    )
    quality_row = None
    if quality is not None:
        quality_row = {"run_id": run_id, "measured_at": now, "link_threshold": config.link_threshold}
        quality_row.update(quality.as_dict())
    write_identity(conn, xref, issued, history, ids.retired, weights, quality_row, erasure)
    counted = [HISTORY, WEIGHTS, SUPPRESSION_TABLE, LOG_TABLE, *([QUALITY] if quality else [])]
    return IdentityRun(
        config=config,
        match=match,
        ids=ids,
        xref=xref,
        registry_before=registry.height,
        issued=issued,
        history=history,
        quality=quality,
        erasure=erasure,
        row_counts=row_counts(conn, counted),
        resolve_seconds=round(resolved_s, 1),
        run_seconds=round(time.perf_counter() - started, 1),
    )
