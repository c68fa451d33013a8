from datetime import date

import duckdb

from platform_assets.scores.registry import (
    ModelVersion,
    active_version,
    load_artifact,
    register,
    save_artifact,
)


def test_a_new_version_supersedes_the_old_and_its_artifact_round_trips(tmp_path):
    conn = duckdb.connect(str(tmp_path / "w.duckdb"))
    assert active_version(conn, "churn", "FR") is None
    for version, auc in (("v1", 0.81), ("v2", 0.84)):
        path = save_artifact(
            {"coef": [1, 2], "version": version}, tmp_path / "models", "churn", version, "FR"
        )
        assert path == tmp_path / "models" / "churn" / f"{version}-FR.joblib"
        entry = ModelVersion("churn", version, "FR", date(2026, 11, 1), "run", ["recency_days"], {"auc": auc})
        register(conn, entry, path)
    register(conn, ModelVersion("churn", "v2", "FR", date(2026, 11, 1), "run2", ["x"], {"auc": 0.84}), path)
    rows = conn.execute("select version, status from ops.model_registry order by version").fetchall()
    assert rows == [("v1", "superseded"), ("v2", "active")]
    active = active_version(conn, "churn", "FR")
    assert active["version"] == "v2" and active["features"] == ["x"]
    assert load_artifact(active["artifact_path"]) == {"coef": [1, 2], "version": "v2"}
