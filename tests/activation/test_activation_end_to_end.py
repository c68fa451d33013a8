"""Activation on the end-to-end run (fixture ``refreshed``: 600 customers as of 2026-11-01): the files
handed out, the audiences, the holdouts and the measured campaigns, read back from disk and warehouse."""

import json
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import pytest

from platform_assets.activation.exports import FIELDS, SUBDIR, sha256_of
from platform_assets.activation.holdout import holdout_draw
from platform_assets.lib.settings import PlatformSettings
from tests.conftest import E2E_REFERENCE_DATE

DEFAULT_HOLDOUT_SALT = PlatformSettings.model_fields["holdout_salt"].default
DEFAULT_HOLDOUT_SHARE = PlatformSettings.model_fields["holdout_share"].default


@pytest.fixture(scope="module")
def run(refreshed, demo_dir):
    result, db = refreshed
    assert result.success
    return result, db, demo_dir


def query(db: Path, sql: str, params=None) -> pl.DataFrame:
    with duckdb.connect(str(db), read_only=True) as conn:
        return conn.sql(sql, params=params).pl()


def export_files(demo_dir: Path) -> list[Path]:
    return sorted((demo_dir / "exports" / SUBDIR / E2E_REFERENCE_DATE).glob("*.csv"))


def test_every_audience_has_a_file_per_channel_with_only_its_fields_and_a_true_manifest(run):
    _, db, demo_dir = run
    expected = query(
        db,
        "select campaign_code, channel, business_unit, count(*) as n from activation.audiences "
        "where audience_group = 'treatment' group by all",
    )
    files = export_files(demo_dir)
    assert len(files) == expected.height > 0
    for path in files:
        manifest = json.loads(path.with_name(path.name + ".manifest.json").read_text())
        frame = pl.read_csv(path, infer_schema=False)
        assert tuple(frame.columns) == FIELDS[manifest["channel"]]
        assert manifest["rows"] == frame.height
        assert manifest["sha256"] == sha256_of(path)
        assert manifest["reference_date"] == E2E_REFERENCE_DATE
        [n] = expected.filter(
            (pl.col("campaign_code") == manifest["campaign_code"])
            & (pl.col("channel") == manifest["channel"])
            & (pl.col("business_unit") == manifest["business_unit"])
        )["n"].to_list()
        assert n == frame.height
    day = json.loads((files[0].parent / "manifest.json").read_text())
    assert sorted(f["file_path"] for f in day["files"]) == sorted(
        str(p.relative_to(demo_dir / "exports")) for p in files
    )


def test_no_unconsented_erased_or_held_out_customer_in_any_export_file(run):
    _, db, demo_dir = run
    customers = query(
        db,
        "select customer_id, email, phone_e164, has_email_consent, has_sms_consent, has_phone_consent, "
        "has_post_consent from referential.dim_customer",
    )
    holdouts = query(
        db,
        "select customer_id, campaign_code, channel from activation.audiences where audience_group = 'holdout'",
    )
    truth = pl.read_csv(demo_dir / "ground_truth" / "persons.csv", infer_schema=False)
    erased = truth.filter(pl.col("erased") == "true")
    assert erased.height > 0
    erased_ids = set(
        query(db, "select key_hash from ops.erasure_suppression where key_type = 'customer_id'")["key_hash"]
    )
    exported = 0
    for path in export_files(demo_dir):
        manifest = json.loads(path.with_name(path.name + ".manifest.json").read_text())
        channel = manifest["channel"]
        frame = pl.read_csv(path, infer_schema=False)
        exported += frame.height
        joined = frame.join(customers, on="customer_id", how="left")
        assert joined[f"has_{channel}_consent"].to_list() == [True] * frame.height, path.name
        held = holdouts.filter(pl.col("campaign_code") == manifest["campaign_code"])
        assert frame.join(held, on="customer_id").height == 0, path.name
        hashed = frame.select(pl.col("customer_id").map_elements(_sha256, return_dtype=pl.String))
        assert not set(hashed["customer_id"]) & erased_ids, path.name
        for column, values in (("email", erased["email"]), ("phone_e164", erased["phone_e164"])):
            if column in frame.columns:
                assert not set(frame[column].drop_nulls()) & set(values.drop_nulls()), path.name
    assert exported > 0


def test_a_contact_who_unsubscribed_after_opting_in_is_not_emailed(run):
    """The e-mail tool's unsubscribes and hard bounces after a customer's latest e-mail opt-in in the
    consent file withdraw it: no such customer is in an e-mail export (counted from staging here)."""
    _, db, demo_dir = run
    withdrawn = query(
        db,
        """
        with opt_ins as (
            select x.customer_id, max(p.collected_at) as opted_in_at
            from staging.stg_consent__preferences p
            join referential.customer_xref x using (source_system, source_id)
            where p.consent_channel = 'email' and p.consent_status = 'opt_in'
            group by 1
        ),
        withdrawals as (
            select x.customer_id, max(e.event_at) as withdrawn_at
            from staging.stg_emailing__events e
            join referential.customer_xref x
                on x.source_system = 'emailing' and x.source_id = e.email_subscriber_id
            where e.event_type = 'unsubscribe' or (e.event_type = 'bounce' and e.bounce_type = 'hard')
            group by 1
        )
        select customer_id from opt_ins join withdrawals using (customer_id)
        where withdrawn_at > opted_in_at
        """,
    )["customer_id"]
    assert withdrawn.len() > 0  # the demo has such contacts: the test can fail
    emailed = [
        pl.read_csv(path, infer_schema=False)["customer_id"]
        for path in export_files(demo_dir)
        if json.loads(path.with_name(path.name + ".manifest.json").read_text())["channel"] == "email"
    ]
    assert emailed and sum(s.len() for s in emailed) > 0
    assert not set(withdrawn) & set(pl.concat(emailed))
    flags = query(
        db,
        "select count(*) filter (where has_email_consent) as consenting from referential.dim_customer "
        "where customer_id in (select unnest(?))",
        [withdrawn.to_list()],
    )
    assert flags["consenting"][0] == 0


def _sha256(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()


def test_holdout_groups_are_the_hash_rule_and_about_the_share_in_every_band(run):
    _, db, _ = run
    members = query(
        db,
        "select customer_id, campaign_code, score_band, holdout_draw, audience_group from activation.audiences",
    )
    draws = [
        holdout_draw(DEFAULT_HOLDOUT_SALT, c, k)
        for c, k in zip(members["customer_id"], members["campaign_code"], strict=True)
    ]
    assert members["holdout_draw"].to_list() == pytest.approx(draws, abs=1e-12)
    assert members["audience_group"].to_list() == [
        "holdout" if d < DEFAULT_HOLDOUT_SHARE else "treatment" for d in draws
    ]
    bands = members.group_by("score_band").agg(
        pl.len().alias("n"), (pl.col("audience_group") == "holdout").mean().alias("share")
    )
    for n, share in bands.select("n", "share").iter_rows():
        sd = (DEFAULT_HOLDOUT_SHARE * (1 - DEFAULT_HOLDOUT_SHARE) / n) ** 0.5
        assert abs(share - DEFAULT_HOLDOUT_SHARE) <= 4 * sd + 1e-9, bands


def test_nothing_is_lost_and_the_pressure_limit_holds(run):
    _, db, _ = run
    reasons = query(db, "select reason, count(*) n from activation.audience_exclusions group by all")
    assert {"no_consent"} <= set(reasons["reason"])
    over = query(
        db,
        # a cascade's e-mail counts two: its letter may follow
        "select a.customer_id, any_value(a.contacts_in_period) + sum(if(a.follow_up_channel is null, 1, 2)) "
        "as contacts, any_value(p.max_contacts) m "
        "from activation.audiences a join activation.contact_pressure p using (business_unit) group by all "
        "having contacts > m",
    )
    assert over.height == 0
    both = query(
        db,
        "select count(*) n from activation.audiences a join activation.audience_exclusions e "
        "using (reference_date, campaign_code, customer_id)",
    )
    assert both["n"][0] == 0
    # holdouts are never contacts
    contacted_holdouts = query(
        db,
        "select count(*) n from activation.contact_history c join activation.audiences a "
        "on a.customer_id = c.customer_id and a.campaign_code = c.campaign_code and a.reference_date = c.contact_date "
        "where a.audience_group = 'holdout'",
    )
    assert contacted_holdouts["n"][0] == 0


def test_the_measured_uplift_interval_of_each_past_campaign_holds_the_simulated_effect(run):
    _, db, demo_dir = run
    truth = pl.read_csv(demo_dir / "ground_truth" / "campaigns.csv")
    results = query(db, "select * from activation.campaign_results where source = 'campaign_tool'")
    assert set(results["campaign_code"]) == set(truth["campaign_code"])
    joined = results.join(truth, on="campaign_code")
    for row in joined.iter_rows(named=True):
        assert (
            row["incremental_revenue_per_customer_ci_low"] <= row["true_incremental_revenue_per_treated"]
        ), row
        assert (
            row["true_incremental_revenue_per_treated"] <= row["incremental_revenue_per_customer_ci_high"]
        ), row
        assert row["treated"] > 0 and row["control"] > 0
        assert row["cost"] == pytest.approx(row["treated"] * row["cost_per_contact"])


def test_a_rerun_of_the_day_gives_the_same_groups_and_replaces_its_history(run, demo_dir, monkeypatch):
    _, db, _ = run
    from platform_assets.activation import audiences
    from platform_assets.lib.resources import resources_from_env
    from platform_assets.lib.settings import REFERENCE_DATE_TAG

    before = query(
        db, "select campaign_code, customer_id, audience_group from activation.audiences order by all"
    )
    history_before = query(db, "select count(*) n from activation.audience_history")["n"][0]
    monkeypatch.setenv("CDP_LANDING_DIR", str(demo_dir / "landing"))
    monkeypatch.setenv("CDP_DUCKDB_PATH", str(db))
    monkeypatch.setenv("CDP_DATA_DIR", str(demo_dir))
    again = dg.materialize(
        [audiences],
        resources=resources_from_env(),
        tags={REFERENCE_DATE_TAG: E2E_REFERENCE_DATE},
        instance=dg.DagsterInstance.ephemeral(),
    )
    assert again.success
    after = query(
        db, "select campaign_code, customer_id, audience_group from activation.audiences order by all"
    )
    assert after.equals(before)
    assert query(db, "select count(*) n from activation.audience_history")["n"][0] == history_before
    runs = query(db, "select distinct run_id from activation.audience_history")["run_id"].to_list()
    assert runs == [again.run_id]


def test_the_win_back_email_is_a_cascade_whose_letter_is_decided_later(run):
    """The demo's decision matrix cascades WIN-BACK: the e-mail now, a letter to non-openers ten days
    later (tests/activation/test_cascade.py decides it on a crafted event log). On the first day the
    e-mails carry the follow-up and their file the send code the events will come back with."""
    _, db, demo_dir = run
    steps = query(
        db,
        "select channel, cascade_step, follow_up_channel, follow_up_days, count(*) n from activation.audiences "
        "where campaign_code = 'WIN-BACK' group by all",
    )
    email = steps.filter(pl.col("channel") == "email")
    assert email.height == 1 and email["n"][0] > 0
    assert email.select("cascade_step", "follow_up_channel", "follow_up_days").row(0) == (1, "post", 10)
    assert steps.filter(pl.col("channel") != "email")["follow_up_channel"].is_null().all()
    assert query(db, "select count(*) n from activation.cascade_follow_ups")["n"][0] == 0  # nothing due yet
    exports = query(
        db,
        "select business_unit, send_code from activation.audience_exports "
        "where campaign_code = 'WIN-BACK' and channel = 'email'",
    )
    assert exports.height > 0
    for bu, code in exports.iter_rows():
        assert code == f"WIN-BACK-{bu}-{E2E_REFERENCE_DATE.replace('-', '')}-email"
        manifest = json.loads(
            (
                demo_dir
                / "exports"
                / SUBDIR
                / E2E_REFERENCE_DATE
                / f"WIN-BACK__email__{bu}.csv.manifest.json"
            ).read_text()
        )
        assert manifest["send_code"] == code
