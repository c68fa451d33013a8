"""Retention: the campaign exports past the configured period are removed and logged; nothing outside
the policy is touched; no period, nothing removed; a period the configuration gets wrong is refused."""

from datetime import date

import pytest
import yaml

from platform_assets.lib.retailer import DEMO_RETAILER, RetailerConfigError, load_retailer
from platform_assets.privacy.retention import apply_retention

REF = date(2026, 11, 1)


def _exports(tmp_path):
    root = tmp_path / "exports"
    for day in ("2026-05-01", "2026-08-02", "2026-08-03", "2026-11-01"):
        (root / "activation" / day).mkdir(parents=True)
        (root / "activation" / day / "email_FR.csv").write_text("customer_id,email\n")
        (root / "activation" / day / "manifest.json").write_text("{}")
    (root / "activation" / "notes").mkdir()  # not an export day
    (root / "activation" / "notes" / "old.csv").write_text("x\n")
    (root / "privacy" / "access" / "AR-1").mkdir(parents=True)  # another category
    (root / "privacy" / "access" / "AR-1" / "access.json").write_text("{}")
    return root


def test_campaign_exports_past_the_period_are_removed_and_nothing_else(tmp_path):
    root = _exports(tmp_path)
    removed = apply_retention(root, REF, 90)  # cutoff 2026-08-03: older days go
    assert [(r.place, r.files) for r in removed] == [
        ("activation/2026-05-01", 2),
        ("activation/2026-08-02", 2),
    ]
    assert removed[0].rule == "campaign exports older than 90 days before the reference date"
    left = sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
    assert left == [
        "activation/2026-08-03/email_FR.csv",
        "activation/2026-08-03/manifest.json",
        "activation/2026-11-01/email_FR.csv",
        "activation/2026-11-01/manifest.json",
        "activation/notes/old.csv",
        "privacy/access/AR-1/access.json",
    ]
    assert apply_retention(root, REF, 90) == []  # applied once


def test_no_period_removes_nothing(tmp_path):
    root = _exports(tmp_path)
    before = sorted(root.rglob("*"))
    assert apply_retention(root, REF, None) == [] and sorted(root.rglob("*")) == before
    assert apply_retention(tmp_path / "absent", REF, 30) == []


def test_the_configuration_refuses_a_period_that_is_not_a_positive_number_of_days(tmp_path):
    config = yaml.safe_load(DEMO_RETAILER.read_text())
    assert load_retailer(DEMO_RETAILER).privacy.retention.campaign_exports_days == 90
    config["privacy"] = {"retention": {"campaign_exports_days": 0}}
    bad = tmp_path / "retailer.yml"
    bad.write_text(yaml.safe_dump(config))
    with pytest.raises(RetailerConfigError, match="campaign_exports_days"):
        load_retailer(bad)


def test_the_session_run_applies_the_demos_policy_to_nothing_it_should_keep(refreshed, demo_dir):
    """The demo keeps campaign exports 90 days: the run's own export day stays, the log is published."""
    import duckdb

    result, _ = refreshed
    assert result.success
    days = sorted(p.name for p in (demo_dir / "exports" / "activation").iterdir() if p.is_dir())
    assert days == ["2026-11-01"]
    with duckdb.connect(str(demo_dir / "published" / "restricted.duckdb"), read_only=True) as conn:
        assert conn.execute("select count(*) from ops.retention_log").fetchall() == [(0,)]
        [(text,)] = conn.execute(
            "select retention from ops.processing_register where domain = 'activation'"
        ).fetchall()
    assert "campaign export files removed 90 days after their day" in text
