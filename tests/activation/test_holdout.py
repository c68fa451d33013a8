"""The holdout rule: a pure function of salt, customer and campaign - stable, reproducible, ~share."""

import duckdb
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from platform_assets.activation.holdout import draw_sql, holdout_draw, is_holdout

SALT = "test-salt"
ids = st.text(alphabet="abcdef0123456789-", min_size=1, max_size=16).map(lambda s: f"CUS-{s}")


def groups_in_sql(customers: list[str], campaign: str, share: float, salt: str = SALT) -> dict[str, bool]:
    """The groups exactly as the selection computes them: the SQL draw over an audience table."""
    with duckdb.connect() as conn:
        conn.execute("create table audience (customer_id varchar, campaign_code varchar)")
        conn.executemany("insert into audience values (?, ?)", [(c, campaign) for c in customers])
        rows = conn.execute(f"select customer_id, {draw_sql(salt)} < {share} from audience").fetchall()
    return dict(rows)


@settings(max_examples=40, deadline=None)
@given(
    core=st.lists(ids, min_size=1, max_size=30, unique=True),
    others=st.lists(ids, max_size=30, unique=True),
    campaign=st.sampled_from(["WIN-BACK", "RE-ENGAGE", "NEW-GARDEN"]),
)
def test_adding_or_removing_other_customers_never_changes_a_customers_group(core, others, campaign):
    alone = groups_in_sql(core, campaign, 0.3)
    crowd = groups_in_sql(core + [o for o in others if o not in core], campaign, 0.3)
    assert {c: crowd[c] for c in core} == alone
    assert alone == {c: is_holdout(SALT, c, campaign, 0.3) for c in core}


@settings(max_examples=25, deadline=None)
@given(customers=st.lists(ids, min_size=1, max_size=20, unique=True), order=st.randoms(use_true_random=False))
def test_same_inputs_give_the_same_groups_in_any_order(customers, order):
    shuffled = list(customers)
    order.shuffle(shuffled)
    assert groups_in_sql(customers, "WIN-BACK", 0.1) == groups_in_sql(shuffled, "WIN-BACK", 0.1)


def test_sql_and_python_draws_are_the_same_number_even_with_quotes_in_the_salt():
    salt = "o'brien|2026"
    with duckdb.connect() as conn:
        [(sql,)] = conn.execute(
            f"select {draw_sql(salt)} from (select 'CUS-42' as customer_id, 'WIN-BACK' as campaign_code)"
        ).fetchall()
    assert sql == holdout_draw(salt, "CUS-42", "WIN-BACK")


def test_the_draw_is_uniform_and_the_salt_and_campaign_change_the_groups():
    customers = [f"CUS-{i:06d}" for i in range(20_000)]
    draws = np.array([holdout_draw(SALT, c, "WIN-BACK") for c in customers])
    assert abs((draws < 0.10).mean() - 0.10) < 0.01  # 4.7 standard deviations
    assert np.histogram(draws, bins=10, range=(0, 1))[0].min() > 1_800  # each decile ~2,000
    other_salt = np.array([holdout_draw("another", c, "WIN-BACK") for c in customers[:2_000]])
    other_campaign = np.array([holdout_draw(SALT, c, "RE-ENGAGE") for c in customers[:2_000]])
    assert (other_salt < 0.1).tolist() != (draws[:2_000] < 0.1).tolist()
    assert (other_campaign < 0.1).tolist() != (draws[:2_000] < 0.1).tolist()
