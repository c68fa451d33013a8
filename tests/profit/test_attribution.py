"""Multi-touch attribution on a crafted warehouse, credits computed by hand: orders with 1, 2, 3 and 5
touches and orders with none (kept as no_touch), the look-back window, unmapped touches, the
reconciliation, ROAS and margin on ad spend; and a retailer whose touch sources are all switched off."""

from datetime import date

import duckdb
import pytest

from platform_assets.lib.gates import violations
from platform_assets.lib.profit_settings import AttributionSettings, PositionWeights
from platform_assets.profit import attribution
from platform_assets.profit.checks import ATTRIBUTION_RULES, BY_CHANNEL_RULES

REF = date(2026, 11, 1)
SETTINGS = AttributionSettings(
    lookback_days=30,
    position_weights=PositionWeights(first=0.3, middle=0.4, last=0.3),
    email_channel="email",
    web_channels={"cpc": "paid_search", "social": "social", "display": "display", "referral": "referral"},
    acquisition_channels=("paid_search",),
)

# order id, customer, business unit, ordered_at, net amount, margin, cancelled
ORDERS = [
    ("O1", "C1", "FR", "2026-10-20 12:00:00", 100.0, 40.0, False),  # 1 touch
    ("O2", "C2", "FR", "2026-10-20 12:00:00", 200.0, 50.0, False),  # 2 touches
    ("O3", "C3", "FR", "2026-10-25 12:00:00", 300.0, 90.0, False),  # 3 touches
    ("O5", "C5", "FR", "2026-10-28 12:00:00", 500.0, 100.0, False),  # 5 touches
    ("ON", "C9", "FR", "2026-10-20 12:00:00", 70.0, 20.0, False),  # touches none of which count
    ("OA", None, "FR", "2026-10-21 09:00:00", 30.0, 10.0, False),  # anonymous: no touch possible
    ("OX", "C1", "FR", "2026-10-22 12:00:00", 999.0, 99.0, True),  # cancelled: not credited
    ("OF", "C1", "FR", "2026-11-01 10:00:00", 999.0, 99.0, False),  # on the reference date: not yet
    ("OP", "C2", "PL", "2026-09-15 12:00:00", 400.0, 120.0, False),  # another unit and month
]
# e-mail clicks (and an open, which is no touch): event id, campaign, customer, type, time
EMAIL = [
    ("E1", "NEWS-1", "C1", "click", "2026-10-19 08:00:00"),
    ("E2", "NEWS-1", "C2", "click", "2026-10-19 08:00:00"),
    ("E3", "NEWS-2", "C3", "click", "2026-10-24 08:00:00"),
    ("E4", "NEWS-2", "C5", "click", "2026-10-10 08:00:00"),
    ("E5", "NEWS-3", "C5", "click", "2026-10-27 08:00:00"),
    ("E6", "NEWS-1", "C9", "open", "2026-10-19 08:00:00"),
    ("E7", "NEWS-1", "C9", "click", "2026-09-01 08:00:00"),  # 49 days before ON: outside the window
    ("E8", "NEWS-1", "C9", "click", "2026-10-21 08:00:00"),  # after ON
]
# web events: session, customer, time, utm_medium, utm_campaign (only the session start carries them)
WEB = [
    ("S2", "C2", "2026-10-15 10:00:00", "cpc", "PSR-FR-202610"),
    ("S2", "C2", "2026-10-15 10:01:00", None, None),
    ("S3", "C3", "2026-10-20 10:00:00", "social", "SOC-FR-202610"),
    ("S5a", "C5", "2026-10-01 10:00:00", "display", None),
    ("S5b", "C5", "2026-10-05 10:00:00", "cpc", "PSR-FR-202610"),
    ("S5c", "C5", "2026-10-20 10:00:00", "referral", "REF-1"),
    ("S9a", "C9", "2026-10-19 10:00:00", "email", "NEWS-1"),  # e-mail links: not mapped, no touch
    ("S9b", "C9", "2026-10-18 10:00:00", None, None),  # direct: no touch
    ("S2p", "C2", "2026-09-10 10:00:00", "social", "SOC-PL-202609"),
]
# acquisitions: customer, record, channel, campaign, time
ACQUISITIONS = [
    ("C3", "crm:3", "paid_search", "PSR-FR-202610", "2026-10-05 09:00:00"),
    ("C9", "crm:9", "organic_search", None, "2026-10-10 09:00:00"),  # not a counted channel
]
SPEND = [
    ("2026-10-03", "FR", "paid_search", "EUR", 50.0),
    ("2026-10-17", "FR", "paid_search", "EUR", 50.0),
    ("2026-10-10", "FR", "social", "EUR", 40.0),
    ("2026-10-10", "FR", "affiliate", "EUR", 25.0),  # spent, nothing attributed: ROAS 0
]


def crafted(conn: duckdb.DuckDBPyConnection, *, web: bool = True, email: bool = True) -> None:
    for schema in ("sales", "marketing"):
        conn.execute(f"create schema {schema}")
    conn.execute(
        "create table sales.fct_orders (channel varchar, order_id varchar, customer_id varchar, "
        "country_code varchar, currency_code varchar, ordered_at timestamp, ordered_date date, "
        "net_amount decimal(14, 2), margin_amount decimal(14, 2), is_cancelled boolean, is_return_only boolean)"
    )
    for oid, cid, bu, at, net, margin, cancelled in ORDERS:
        conn.execute(
            "insert into sales.fct_orders values ('web', ?, ?, ?, ?, ?::timestamp, ?::timestamp::date, ?, ?, ?, false)",
            [oid, cid, bu, {"FR": "EUR", "PL": "PLN"}[bu], at, at, net, margin, cancelled],
        )
    conn.execute(
        "create table marketing.fct_email_events (email_event_id varchar, email_campaign_id varchar, "
        "customer_id varchar, event_type varchar, event_at timestamp)"
    )
    if email:
        conn.executemany("insert into marketing.fct_email_events values (?, ?, ?, ?, ?)", EMAIL)
    conn.execute(
        "create table marketing.fct_web_events (session_id varchar, customer_id varchar, event_at timestamp, "
        "utm_medium varchar, utm_campaign varchar)"
    )
    if web:
        conn.executemany("insert into marketing.fct_web_events values (?, ?, ?, ?, ?)", WEB)
    conn.execute(
        "create table marketing.dim_customer_acquisition (customer_id varchar, acquisition_record_id varchar, "
        "acquisition_channel varchar, campaign_code varchar, acquired_at timestamp)"
    )
    conn.executemany("insert into marketing.dim_customer_acquisition values (?, ?, ?, ?, ?)", ACQUISITIONS)
    conn.execute(
        "create table marketing.fct_marketing_spend (spend_date date, country_code varchar, "
        "acquisition_channel varchar, currency_code varchar, spend_amount decimal(12, 2))"
    )
    conn.executemany("insert into marketing.fct_marketing_spend values (?, ?, ?, ?, ?)", SPEND)


def build(conn, settings=SETTINGS) -> None:
    conn.execute(f"create temp table {attribution.CREDITS} as {attribution.credits_sql(settings, REF)}")
    conn.execute(f"create table {attribution.TABLE} as {attribution.attribution_sql(REF)}")
    conn.execute(f"create table {attribution.BY_CHANNEL_TABLE} as {attribution.by_channel_sql(REF)}")


def credits(conn, order_id: str) -> dict[tuple[str, str], tuple[float, float, float]]:
    """(channel, campaign) -> (position_based, last_touch, linear) of one order, summed per pair."""
    rows = conn.execute(
        f"select channel, campaign_code, sum(position_based), sum(last_touch), sum(linear) "
        f"from {attribution.CREDITS} where order_id = ? group by all",
        [order_id],
    ).fetchall()
    return {(ch, camp): tuple(round(float(v), 9) for v in vals) for ch, camp, *vals in rows}


@pytest.fixture
def conn():
    with duckdb.connect() as c:
        crafted(c)
        build(c)
        yield c


def test_one_touch_takes_the_whole_order_in_every_model(conn):
    assert credits(conn, "O1") == {("email", "NEWS-1"): (1.0, 1.0, 1.0)}


def test_two_touches_split_50_50_position_based_and_last_touch_takes_the_second(conn):
    assert credits(conn, "O2") == {
        ("paid_search", "PSR-FR-202610"): (0.5, 0.0, 0.5),  # web session from cpc, first
        ("email", "NEWS-1"): (0.5, 1.0, 0.5),
    }


def test_three_touches_credit_30_40_30(conn):
    third = round(1 / 3, 9)
    assert credits(conn, "O3") == {
        ("paid_search", "PSR-FR-202610"): (0.3, 0.0, third),  # the paid acquisition, first
        ("social", "SOC-FR-202610"): (0.4, 0.0, third),
        ("email", "NEWS-2"): (0.3, 1.0, third),
    }


def test_five_touches_share_the_middle_40_percent_in_three(conn):
    # display 10-01, cpc 10-05, e-mail NEWS-2 10-10, referral 10-20, e-mail NEWS-3 10-27 (order 10-28)
    assert credits(conn, "O5") == {
        ("display", "(none)"): (0.3, 0.0, 0.2),
        ("paid_search", "PSR-FR-202610"): (round(0.4 / 3, 9), 0.0, 0.2),
        ("email", "NEWS-2"): (round(0.4 / 3, 9), 0.0, 0.2),
        ("referral", "REF-1"): (round(0.4 / 3, 9), 0.0, 0.2),
        ("email", "NEWS-3"): (0.3, 1.0, 0.2),
    }


def test_orders_without_a_touch_are_kept_as_no_touch(conn):
    # ON: an open, a click 49 days before, a click after, an e-mail link's session, a direct session,
    # an organic acquisition: none counts. OA is anonymous.
    for order in ("ON", "OA"):
        assert credits(conn, order) == {("no_touch", "(none)"): (1.0, 1.0, 1.0)}
    # cancelled and not-yet orders are not credited at all
    assert credits(conn, "OX") == {} and credits(conn, "OF") == {}


def test_monthly_attribution_adds_up_to_the_orders_revenue_and_margin(conn):
    rows = conn.execute(
        f"select model, sum(attributed_orders), sum(attributed_revenue), sum(attributed_gross_margin) "
        f"from {attribution.TABLE} where business_unit = 'FR' and month = date '2026-10-01' group by model"
    ).fetchall()
    assert {m: (round(o, 9), round(r, 6), round(g, 6)) for m, o, r, g in rows} == {
        m: (6.0, 1200.0, 310.0) for m in attribution.MODELS
    }
    [(position_email_revenue, email_orders_touched)] = conn.execute(
        f"select sum(attributed_revenue), sum(touched_orders) from {attribution.TABLE} "
        "where model = 'position_based' and channel = 'email'"
    ).fetchall()
    # O1 100 x 1 + O2 200 x 0.5 + O3 300 x 0.3 + O5 500 x (0.4/3 + 0.3)
    assert position_email_revenue == pytest.approx(100 + 100 + 90 + 500 * (0.4 / 3 + 0.3))
    assert email_orders_touched == 5  # O1, O2, O3 (NEWS-1, NEWS-2 rows), O5 under NEWS-2 and NEWS-3
    assert conn.execute(attribution.reconciliation_sql(REF)).fetchall() == [(0,)]
    assert not any(violations(conn, attribution.TABLE, ATTRIBUTION_RULES).values())


def test_the_reconciliation_catches_an_order_credited_twice(conn):
    conn.execute(
        f"update {attribution.TABLE} set attributed_orders = attributed_orders + 1 "
        "where model = 'linear' and channel = 'no_touch' and business_unit = 'FR'"
    )
    assert conn.execute(attribution.reconciliation_sql(REF)).fetchall() == [(1,)]


def test_roas_and_margin_on_ad_spend_read_the_channels_spend_of_the_month(conn):
    rows = {
        (ch, model): (rev, margin, spend, roas, moas)
        for ch, model, rev, margin, spend, roas, moas in conn.execute(
            "select channel, model, attributed_revenue, attributed_gross_margin, marketing_spend, roas, "
            f"margin_on_ad_spend from {attribution.BY_CHANNEL_TABLE} "
            "where business_unit = 'FR' and month = date '2026-10-01'"
        ).fetchall()
    }
    # paid search, position-based: O2 200 x 0.5 + O3 300 x 0.3 + O5 500 x 0.4/3; spend 100
    revenue = 100 + 90 + 500 * 0.4 / 3
    margin = 50 * 0.5 + 90 * 0.3 + 100 * 0.4 / 3
    rev, mar, spend, roas, moas = rows[("paid_search", "position_based")]
    assert (rev, mar, spend) == (pytest.approx(revenue), pytest.approx(margin), 100.0)
    assert (roas, moas) == (pytest.approx(revenue / 100), pytest.approx(margin / 100))
    # affiliate: spent 25, nothing attributed -> ROAS 0; e-mail: no spend -> no ROAS
    assert rows[("affiliate", "last_touch")][2:] == (25.0, 0.0, 0.0)
    assert rows[("email", "last_touch")][2:] == (0.0, None, None)
    assert not any(violations(conn, attribution.BY_CHANNEL_TABLE, BY_CHANNEL_RULES).values())


def test_two_touches_split_in_proportion_of_first_and_last_weights():
    settings = SETTINGS.model_copy(
        update={"position_weights": PositionWeights(first=0.4, middle=0.4, last=0.2)}
    )
    with duckdb.connect() as conn:
        crafted(conn)
        build(conn, settings)
        two = credits(conn, "O2")
        five = credits(conn, "O5")
    assert two[("paid_search", "PSR-FR-202610")][0] == round(2 / 3, 9)
    assert two[("email", "NEWS-1")][0] == round(1 / 3, 9)
    assert five[("display", "(none)")][0] == 0.4 and five[("email", "NEWS-3")][0] == 0.2


def test_a_retailer_without_web_email_or_counted_acquisitions_credits_every_order_to_no_touch():
    settings = AttributionSettings(email_channel=None, web_channels={}, acquisition_channels=())
    with duckdb.connect() as conn:
        crafted(conn, web=False, email=False)
        build(conn, settings)
        channels = conn.execute(f"select distinct channel from {attribution.TABLE}").fetchall()
        credited = conn.execute(f"select count(*) from {attribution.CREDITS}").fetchall()
        assert conn.execute(attribution.reconciliation_sql(REF)).fetchall() == [(0,)]
        spend_only = conn.execute(
            f"select count(*) from {attribution.BY_CHANNEL_TABLE} where marketing_spend > 0 and attributed_orders = 0"
        ).fetchall()
    assert channels == [("no_touch",)]
    assert credited == [(7,)]  # the 7 eligible orders (FR 6, PL 1), one row each
    assert spend_only == [(9,)]  # 3 channels with spend x 3 models: ROAS 0, not dropped


def test_position_weights_must_add_up_to_one():
    with pytest.raises(ValueError, match="add up to 1"):
        PositionWeights(first=0.3, middle=0.3, last=0.3)
    with pytest.raises(ValueError, match="two touches"):
        PositionWeights(first=0.0, middle=1.0, last=0.0)
