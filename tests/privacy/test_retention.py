"""Retention: the campaign exports and the landing files past the configured period are removed and
logged; nothing outside the policy is touched; no period, nothing removed; a period the configuration
gets wrong is refused. (Inactive customers: test_inactive_customers.py.)"""

import os
from datetime import UTC, date, datetime

import pytest
import yaml

from platform_assets.lib.retailer import DEMO_RETAILER, RetailerConfigError, load_retailer
from platform_assets.privacy.retention import apply_landing_retention, apply_retention

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


def _delivered(path, day: str, text: str = "x\n"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    moment = datetime.fromisoformat(day).replace(hour=12, tzinfo=UTC).timestamp()
    os.utime(path, (moment, moment))
    return path


def test_landing_files_past_their_sources_period_are_removed_never_the_newest(tmp_path):
    landing = tmp_path / "landing"
    web = [
        _delivered(landing / "web" / f"events_{d}.ndjson.gz", d)
        for d in ("2025-06-01", "2025-09-30", "2025-10-02")
    ]
    sales = _delivered(landing / "pos" / "receipts_2019.csv", "2019-01-01")  # no period: kept
    crm = _delivered(landing / "crm" / "contacts.csv", "2020-01-01")  # its only file: the current delivery
    stray = _delivered(landing / "web" / "notes.txt", "2020-01-01")  # the glob does not match it
    globs = {
        "web_events": "web/events_*.ndjson.gz",
        "pos_receipts": "pos/receipts_*.csv",
        "crm_contacts": "crm/contacts.csv",
    }
    removed = apply_landing_retention(landing, globs, REF, {"web_events": 395, "crm_contacts": 30})
    # cutoff 2025-10-02: the two older web files go; the CRM's only file is its newest
    assert [(r.category, r.place, r.files) for r in removed] == [
        ("landing_files", "landing/web/events_*.ndjson.gz", 2)
    ]
    assert "events_2025-06-01.ndjson.gz, events_2025-09-30.ndjson.gz" in removed[0].rule
    assert (
        [p.exists() for p in web] == [False, False, True]
        and sales.exists()
        and crm.exists()
        and stray.exists()
    )
    # the newest is kept however old: a source that stopped delivering still has its last file
    old = [_delivered(landing / "mail" / f"events_{d}.ndjson", d) for d in ("2020-01-01", "2020-02-01")]
    removed = apply_landing_retention(
        landing, {"emailing_events": "mail/events_*.ndjson"}, REF, {"emailing_events": 30}
    )
    assert [r.files for r in removed] == [1] and [p.exists() for p in old] == [False, True]
    assert apply_landing_retention(landing, globs, REF, {}) == []  # no period: nothing
    assert apply_landing_retention(landing, {}, REF, {"web_events": 1}) == []  # not delivered: nothing


@pytest.mark.parametrize(
    ("retention", "message"),
    [
        ({"inactive_customer_years": 0}, "inactive_customer_years"),
        ({"access_bundles_days": -5}, "access_bundles_days"),
        ({"activity": ["purchase", "phone_call"]}, "activity"),
        ({"activity": []}, "activity"),
        ({"landing_files_days": {"web_events": 0}}, "landing_files_days.web_events"),
        ({"landing_files_days": {"loyalty_points": 30}}, "unknown source 'loyalty_points'"),
    ],
)
def test_the_configuration_refuses_a_wrong_retention_setting(tmp_path, retention, message):
    config = yaml.safe_load(DEMO_RETAILER.read_text())
    config["privacy"] = {"retention": retention}
    bad = tmp_path / "retailer.yml"
    bad.write_text(yaml.safe_dump(config))
    with pytest.raises(RetailerConfigError, match=message):
        load_retailer(bad)


def test_a_source_not_delivered_may_keep_its_landing_period(tmp_path):
    """A variant of the retailer without web analytics keeps the demo's period for it: nothing to remove."""
    config = yaml.safe_load(DEMO_RETAILER.read_text())
    del config["sources"]["web_events"]
    variant = tmp_path / "retailer.yml"
    variant.write_text(yaml.safe_dump(config))
    assert load_retailer(variant).privacy.retention.landing_files_days == {"web_events": 395}


def test_the_demo_documents_every_retention_setting():
    policy = load_retailer(DEMO_RETAILER).privacy.retention
    assert (policy.inactive_customer_years, policy.landing_files_days, policy.access_bundles_days) == (
        3,
        {"web_events": 395},
        90,
    )
    text = DEMO_RETAILER.read_text()
    assert all(f"# {kind}" in text or f"{kind} (" in text for kind in policy.activity)


def test_the_session_run_applies_the_demos_policy_to_nothing_it_should_keep(refreshed, demo_dir):
    """The demo keeps campaign exports 90 days, web files 395 days, inactive customers' identifiers 3 years:
    the run's own export day stays, every landing file (delivered today) stays, and nobody of the three years
    of data is inactive for three years, so the restricted file keeps every identifier; the log is published."""
    import duckdb

    from platform_assets.privacy.assets import RETENTION_CHECK
    from platform_assets.privacy.tables import DORMANT_TABLE

    result, db = refreshed
    assert result.success
    [check] = [e for e in result.get_asset_check_evaluations() if e.check_name == RETENTION_CHECK]
    assert check.passed
    days = sorted(p.name for p in (demo_dir / "exports" / "activation").iterdir() if p.is_dir())
    assert days == ["2026-11-01"]
    web = sorted((demo_dir / "landing" / "web").glob("events_*.ndjson.gz"))
    assert len(web) > 300  # one file a day: none removed
    with duckdb.connect(str(db), read_only=True) as conn:
        assert conn.execute(f"select count(*) from {DORMANT_TABLE}").fetchall() == [(0,)]
        [(working_emails, first_purchase)] = conn.execute(
            "select count(email), min(first_purchase_at)::date from referential.dim_customer"
        ).fetchall()
    assert first_purchase >= date(2023, 11, 1)  # the data starts three years before the reference date
    with duckdb.connect(str(demo_dir / "published" / "restricted.duckdb"), read_only=True) as conn:
        assert conn.execute("select count(*) from ops.retention_log").fetchall() == [(0,)]
        register = dict(conn.execute("select domain, retention from ops.processing_register").fetchall())
        [(emails,)] = conn.execute("select count(email) from referential.dim_customer").fetchall()
    assert emails == working_emails > 0
    assert "campaign export files removed 90 days after their day" in register["activation"]
    assert "for 3 years: direct identifiers removed" in register["referential"]
    assert "web_events 395 days" in register["landing"]
    assert "access bundles deleted 90 days after the answer" in register["publish"]
