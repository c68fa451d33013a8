"""The optimised features computations give the same results as the previous ones: the profile
(tests/features/previous_profile.py, the SQL before the one-pass rewrite), the CLV customer summary
(read from sales.fct_orders instead of the lines) and the likelihoods the CLV fit maximises.

Exact equality for every column but the floating ones; those agree to 1e-12 (relative), except the
gap trend, which is now computed exactly (integer sums, one division) where DuckDB's regr_slope left
rounding noise of ~1e-14 days around an exact 0.
"""

import shutil
from datetime import date, timedelta

import duckdb
import numpy as np
import pytest
from scipy.optimize import approx_fprime

from platform_assets.features import clv, lifetime_value, profile
from tests.conftest import E2E_REFERENCE_DATE
from tests.features import previous_profile

REF = date.fromisoformat(E2E_REFERENCE_DATE)

PREVIOUS_SUMMARY_SQL = """
with
days as (
    select
        l.customer_id,
        l.sold_date as purchase_date,
        sum(l.net_amount) as value  -- decimal: exact, whatever the order of addition
    from sales.fct_sales_lines as l
    where not l.is_return and not l.is_cancelled and l.sold_date < $ref and l.customer_id is not null
    group by l.customer_id, l.sold_date
),

summary as (
    select
        customer_id,
        count(*) as n_ref,
        min(purchase_date) as first_ref,
        max(purchase_date) as last_ref,
        sum(value) as value_ref,
        arg_min(value, purchase_date) as first_value,
        count(*) filter (where purchase_date < $cutoff) as n_cut,
        max(purchase_date) filter (where purchase_date < $cutoff) as last_cut,
        sum(value) filter (where purchase_date < $cutoff) as value_cut
    from days
    group by customer_id
)

select
    summary.customer_id,
    d.country_code as business_unit,
    n_ref - 1 as x,
    (last_ref - first_ref) / 7 as t_x,
    ($ref - first_ref) / 7 as "T",
    coalesce((value_ref - first_value)::double / nullif(n_ref - 1, 0), 0) as m,
    n_cut - 1 as x_cut,
    (last_cut - first_ref) / 7 as t_x_cut,
    ($cutoff - first_ref) / 7 as "T_cut",
    coalesce((value_cut - first_value)::double / nullif(n_cut - 1, 0), 0) as m_cut,
    n_ref - n_cut as actual_purchases,
    (value_ref - coalesce(value_cut, 0))::double as actual_value
from summary
inner join referential.dim_customer as d on summary.customer_id = d.customer_id
where d.country_code is not null
"""


def _profiles_differ(conn: duckdb.DuckDBPyConnection, reference_date: date) -> dict[str, int]:
    conn.execute(
        "create or replace temp table p_new as " + profile.customer_profile(conn, reference_date).sql_query()
    )
    conn.execute(
        "create or replace temp table p_old as "
        + previous_profile.customer_profile(conn, reference_date).sql_query()
    )
    old = [(c, t) for c, t, *_ in conn.execute("describe p_old").fetchall()]
    new = [(c, t) for c, t, *_ in conn.execute("describe p_new").fetchall()]
    assert new == old, "same columns, same order, same types"
    [(rows_old, rows_new)] = conn.execute(
        "select (select count(*) from p_old), (select count(*) from p_new)"
    ).fetchall()
    assert rows_old == rows_new > 0
    differ = {}
    for column, kind in old:
        if column == "trend_days_between_purchases":
            same = f"abs(o.{column} - n.{column}) <= 1e-9"
        elif kind == "DOUBLE":
            same = f"abs(o.{column} - n.{column}) <= 1e-12 * abs(o.{column})"
        else:
            same = "false"
        [(count,)] = conn.execute(
            f"select count(*) from p_old as o full join p_new as n using (customer_id) "
            f"where o.{column} is distinct from n.{column} and not coalesce({same}, false)"
        ).fetchall()
        if count:
            differ[column] = count
    return differ


@pytest.mark.parametrize("days_back", [0, 200])
def test_the_profile_equals_the_previous_computation(refreshed, days_back):
    _, db = refreshed
    with duckdb.connect(str(db), read_only=True) as conn:
        assert _profiles_differ(conn, REF - timedelta(days=days_back)) == {}


def test_the_profile_equals_the_previous_computation_with_catalogue_gaps(refreshed, tmp_path):
    """Products missing from the catalogue, products without a department, a null product id: the
    one-pass distinct product and department counts still agree."""
    _, db = refreshed
    copy = tmp_path / "gaps.duckdb"
    shutil.copy(db, copy)
    with duckdb.connect(str(copy)) as conn:
        conn.execute(
            "delete from referential.dim_product where product_id in "
            "(select product_id from referential.dim_product order by product_id limit 40)"
        )
        conn.execute(
            "update referential.dim_product set department_name = null where product_id in "
            "(select product_id from referential.dim_product order by product_id desc limit 40)"
        )
        conn.execute(
            "update sales.fct_sales_lines set product_id = null where sales_line_id in "
            "(select sales_line_id from sales.fct_sales_lines where not is_return order by sales_line_id limit 50)"
        )
        assert _profiles_differ(conn, REF) == {}


def test_the_profile_equals_the_previous_computation_with_consent_ties_and_campaignless_events(
    refreshed, tmp_path
):
    """Two opposite choices at the same instant (opt-out wins), and e-mail events without a
    campaign (each such customer's counts as one campaign): the integer-coded consents and the
    per-campaign bits still agree with the previous SQL."""
    _, db = refreshed
    copy = tmp_path / "ties.duckdb"
    shutil.copy(db, copy)
    with duckdb.connect(str(copy)) as conn:
        conn.execute(
            "insert into raw.consent_preferences select * replace ("
            "case when lower(trim(status)) = 'opt_in' then 'opt_out' else 'opt_in' end as status) "
            "from raw.consent_preferences order by _source_file, _row_number limit 60"
        )
        conn.execute(
            "insert into marketing.fct_email_events select * replace ("
            "email_event_id || '-nocampaign' as email_event_id, null as email_campaign_id) "
            "from marketing.fct_email_events where event_type in ('sent', 'open', 'click') "
            "order by email_event_id limit 60"
        )
        assert _profiles_differ(conn, REF) == {}


def test_the_clv_summary_equals_the_previous_computation_from_the_lines(refreshed):
    _, db = refreshed
    with duckdb.connect(str(db), read_only=True) as conn:
        now, then = lifetime_value.customer_summaries(conn, REF)
        saved = lifetime_value.SUMMARY_SQL
        try:
            lifetime_value.SUMMARY_SQL = PREVIOUS_SUMMARY_SQL
            previous_now, previous_then = lifetime_value.customer_summaries(conn, REF)
        finally:
            lifetime_value.SUMMARY_SQL = saved
    assert now.height > 100 and then.height > 100
    assert now.equals(previous_now.sort("customer_id"))
    assert then.equals(previous_then.sort("customer_id"))


def test_the_prepared_likelihoods_are_the_same_to_the_bit():
    rng = np.random.default_rng(7)
    n = 5000
    x = rng.poisson(1.5, n).astype(float)
    T = rng.uniform(1, 150, n)
    t_x = np.where(x > 0, rng.uniform(0, 1, n) * T, 0.0)
    weights = rng.integers(1, 5, n).astype(float)
    m = rng.gamma(2, 30, n)
    for params in ([0.5, 10, 1, 2], [0.243, 4.414, 0.793, 2.426], [3.1, 0.2, 7.0, 0.01]):
        for w in (None, weights):
            p = np.array(params)
            assert clv._bgnbd_prepared(x, t_x, T, w)(p) == clv.bgnbd_log_likelihood(p, x, t_x, T, w)
    repeat = x > 0
    for params in ([1, 1, 30], [6.25, 3.74, 15.44], [0.1, 9, 0.5]):
        p = np.array(params)
        assert clv._gamma_gamma_prepared(x[repeat], m[repeat], None)(p) == clv.gamma_gamma_log_likelihood(
            p, x[repeat], m[repeat]
        )


def test_the_analytic_gradients_match_finite_differences():
    rng = np.random.default_rng(11)
    n = 3000
    x = rng.poisson(1.5, n).astype(float)
    T = rng.uniform(1, 150, n)
    t_x = np.where(x > 0, rng.uniform(0, 1, n) * T, 0.0)
    weights = rng.integers(1, 5, n).astype(float)
    m = rng.gamma(2, 30, n)
    repeat = x > 0
    cases = [
        (clv._bgnbd_prepared(x, t_x, T, w), p)
        for w in (None, weights)
        for p in ([0.5, 10, 1, 2], [0.243, 4.414, 0.793, 2.426])
    ] + [
        (clv._gamma_gamma_prepared(x[repeat], m[repeat], w), p)
        for w in (None, weights[repeat])
        for p in ([1, 1, 30], [6.25, 3.74, 15.44])
    ]
    for log_likelihood, params in cases:
        p = np.array(params, dtype=float)
        value, gradient = log_likelihood.value_and_gradient(p)
        assert value == log_likelihood(p)
        numeric = approx_fprime(p, log_likelihood, 1e-6 * p)
        np.testing.assert_allclose(gradient, numeric, rtol=1e-4)
