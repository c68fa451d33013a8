"""Audience selection on small hand-made tables: the matrix, consent, erasure, pressure, accounting."""

from datetime import date

import duckdb
import polars as pl
import pytest

from platform_assets.activation.selection import EXCLUDED, MATCHED, SELECTED, Selection, select_audiences

REF = date(2026, 11, 1)
RULES = pl.DataFrame(
    [
        # rule, priority, bu, rfm, behaviour, churn band, life moment, appetence department, campaign, channel
        ("R1", 1, "*", "Can't lose them", "*", "*", "*", "*", "RED-ALERT", "phone"),
        ("R2", 2, "*", "Can't lose them", "*", "*", "*", "*", "RED-ALERT", "post"),  # fallback channel
        ("R3", 3, "*", "*", "*", "high risk", "*", "*", "WIN-BACK", "email"),
        ("R4", 4, "FR", "*", "*garden*", "*", "*", "*", "GARDEN", "email"),  # glob on the segment, FR only
        ("R5", 5, "*", "*", "*", "*", "moving", "*", "MOVING-IN", "email"),
        (
            "R6",
            6,
            "*",
            "*",
            "*",
            "*",
            "*",
            "Tools & hardware",
            "XSELL-TOOLS",
            "email",
        ),  # next-best department
    ],
    schema=[
        "rule_id",
        "priority",
        "business_unit",
        "rfm_segment",
        "behavioural_segment",
        "churn_band",
        "life_moment",
        "appetence_department",
        "campaign_code",
        "channel",
    ],
    orient="row",
).with_columns(
    campaign_name=pl.col("campaign_code"),
    offer=pl.lit("offer"),
    measurement_days=pl.lit(30),
    follow_up_channel=pl.lit(None, pl.String),  # no cascade here: tests/activation/test_cascade.py
    follow_up_days=pl.lit(None, pl.Int32),
)


def customer(
    cid,
    bu="FR",
    rfm="Loyal",
    segment="DIY regulars",
    band="healthy",
    moment="none",
    appetence="none",
    **flags,
):
    row = {
        "customer_id": cid,
        "business_unit": bu,
        "rfm_segment": rfm,
        "behavioural_segment": segment,
        "churn_band": band,
        "churn_model_arm": flags.pop("arm", "champion"),
        "life_moment": moment,
        "appetence_department": appetence,
        "is_erased": flags.pop("erased", False),
        "is_past_retention": flags.pop("past_retention", False),
    }
    for channel in ("email", "sms", "phone", "post"):
        row[f"consent_{channel}"] = flags.get(f"consent_{channel}", True)
        row[f"reachable_{channel}"] = flags.get(f"reachable_{channel}", True)
    return row


def run(customers: list[dict], contacts: list[tuple[str, date]] = (), max_contacts: int = 2, share=0.0):
    conn = duckdb.connect()
    conn.register("customers", pl.DataFrame(customers))
    conn.register("rules", RULES)
    conn.register(
        "pressure",
        pl.DataFrame(
            {"business_unit": ["FR", "PL"], "max_contacts": [max_contacts] * 2, "period_days": [30, 30]}
        ),
    )
    conn.register(
        "contacts",
        pl.DataFrame(list(contacts), schema=["customer_id", "contact_date"], orient="row")
        if contacts
        else pl.DataFrame(schema={"customer_id": pl.String, "contact_date": pl.Date}),
    )
    select_audiences(conn, Selection(REF, "salt", share))
    selected = conn.sql(f"select * from {SELECTED} order by customer_id, priority").pl()
    excluded = conn.sql(f"select * from {EXCLUDED} order by customer_id, campaign_code").pl()
    [(matched,)] = conn.execute(
        f"select count(*) from (select distinct customer_id, campaign_code from {MATCHED})"
    ).fetchall()
    assert matched == selected.height + excluded.height  # nothing lost
    return selected, excluded


def pairs(frame: pl.DataFrame, *columns: str) -> set[tuple]:
    return set(frame.select("customer_id", *columns).iter_rows())


def test_rules_match_on_every_dimension_with_wildcards_and_globs():
    selected, excluded = run(
        [
            customer("a", band="high risk"),
            customer("b", segment="Weekend GARDENERS"),
            customer("c", bu="PL", segment="weekend gardeners"),  # the garden rule is FR only
            customer("d", moment="moving"),
            customer("e"),  # matches nothing
            customer("f", appetence="tools & HARDWARE"),  # most likely to buy tools next
            customer("g", appetence="Kitchen"),  # another department: no rule for it
        ]
    )
    assert pairs(selected, "campaign_code", "rule_id") == {
        ("a", "WIN-BACK", "R3"),
        ("b", "GARDEN", "R4"),
        ("d", "MOVING-IN", "R5"),
        ("f", "XSELL-TOOLS", "R6"),
    }
    assert excluded.is_empty()


def test_each_member_carries_the_churn_model_arm_whose_band_selected_them():
    selected, _ = run(
        [
            customer("a", band="high risk", arm="challenger"),
            customer("b", band="high risk", arm="champion"),
            customer("d", moment="moving", arm=None),  # no churn score: no arm
        ]
    )
    assert pairs(selected, "campaign_code", "churn_model_arm") == {
        ("a", "WIN-BACK", "challenger"),
        ("b", "WIN-BACK", "champion"),
        ("d", "MOVING-IN", None),
    }


def test_a_campaign_falls_back_to_the_next_channel_the_customer_consented_to():
    selected, excluded = run(
        [
            customer("phone_ok", rfm="Can't lose them"),
            customer("post_only", rfm="Can't lose them", consent_phone=False),
            customer("no_phone_number", rfm="Can't lose them", reachable_phone=False),
            customer("neither", rfm="Can't lose them", consent_phone=False, consent_post=False),
            customer("no_address", rfm="Can't lose them", consent_phone=False, reachable_post=False),
        ]
    )
    assert pairs(selected, "channel") == {
        ("phone_ok", "phone"),
        ("post_only", "post"),
        ("no_phone_number", "post"),
    }
    assert pairs(excluded, "reason") == {("neither", "no_consent"), ("no_address", "no_contact_data")}
    assert excluded.filter(pl.col("customer_id") == "neither")["channels_matched"].to_list() == ["phone,post"]


def test_an_erased_customer_is_never_selected_whatever_their_consents():
    selected, excluded = run([customer("gone", band="high risk", moment="moving", erased=True)])
    assert selected.is_empty()
    assert pairs(excluded, "campaign_code", "reason") == {
        ("gone", "WIN-BACK", "erased"),
        ("gone", "MOVING-IN", "erased"),
    }


def test_a_customer_past_the_retention_period_is_not_contacted():
    """Their identifiers are being removed (privacy/dormancy.py): excluded with the reason, not sent a file
    row the retention step would blank."""
    selected, excluded = run(
        [customer("dormant", band="high risk", past_retention=True), customer("active", band="high risk")]
    )
    assert pairs(selected, "campaign_code") == {("active", "WIN-BACK")}
    assert pairs(excluded, "campaign_code", "reason") == {("dormant", "WIN-BACK", "past_retention")}


def test_past_retention_counts_the_configured_activity_before_the_reference_date():
    from platform_assets.privacy.dormancy import past_retention_sql

    conn = duckdb.connect()
    conn.execute("create schema sales; create schema marketing")
    conn.execute(
        "create table sales.fct_sales_lines as select * from (values "
        "('old', date '2022-06-01', date '2022-06-01'), "  # last purchase over 3 years before REF
        "('recent', date '2021-01-01', date '2021-01-01'), ('recent', date '2025-02-01', date '2025-02-01'), "
        "('clicker', date '2022-01-01', date '2022-01-01'), "
        "('future', date '2027-01-01', date '2027-01-01')"  # after the reference date: does not count
        ") t(customer_id, sold_date, ordered_date)"
    )
    conn.execute(
        "create table marketing.fct_email_events as select * from (values "
        "('clicker', 'click', timestamp '2026-03-01 10:00'), ('old', 'sent', timestamp '2026-03-01 10:00')"
        ") t(customer_id, event_type, event_at)"
    )
    past = lambda kinds: sorted(  # noqa: E731
        cid for (cid,) in conn.execute(past_retention_sql(conn, REF, 3, kinds)).fetchall()
    )
    assert past(("purchase",)) == ["clicker", "old"]
    assert past(("purchase", "email_engagement")) == ["old"]  # a click is activity, a send is not
    assert past_retention_sql(conn, REF, None, ("purchase",)) is None  # no period: nobody


def test_the_pressure_limit_keeps_the_best_campaigns_and_counts_recent_contacts_only():
    everything = dict(
        rfm="Can't lose them", band="high risk", moment="moving"
    )  # RED-ALERT, WIN-BACK, MOVING-IN
    selected, excluded = run(
        [
            customer("fresh", **everything),
            customer("contacted_once", **everything),
            customer("contacted_twice", **everything),
            customer("contacted_long_ago", **everything),
        ],
        contacts=[
            ("contacted_once", date(2026, 10, 20)),
            ("contacted_twice", date(2026, 10, 2)),  # first day of the 30-day period
            ("contacted_twice", date(2026, 10, 31)),
            ("contacted_long_ago", date(2026, 10, 1)),  # outside the period
            ("fresh", date(2026, 11, 1)),  # the reference day itself is not "already sent"
        ],
    )
    kept = {}
    for cid, code in pairs(selected, "campaign_code"):
        kept.setdefault(cid, set()).add(code)
    assert kept == {
        "fresh": {"RED-ALERT", "WIN-BACK"},
        "contacted_long_ago": {"RED-ALERT", "WIN-BACK"},
        "contacted_once": {"RED-ALERT"},
    }
    limited = excluded.filter(pl.col("reason") == "pressure_limit")
    assert pairs(limited, "campaign_code", "contacts_in_period") == {
        ("fresh", "MOVING-IN", 0),
        ("contacted_long_ago", "MOVING-IN", 0),
        ("contacted_once", "WIN-BACK", 1),
        ("contacted_once", "MOVING-IN", 1),
        ("contacted_twice", "RED-ALERT", 2),
        ("contacted_twice", "WIN-BACK", 2),
        ("contacted_twice", "MOVING-IN", 2),
    }


def test_holdouts_take_a_slot_and_follow_the_draw():
    people = [
        customer(f"c{i:03d}", band=("high risk" if i % 2 else "attention"), moment="moving")
        for i in range(400)
    ]
    selected, _ = run(people, share=0.25)
    assert set(selected["audience_group"]) == {"treatment", "holdout"}
    assert (selected.filter(pl.col("audience_group") == "holdout")["holdout_draw"] < 0.25).all()
    assert (selected.filter(pl.col("audience_group") == "treatment")["holdout_draw"] >= 0.25).all()
    share = (selected["audience_group"] == "holdout").mean()
    assert share == pytest.approx(0.25, abs=0.06)
    assert set(selected["score_band"]) == {"high risk", "attention"}
