"""The e-mail then post cascade on a hand-made event log: who gets the letter, the pressure limit over
both steps, the follow-up's own holdout, and its export file."""

import json
from datetime import date, datetime, timedelta

import duckdb
import polars as pl
import pytest

from platform_assets.activation import cascade
from platform_assets.activation.exports import write_exports
from platform_assets.activation.holdout import holdout_draw
from platform_assets.activation.selection import (
    EXCLUDED,
    FOLLOW_UP_DECISIONS,
    SELECTED,
    Selection,
    select_audiences,
)
from platform_assets.activation.store import AUDIENCE_HISTORY
from tests.activation.test_selection import RULES, customer

SENT = date(2026, 11, 1)
DUE = SENT + timedelta(days=10)
# R3 (WIN-BACK by e-mail) is a cascade: ten days later, a letter to those who did not open it
CASCADE_RULES = RULES.with_columns(
    follow_up_channel=pl.when(pl.col("rule_id") == "R3").then(pl.lit("post")).otherwise(None),
    follow_up_days=pl.when(pl.col("rule_id") == "R3").then(pl.lit(10, pl.Int32)).otherwise(None),
)
CODE = cascade.send_code("WIN-BACK", "FR", SENT, "email")

CUSTOMERS = [
    customer("a", band="high risk"),  # opens the e-mail, then clicks
    customer("b", band="high risk"),  # the e-mail is sent; no other event of it (an open of another campaign)
    customer("c", band="high risk"),  # the e-mail bounces
    customer("d", band="high risk"),  # opens, then unsubscribes
    customer("e", band="high risk", consent_post=False),  # not opened, but no consent to post
    customer("f", band="high risk", reachable_post=False),  # not opened, no full postal address
    customer("g", band="high risk"),  # not opened; opens on the due day; two more contacts since the e-mail
]
PAST_RETENTION = customer("h", band="high risk", past_retention=True)  # by the due day, past retention


def _at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour)


EVENTS = pl.DataFrame(
    [
        *[(cid, CODE, "sent", _at(SENT, 7)) for cid in "abcdefg"],
        ("a", CODE, "open", _at(SENT + timedelta(days=1))),
        ("a", CODE, "click", _at(SENT + timedelta(days=1), 10)),
        ("b", "NEWSLETTER-FR-NOV", "open", _at(SENT + timedelta(days=2))),  # another send: does not count
        ("c", CODE, "bounce", _at(SENT, 8)),
        ("d", CODE, "open", _at(SENT + timedelta(days=3))),
        ("d", CODE, "unsubscribe", _at(SENT + timedelta(days=3), 10)),
        ("g", CODE, "open", _at(DUE, 8)),  # on the due day itself: after the decision's cut-off
    ],
    schema=["customer_id", "email_campaign_id", "event_type", "event_at"],
    orient="row",
)


def _connect(customers: list[dict], max_contacts: int) -> duckdb.DuckDBPyConnection:
    conn = duckdb.connect()
    conn.execute("create schema activation")
    conn.register("customers", pl.DataFrame(customers))
    conn.register("rules", CASCADE_RULES)
    conn.register("events", EVENTS)
    conn.register(
        "pressure",
        pl.DataFrame({"business_unit": ["FR"], "max_contacts": [max_contacts], "period_days": [30]}),
    )
    return conn


def _contacts(conn, rows: list[tuple[str, date]]) -> None:
    frame = pl.DataFrame(rows, schema={"customer_id": pl.String, "contact_date": pl.Date}, orient="row")
    conn.register("sent", frame)


def _run_day(conn, day: date, share: float = 0.0, events: str | None = "events", extra_contacts=()) -> None:
    """One day of the selection as audience_tables runs it: the running cascades, the due follow-ups,
    and the contacts (sent + held by running cascades) the pressure limit counts."""
    conn.execute(f"create or replace table cascades as {cascade.cascades_sql(conn, day)}")
    conn.execute(
        f"create or replace table follow_ups as {cascade.follow_ups_sql(day, 'cascades', 'customers', events)}"
    )
    history = (
        f"select customer_id, reference_date as contact_date from {AUDIENCE_HISTORY} where audience_group = 'treatment'"
        if day > SENT
        else "select null::varchar as customer_id, null::date as contact_date where false"
    )
    _contacts(conn, list(extra_contacts))
    conn.execute(
        f"create or replace table contacts as select * from sent union all {history} "
        f"union all {cascade.reservations_sql('cascades')}"
    )
    select_audiences(conn, Selection(day, "salt", share), cascades="cascades", follow_ups="follow_ups")


def _send_emails(conn) -> None:
    """The cascade's e-mail step on SENT, kept as the audience history the next days read."""
    _run_day(conn, SENT)
    conn.execute(f"create table {AUDIENCE_HISTORY} as select * from {SELECTED}")


def _decisions(conn) -> dict[str, tuple[str, str]]:
    rows = conn.execute(f"select customer_id, email_outcome, decision from {FOLLOW_UP_DECISIONS}").fetchall()
    return {cid: (outcome, decision) for cid, outcome, decision in rows}


def test_the_letter_goes_to_non_openers_who_consented_to_post_and_can_be_reached():
    conn = _connect(CUSTOMERS, max_contacts=4)
    _send_emails(conn)
    first = conn.sql(
        f"select customer_id, channel, cascade_step, follow_up_channel from {SELECTED}"
    ).fetchall()
    assert sorted(first) == [(cid, "email", 1, "post") for cid in "abcdefg"]
    # g received two other contacts after the e-mail: with the e-mail, 3 of 4 - the letter still fits
    _run_day(conn, DUE, extra_contacts=[("g", SENT + timedelta(days=2)), ("g", SENT + timedelta(days=4))])
    assert _decisions(conn) == {
        "a": ("opened", "opened"),
        "b": ("not_opened", "selected"),
        "c": ("bounced", "selected"),  # the e-mail never reached them: the letter may
        "d": ("unsubscribed", "unsubscribed"),
        "e": ("not_opened", "no_consent"),
        "f": ("not_opened", "no_contact_data"),
        "g": ("not_opened", "selected"),  # its open came on the due day: not counted
    }
    letters = conn.sql(
        f"select customer_id, campaign_code, channel, cascade_step, first_sent_on from {SELECTED} order by 1"
    ).fetchall()
    assert letters == [(cid, "WIN-BACK", "post", 2, SENT) for cid in "bcg"]
    # everyone still matches WIN-BACK by e-mail: not restarted while their cascade runs
    excluded = conn.sql(
        f"select customer_id, reason from {EXCLUDED} where campaign_code = 'WIN-BACK'"
    ).fetchall()
    assert sorted(excluded) == [(cid, "in_cascade") for cid in "abcdefg"]


def test_a_customer_past_retention_by_the_due_day_gets_no_follow_up():
    conn = _connect([*CUSTOMERS[:1], {**PAST_RETENTION, "is_past_retention": False}], max_contacts=4)
    _send_emails(conn)  # h was active when e-mailed
    conn.register("customers", pl.DataFrame([*CUSTOMERS[:1], PAST_RETENTION]))
    _run_day(conn, DUE)
    assert _decisions(conn) == {"a": ("opened", "opened"), "h": ("not_opened", "past_retention")}


def test_the_pressure_limit_counts_both_steps():
    conn = _connect(CUSTOMERS[:2], max_contacts=1)
    _run_day(conn, SENT)  # a cascaded e-mail costs two contacts: it does not fit under a limit of one
    assert conn.execute(f"select count(*) from {SELECTED}").fetchall() == [(0,)]
    reasons = conn.sql(f"select distinct reason from {EXCLUDED}").fetchall()
    assert reasons == [("pressure_limit",)]

    conn = _connect([customer("b", band="high risk", moment="moving")], max_contacts=3)
    _send_emails(conn)  # the e-mail (2: its letter may follow) and MOVING-IN (1): 3 of 3
    assert sorted(conn.sql(f"select campaign_code from {SELECTED}").fetchall()) == [
        ("MOVING-IN",),
        ("WIN-BACK",),
    ]
    # five days later MOVING-IN matches again: the e-mail, MOVING-IN and the letter the cascade holds fill the limit
    _run_day(conn, SENT + timedelta(days=5))
    assert conn.execute(f"select count(*) from {SELECTED}").fetchall() == [(0,)]
    assert sorted(
        conn.sql(f"select campaign_code, reason, contacts_in_period from {EXCLUDED}").fetchall()
    ) == [
        ("MOVING-IN", "pressure_limit", 3),
        ("WIN-BACK", "in_cascade", None),
    ]
    # on the due day the letter comes first (2 sent + the letter = 3); MOVING-IN does not fit
    _run_day(conn, DUE)
    assert _decisions(conn) == {"b": ("not_opened", "selected")}
    assert conn.sql(f"select campaign_code, cascade_step from {SELECTED}").fetchall() == [("WIN-BACK", 2)]
    # one more contact in the period and the letter no longer fits
    _run_day(conn, DUE, extra_contacts=[("b", SENT + timedelta(days=6))])
    assert _decisions(conn) == {"b": ("not_opened", "pressure_limit")}
    assert conn.execute(f"select count(*) from {SELECTED} where cascade_step = 2").fetchall() == [(0,)]


def test_the_follow_up_has_its_own_holdout_drawn_on_its_own_key():
    people = [customer(f"p{i:03d}", band="high risk") for i in range(200)]
    conn = _connect(people, max_contacts=4)
    _send_emails(conn)
    conn.execute(f"update {AUDIENCE_HISTORY} set audience_group = 'treatment'")  # all e-mailed
    _run_day(conn, DUE, share=0.3)
    rows = conn.sql(
        f"select customer_id, audience_group, holdout_draw from {SELECTED} where cascade_step = 2"
    ).pl()
    assert rows.height == 200  # nobody opened: every e-mailed customer is in the follow-up
    expected = {
        r["customer_id"]: holdout_draw(
            "salt", r["customer_id"], "WIN-BACK" + cascade.FOLLOW_UP_HOLDOUT_SUFFIX
        )
        for r in rows.iter_rows(named=True)
    }
    assert all(
        abs(r["holdout_draw"] - expected[r["customer_id"]]) < 1e-12 for r in rows.iter_rows(named=True)
    )
    held = rows.filter(pl.col("audience_group") == "holdout").height
    assert 40 <= held <= 80  # about 30 % of 200, not the e-mail step's draw (which held nobody here)


def test_without_the_email_tool_events_nobody_gets_the_follow_up():
    conn = _connect(CUSTOMERS[:3], max_contacts=4)
    _send_emails(conn)
    _run_day(conn, DUE, events=None)
    assert set(_decisions(conn).values()) == {("unknown", "no_email_events")}
    assert conn.execute(f"select count(*) from {SELECTED} where cascade_step = 2").fetchall() == [(0,)]


def test_a_follow_up_is_decided_once():
    conn = _connect(CUSTOMERS[:2], max_contacts=4)
    _send_emails(conn)
    _run_day(conn, DUE)
    conn.execute(f"create table activation.cascade_follow_ups as select * from {FOLLOW_UP_DECISIONS}")
    _run_day(conn, DUE + timedelta(days=1))  # the next day: nothing due any more, nothing running
    assert conn.execute("select count(*) from cascades").fetchall() == [(0,)]
    # a missed day: decided on the first run after the due day
    conn.execute("drop table activation.cascade_follow_ups")
    _run_day(conn, DUE + timedelta(days=3))
    assert _decisions(conn) == {"a": ("opened", "opened"), "b": ("not_opened", "selected")}


def test_the_decision_matrix_declares_follow_ups_only_on_email_rules():
    conn = duckdb.connect()
    bad = CASCADE_RULES.with_columns(
        follow_up_channel=pl.when(pl.col("rule_id").is_in(["R1", "R4", "R5"]))
        .then(pl.lit("post"))
        .otherwise(None),
        follow_up_days=pl.when(pl.col("rule_id") == "R5").then(pl.lit(0, pl.Int32)).otherwise(None),
    )
    conn.register("rules", bad)
    assert cascade.rule_problems(conn, "rules") == [
        "rule R1: a follow-up needs an e-mail first step (opens decide it), not 'phone'",
        "rule R4: follow_up_days must be a whole number of days >= 1, not None",
        "rule R5: follow_up_days must be a whole number of days >= 1, not 0",
    ]
    conn.register("rules", CASCADE_RULES)
    assert cascade.rule_problems(conn, "rules") == []


@pytest.fixture
def exported(tmp_path):
    conn = _connect(CUSTOMERS, max_contacts=4)
    _send_emails(conn)
    _run_day(conn, DUE)
    conn.execute(f"create table audiences as select * from {SELECTED}")
    conn.execute(
        "create table contacts_of as select customer_id, customer_id || '@example.org' as email, 'Ann' as first_name, "
        "'Lee' as last_name, '1 rue' as street, '75001' as postcode, 'Paris' as city, 'FR' as country_code "
        "from customers"
    )
    files = write_exports(conn, "audiences", "contacts_of", tmp_path, DUE, "run-1", datetime(2026, 11, 11, 6))
    return tmp_path, files


def test_the_follow_up_is_exported_in_its_own_file_with_a_manifest(exported):
    root, files = exported
    [letter] = [f for f in files if f.cascade_step == 2]
    assert letter.file_path == f"activation/{DUE}/WIN-BACK__post__FR__follow-up.csv"
    assert letter.send_code == f"WIN-BACK-FR-{DUE:%Y%m%d}-post-follow-up"
    rows = pl.read_csv(root / letter.file_path)
    assert rows["customer_id"].to_list() == ["b", "c", "g"]
    assert rows.columns == [
        "customer_id",
        "first_name",
        "last_name",
        "street",
        "postcode",
        "city",
        "country_code",
    ]
    manifest = json.loads((root / f"{letter.file_path}.manifest.json").read_text())
    assert (
        manifest["rows"] == 3 and manifest["send_code"] == letter.send_code and manifest["cascade_step"] == 2
    )
