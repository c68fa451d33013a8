"""The model registry: every trained model saved with its version, training date, features and metrics.

Artifacts are joblib files under ``<models dir>/<model>/<version>-<business unit>.joblib`` (the
models dir is the ``platform`` resource's ``models_path``, passed in); ``ops.model_registry`` lists
them (one row per model, version and business unit). A version is content-derived by the caller (e.g.
a hash of the training inputs and parameters) or a timestamp for an explicit re-training; an
existing (model, version, business_unit) row is replaced, so re-running a day registers it once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from platform_assets.lib.tables import table_exists

REGISTRY_DDL = """
create table if not exists ops.model_registry (
    model varchar not null,
    version varchar not null,
    business_unit varchar not null,        -- 'ALL' for a group-wide model
    trained_at timestamp not null,
    training_reference_date date,          -- the as-of date of the training data
    run_id varchar,
    features varchar[],
    metrics json,                          -- {"metric": value, ...} measured on held-out data
    artifact_path varchar,
    status varchar not null,               -- 'active', 'superseded' or (a challenger) 'promoted'
    primary key (model, version, business_unit)
);
comment on table ops.model_registry is 'Fitted models: one row per model, version and business unit.';
comment on column ops.model_registry.model is 'Model name, e.g. churn, life_moment_<moment>, appetence, segmentation.';
comment on column ops.model_registry.version is 'Version of the fitted model.';
comment on column ops.model_registry.business_unit is
    'Business unit (country, ISO 3166 code) the model is fitted for; ALL for a group-wide model.';
comment on column ops.model_registry.trained_at is 'When the model was registered (UTC).';
comment on column ops.model_registry.training_reference_date is 'The as-of date of the training data.';
comment on column ops.model_registry.run_id is 'Dagster run that fitted the model.';
comment on column ops.model_registry.features is 'Input features of the model, in order.';
comment on column ops.model_registry.metrics is
    'Metrics measured on held-out data or the backtest, as JSON {"metric": value}.';
comment on column ops.model_registry.artifact_path is 'Path of the joblib artifact under the data directory.';
comment on column ops.model_registry.status is
    'active (used for scoring), superseded (replaced by a newer version or a promoted challenger) or promoted (a challenger version the promote_challenger job made champion).';
"""


@dataclass(frozen=True)
class ModelVersion:
    model: str
    version: str
    business_unit: str
    training_reference_date: date | None
    run_id: str | None
    features: list[str]
    metrics: dict[str, float]
    trained_at: datetime = field(default_factory=lambda: datetime.now(UTC).replace(tzinfo=None))


def save_artifact(obj, models_dir: Path, model: str, version: str, business_unit: str = "ALL") -> Path:
    import joblib

    path = models_dir / model / f"{version}-{business_unit}.joblib"
    path.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(obj, path)
    return path


def load_artifact(path: str | Path):
    import joblib

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"model artifact {path} is listed in ops.model_registry but missing on disk")
    return joblib.load(path)


def register(conn: duckdb.DuckDBPyConnection, entry: ModelVersion, artifact: Path | None) -> None:
    """Records ``entry`` as the active version of its model and business unit (others: superseded)."""
    conn.execute("create schema if not exists ops")
    conn.execute(REGISTRY_DDL)
    conn.execute(
        "update ops.model_registry set status = 'superseded' where model = ? and business_unit = ? "
        "and version <> ?",
        [entry.model, entry.business_unit, entry.version],
    )
    conn.execute(
        "insert or replace into ops.model_registry values (?, ?, ?, ?, ?, ?, ?, ?, ?, 'active')",
        [
            entry.model,
            entry.version,
            entry.business_unit,
            entry.trained_at,
            entry.training_reference_date,
            entry.run_id,
            entry.features,
            json.dumps(entry.metrics, default=float),
            str(artifact) if artifact else None,
        ],
    )


def save_and_register(conn: duckdb.DuckDBPyConnection, models_dir: Path, fitted, entry: ModelVersion) -> Path:
    """Saves ``fitted`` as the artifact of ``entry`` and registers it as the active version."""
    path = save_artifact(fitted, models_dir, entry.model, entry.version, entry.business_unit)
    register(conn, entry, path)
    return path


def active_version(conn: duckdb.DuckDBPyConnection, model: str, business_unit: str = "ALL") -> dict | None:
    """The active registry row of a model, or None when it was never trained."""
    if not table_exists(conn, "ops.model_registry"):
        return None
    rows = conn.execute(
        "select * from ops.model_registry where model = ? and business_unit = ? and status = 'active' "
        "order by trained_at desc limit 1",
        [model, business_unit],
    ).fetchall()
    if not rows:
        return None
    columns = [d[0] for d in conn.description]
    return dict(zip(columns, rows[0], strict=True))


def change_status(conn: duckdb.DuckDBPyConnection, model: str, status: str, new_status: str) -> None:
    """Every ``status`` row of ``model`` becomes ``new_status`` (e.g. a promotion: the champion's
    active rows superseded, the challenger's promoted)."""
    if table_exists(conn, "ops.model_registry"):
        conn.execute(
            "update ops.model_registry set status = ? where model = ? and status = ?",
            [new_status, model, status],
        )
