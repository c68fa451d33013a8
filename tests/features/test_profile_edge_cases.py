"""The profile's integer-coded corners on tiny hand-built data: consent choices tied at one instant,
e-mail events without a campaign, and products missing from the catalogue.

The input tables take their columns and types from the session warehouse (tests/conftest.py
``refreshed``) and hold only the rows written here.
"""

from datetime import date

import duckdb
import pytest

from platform_assets.features import profile

REF = date(2026, 11, 1)
INPUTS = [
    "sales.fct_orders",
    "sales.fct_sales_lines",
    "referential.dim_product",
    "referential.dim_customer",
    "referential.business_units",
    "referential.customer_xref",
    "marketing.fct_email_events",
    "marketing.dim_customer_acquisition",
    "intermediate.int_consent_choices",
    "staging.stg_loyalty__cards",
    "marketing.fct_web_events",
]


@pytest.fixture
def conn(refreshed, tmp_path):
    _, db = refreshed
    conn = duckdb.connect(str(tmp_path / "tiny.duckdb"))
    conn.execute(f"attach '{db}' as src (read_only)")
    for table in INPUTS:
        conn.execute(f"create schema if not exists {table.split('.')[0]}")
        conn.execute(f"create table {table} as select * from src.{table} limit 0")
    conn.execute("insert into referential.business_units select * from src.referential.business_units")
    conn.execute("detach src")
    conn.execute(
        "insert into referential.dim_customer by name select * from (values "
        "('C1', 'FR', timestamp '2024-01-01'), ('C2', 'FR', timestamp '2024-01-01')) "
        "as t(customer_id, country_code, created_at)"
    )
    conn.execute(
        "insert into referential.customer_xref by name select * from (values "
        "('crm', 'r1', 'C1'), ('ecommerce', 'w1', 'C1'), ('crm', 'r2', 'C2')) "
        "as t(source_system, source_id, customer_id)"
    )
    yield conn
    conn.close()


def _profile(conn) -> dict[str, dict]:
    rows = profile.customer_profile(conn, REF).pl()
    return {row["customer_id"]: row for row in rows.iter_rows(named=True)}


def test_consent_is_the_latest_choice_and_an_opt_out_wins_a_tie(conn):
    conn.execute(
        "insert into intermediate.int_consent_choices by name select * from (values "
        # C1 e-mail: opt-in and opt-out at the same instant, in one record -> no consent
        "('crm', 'r1', 'email', 'opt_in', timestamp '2026-05-01 10:00'),"
        "('crm', 'r1', 'email', 'opt_out', timestamp '2026-05-01 10:00'),"
        # C1 SMS: the same tie across the customer's two source records -> no consent
        "('crm', 'r1', 'sms', 'opt_in', timestamp '2026-06-01 09:00'),"
        "('ecommerce', 'w1', 'sms', 'opt_out', timestamp '2026-06-01 09:00'),"
        # C1 post: an opt-out, then a later opt-in from the other record -> consent
        "('crm', 'r1', 'post', 'opt_out', timestamp '2025-01-01'),"
        "('ecommerce', 'w1', 'post', 'opt_in', timestamp '2026-01-01'),"
        # C1 phone: an opt-in collected on the reference date is not yet known -> no consent
        "('crm', 'r1', 'phone', 'opt_in', timestamp '2026-11-01 00:00'),"
        # C2 e-mail: an opt-in tied with an unknown status -> no consent; SMS: opt-in alone -> consent
        "('crm', 'r2', 'email', 'opt_in', timestamp '2026-03-01'),"
        "('crm', 'r2', 'email', 'pending', timestamp '2026-03-01'),"
        "('crm', 'r2', 'sms', 'opt_in', timestamp '2026-03-01')"
        ") as t(source_system, source_id, consent_channel, consent_status, collected_at)"
    )
    rows = _profile(conn)
    consents = {
        customer: tuple(rows[customer][f"has_{c}_consent"] for c in ("email", "sms", "phone", "post"))
        for customer in ("C1", "C2")
    }
    assert consents == {"C1": (False, False, False, True), "C2": (False, True, False, False)}


@pytest.mark.parametrize("with_campaigns", [True, False])
def test_email_events_without_a_campaign_count_as_one_campaign(conn, with_campaigns):
    numbered = (
        "('C1', 'K1', 'sent', timestamp '2026-09-01'), ('C1', 'K2', 'sent', timestamp '2026-09-15'),"
        "('C1', 'K1', 'open', timestamp '2026-09-02'), ('C1', 'K1', 'open', timestamp '2026-09-03'),"
        if with_campaigns
        else ""
    )
    conn.execute(
        "insert into marketing.fct_email_events by name select * from (values "
        + numbered
        + "('C1', null, 'sent', timestamp '2026-10-01'), ('C1', null, 'sent', timestamp '2026-10-02'),"
        "('C1', null, 'open', timestamp '2026-10-03'), ('C1', null, 'click', timestamp '2026-10-04'),"
        # more than 12 months before the reference date: not counted
        "('C1', null, 'sent', timestamp '2025-10-01'),"
        # on the reference date: not yet known
        "('C2', null, 'sent', timestamp '2026-11-01 08:00')"
        ") as t(customer_id, email_campaign_id, event_type, event_at)"
    )
    rows = _profile(conn)
    c1 = rows["C1"]
    # with campaigns: K1, K2 and "no campaign" sent; K1 and "no campaign" opened; "no campaign" clicked
    sent, opened = (3, 2) if with_campaigns else (1, 1)
    assert c1["emails_received_12m"] == sent
    assert c1["email_open_rate_12m"] == pytest.approx(opened / sent)
    assert c1["email_click_rate_12m"] == pytest.approx(1 / sent)
    assert c1["days_since_last_email_open"] == (REF - date(2026, 10, 3)).days
    assert c1["days_since_last_email_click"] == (REF - date(2026, 10, 4)).days
    assert rows["C2"]["emails_received_12m"] == 0 and rows["C2"]["email_open_rate_12m"] is None


def test_products_missing_from_the_catalogue_count_apart_and_have_no_department(conn):
    conn.execute(
        "insert into referential.dim_product by name select * from (values "
        "('P1', 'Garden & outdoor', 'standard'), ('P2', null, 'entry'), ('P3', 'Kitchen', 'premium')) "
        "as t(product_id, department_name, price_tier)"
    )
    conn.execute(
        "insert into sales.fct_sales_lines by name select *, false as is_return, false as is_cancelled, "
        "0.0 as discount_amount from (values "
        "('C1', 'P1', 10.00, date '2026-10-01'),"
        "('C1', 'P1', 30.00, date '2026-10-02'),"  # the same product again
        "('C1', 'P2', 20.00, date '2026-10-02'),"  # in the catalogue, no department
        "('C1', 'P9', 15.00, date '2026-10-03'),"  # missing from the catalogue
        "('C1', 'P9', 5.00, date '2026-10-04'),"
        "('C1', null, 10.00, date '2026-10-05'),"  # no product id at all: one more product
        "('C1', null, 10.00, date '2026-10-06'),"
        "('C1', 'P3', 99.00, date '2026-11-01')"  # on the reference date: not yet known
        ") as t(customer_id, product_id, net_amount, sold_date)"
    )
    c1 = _profile(conn)["C1"]
    assert (c1["distinct_products"], c1["distinct_departments"]) == (4, 1)
    assert c1["spend_share_garden_outdoor"] == pytest.approx(40 / 100)
    assert c1["spend_share_kitchen"] == 0
    assert c1["entry_spend_share"] == pytest.approx(20 / 100)
    assert c1["premium_spend_share"] == 0
