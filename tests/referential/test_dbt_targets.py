"""dbt's per-invocation target folders are kept a week, then removed: a nightly refresh must not fill
the disk."""

import os

from platform_assets.referential.assets import prune_dbt_targets

DAY = 86400.0
NOW = 1_800_000_000.0


def _folder(root, name, age_days):
    folder = root / name
    (folder / "run").mkdir(parents=True)
    (folder / "run_results.json").write_text("{}")
    os.utime(folder, (NOW - age_days * DAY, NOW - age_days * DAY))
    return folder


def test_only_older_folders_of_the_same_op_are_removed(tmp_path):
    current = _folder(tmp_path, "dbt_models-abc1234-0000001", age_days=30)  # its own: never
    old = _folder(tmp_path, "dbt_models-def5678-0000002", age_days=8)
    recent = _folder(tmp_path, "dbt_models-def5678-0000003", age_days=6)
    other_op = _folder(tmp_path, "other_models-def5678-0000004", age_days=30)
    project_files = _folder(tmp_path, "compiled", age_days=30)  # dbt parse's own output

    removed = prune_dbt_targets(current, keep_days=7, now=NOW)

    assert removed == [old]
    assert not old.exists()
    assert all(f.exists() for f in (current, recent, other_op, project_files))
