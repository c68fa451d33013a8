"""Measurement: on simulated campaigns with a known effect, the 95 % intervals hold it ~95 % of the time."""

import numpy as np
import polars as pl
import pytest

from platform_assets.activation.measurement import PRE_PERIOD_DAYS, cuped, roi, uplift


def simulated_campaign(rng: np.random.Generator, n: int, control_share: float, response: float):
    """Revenue per customer over a window, shaped like the demo's: most buy nothing, baskets are
    lognormal; treated customers respond with an extra basket with probability ``response``.
    Returns (treatment, control, true effect per treated customer, true relative effect)."""
    control = rng.random(n) < control_share
    visits = rng.poisson(0.35, n)
    baseline = np.array([rng.lognormal(4.0, 1.0, k).sum() for k in visits])
    extra = np.where(~control & (rng.random(n) < response), rng.lognormal(4.2, 0.9, n), 0.0)
    revenue = baseline + extra
    base_mean = 0.35 * np.exp(4.0 + 0.5)
    effect = response * np.exp(4.2 + 0.9**2 / 2)  # expected extra revenue per treated customer
    return revenue[~control], revenue[control], effect, effect / base_mean


def test_the_interval_covers_the_true_effect_about_95_percent_of_the_time():
    rng = np.random.default_rng(20261101)
    runs, covered, covered_rel, significant = 400, 0, 0, 0
    for _ in range(runs):
        t, c, effect, relative = simulated_campaign(rng, 2_000, 0.2, 0.15)
        u = uplift(t, c)
        covered += (
            u.incremental_revenue_per_customer_ci_low <= effect <= u.incremental_revenue_per_customer_ci_high
        )
        covered_rel += u.relative_uplift_ci_low <= relative <= u.relative_uplift_ci_high
        significant += u.p_value < 0.05
    # 95 % of 400: 380; binomial sd 4.4 -> accept 366-394 (3.2 sd)
    assert 366 <= covered <= 394, covered
    assert 360 <= covered_rel <= 396, covered_rel  # the delta method is a bit looser on skewed revenue
    assert significant > runs / 2  # a real effect is found most of the time at this size


def campaign_with_a_past(rng: np.random.Generator, n: int, control_share: float, response: float):
    """As ``simulated_campaign``, and each customer's pre-period revenue: visits in the window and in
    the past year come from the same personal rate (gamma-distributed across customers), so the past
    predicts the window. Returns (treatment, control, pre treatment, pre control, true effect)."""
    control = rng.random(n) < control_share
    rate = rng.gamma(0.6, 1.0, n)  # visits per window, per customer

    def spend(visits: np.ndarray) -> np.ndarray:  # a lognormal basket per visit, summed per customer
        return np.bincount(np.repeat(np.arange(n), visits), rng.lognormal(4.0, 1.0, visits.sum()), n)

    pre, window = spend(rng.poisson(rate * 12)), spend(rng.poisson(rate))
    extra = np.where(~control & (rng.random(n) < response), rng.lognormal(4.2, 0.9, n), 0.0)
    revenue = window + extra
    effect = response * np.exp(4.2 + 0.9**2 / 2)
    return revenue[~control], revenue[control], pre[~control], pre[control], effect


def test_cuped_intervals_cover_the_true_effect_about_95_percent_of_the_time_and_are_narrower():
    rng = np.random.default_rng(20261204)
    runs, covered, covered_plain, ratios, rho = 400, 0, 0, [], []
    for _ in range(runs):
        t, c, xt, xc, effect = campaign_with_a_past(rng, 1_500, 0.2, 0.15)
        a, u = cuped(t, c, xt, xc), uplift(t, c)
        covered += a.ci_low <= effect <= a.ci_high
        covered_plain += (
            u.incremental_revenue_per_customer_ci_low <= effect <= u.incremental_revenue_per_customer_ci_high
        )
        rho.append(a.correlation)
        ratios.append(
            (a.ci_high - a.ci_low)
            / (u.incremental_revenue_per_customer_ci_high - u.incremental_revenue_per_customer_ci_low)
        )
    # 95 % of 400 = 380, +/- 3 % = 368-392 (2.75 binomial sd)
    assert 368 <= covered <= 392, covered
    assert 366 <= covered_plain <= 394, covered_plain
    # Var shrinks by 1 - rho^2 (rho ~0.44 here): the half-width by sqrt(1 - rho^2), ~0.9
    assert np.mean(ratios) == pytest.approx(np.sqrt(1 - np.mean(np.square(rho))), abs=0.03)
    assert np.mean(ratios) < 0.93 and max(ratios) < 1.01, (np.mean(ratios), max(ratios))


def test_cuped_without_a_predictive_past_is_the_difference_of_means():
    rng = np.random.default_rng(3)
    t, c = rng.exponential(50.0, 800), rng.exponential(50.0, 200)
    noise_t, noise_c = rng.normal(0, 1, 800), rng.normal(0, 1, 200)  # unrelated to the revenue
    a, u = cuped(t, c, noise_t, noise_c), uplift(t, c)
    assert abs(a.correlation) < 0.1
    assert a.estimate == pytest.approx(u.incremental_revenue_per_customer, abs=2.0)
    assert (a.ci_high - a.ci_low) == pytest.approx(
        u.incremental_revenue_per_customer_ci_high - u.incremental_revenue_per_customer_ci_low, rel=0.02
    )
    same = cuped(t, c, np.zeros(800), np.zeros(200))  # no variance in the past: no adjustment
    assert same.theta == 0.0 and same.estimate == pytest.approx(u.incremental_revenue_per_customer)
    with pytest.raises(ValueError, match="800/200 window values but 799/200 pre-period"):
        cuped(t, c, noise_t[:-1], noise_c)


def test_no_effect_is_not_found_more_than_5_percent_of_the_time():
    rng = np.random.default_rng(7)
    false_alarms = sum(
        uplift(*simulated_campaign(rng, 1_500, 0.1, 0.0)[:2]).p_value < 0.05 for _ in range(300)
    )
    assert false_alarms <= 27  # 5 % of 300 = 15, +3.2 sd


def test_figures_on_a_hand_computed_example():
    t = np.array([0.0, 10.0, 20.0, 30.0])
    c = np.array([0.0, 10.0, 0.0, 10.0])
    u = uplift(t, c, converted_treatment=np.array([False, True, True, True]))
    assert u.incremental_revenue_per_customer == pytest.approx(15.0 - 5.0)
    se = np.sqrt(t.var(ddof=1) / 4 + c.var(ddof=1) / 4)
    df = (t.var(ddof=1) / 4 + c.var(ddof=1) / 4) ** 2 / (
        (t.var(ddof=1) / 4) ** 2 / 3 + (c.var(ddof=1) / 4) ** 2 / 3
    )
    from scipy import stats

    q = stats.t.ppf(0.975, df)
    assert u.incremental_revenue_per_customer_ci_low == pytest.approx(10 - q * se)
    assert u.incremental_revenue_per_customer_ci_high == pytest.approx(10 + q * se)
    assert u.relative_uplift == pytest.approx(2.0)
    assert u.conversion_rate_treatment == 0.75 and u.conversion_rate_control == 0.5
    assert roi(1_000.0, 250.0) == pytest.approx(3.0)
    assert roi(1_000.0, 0.0) is None


def test_a_group_too_small_for_a_variance_gives_no_interval():
    u = uplift(np.array([5.0, 7.0]), np.array([3.0]))
    assert u.incremental_revenue_per_customer == pytest.approx(3.0)
    assert u.incremental_revenue_per_customer_ci_low is None and u.p_value is None


def test_the_demo_generators_campaigns_have_the_effect_it_records(tmp_path):
    """Generator level, without identity noise: revenue per person from the landing files (cards and
    accounts -> persons through the ground truth), treatment against control, per past campaign."""
    from datetime import date

    from platform_assets.demo.generator import generate

    out = tmp_path / "demo"
    generate(out, customers=6_000, seed=5, start=date(2024, 11, 1), end=date(2026, 10, 31), progress=False)
    land, truth = out / "landing", out / "ground_truth"
    records = pl.read_csv(truth / "source_records.csv", infer_schema=False)
    key = "person_id"
    person = {
        s: records.filter(pl.col("source_system") == s).select("source_id", key)
        for s in ("crm", "loyalty", "ecommerce")
    }
    receipts = pl.read_csv(list((land / "pos").glob("receipts_*.csv")), separator=";", infer_schema=False)
    lines = pl.read_csv(list((land / "pos").glob("receipt_lines_*.csv")), separator=";", infer_schema=False)
    store = (
        lines.join(receipts, on="ticket_id")
        .join(person["loyalty"], left_on="loyalty_card_no", right_on="source_id")
        .select(
            key,
            pl.col("ticket_ts").str.slice(0, 10).str.to_date().alias("day"),
            pl.col("line_amount").cast(pl.Float64).alias("amount"),
        )
    )
    orders = pl.read_csv(list((land / "ecommerce").glob("orders_*.csv")), infer_schema=False)
    olines = pl.read_csv(list((land / "ecommerce").glob("order_lines_*.csv")), infer_schema=False)
    web = (
        olines.join(orders.filter(pl.col("order_status") != "cancelled"), on="order_id")
        .join(person["ecommerce"], left_on="account_id", right_on="source_id")
        .select(
            key,
            pl.col("line_at").str.slice(0, 10).str.to_date().alias("day"),
            (
                pl.col("quantity").cast(pl.Float64) * pl.col("unit_price").cast(pl.Float64)
                - pl.col("quantity").cast(pl.Float64).sign() * pl.col("discount").cast(pl.Float64)
            ).alias("amount"),
        )
    )
    sales = pl.concat([store, web])
    campaigns = pl.read_csv(land / "campaigns" / "campaigns.csv", try_parse_dates=True)
    log = pl.read_csv(land / "campaigns" / "contact_log.csv", infer_schema=False).join(
        person["crm"], left_on="contact_id", right_on="source_id"
    )
    expected = pl.read_csv(truth / "campaigns.csv")
    assert campaigns.height == expected.height >= 4
    for c in campaigns.iter_rows(named=True):
        members = log.filter(pl.col("campaign_code") == c["campaign_code"]).unique(key)
        start, days = c["sent_on"], c["measurement_days"]
        window = sales.filter(
            (pl.col("day") >= start) & (pl.col("day") < pl.lit(start) + pl.duration(days=days))
        )
        revenue = members.join(
            window.group_by(key).agg(pl.col("amount").sum()), on=key, how="left"
        ).with_columns(pl.col("amount").fill_null(0.0))
        past = sales.filter(
            (pl.col("day") < start) & (pl.col("day") >= pl.lit(start) - pl.duration(days=PRE_PERIOD_DAYS))
        )
        revenue = revenue.join(
            past.group_by(key).agg(pl.col("amount").sum().alias("pre")), on=key, how="left"
        ).with_columns(pl.col("pre").fill_null(0.0))
        treated = revenue.filter(pl.col("contact_group") == "treatment")
        held = revenue.filter(pl.col("contact_group") == "control")
        u = uplift(treated["amount"].to_numpy(), held["amount"].to_numpy())
        a = cuped(
            treated["amount"].to_numpy(),
            held["amount"].to_numpy(),
            treated["pre"].to_numpy(),
            held["pre"].to_numpy(),
        )
        [true_effect] = expected.filter(pl.col("campaign_code") == c["campaign_code"])[
            "true_incremental_revenue_per_treated"
        ].to_list()
        assert true_effect > 0
        assert (
            u.incremental_revenue_per_customer_ci_low
            <= true_effect
            <= u.incremental_revenue_per_customer_ci_high
        ), (c["campaign_code"], u, true_effect)
        assert a.ci_low <= true_effect <= a.ci_high, (c["campaign_code"], a, true_effect)


def test_campaign_results_do_not_depend_on_the_order_the_query_returned_members_in():
    """Two runs on the same data must publish the same bytes: float means and variances depend on the
    order they sum in, and a parallel query returns rows in any order (seen at 20k customers)."""
    from datetime import date

    from platform_assets.activation.results import results_frame

    rng = np.random.default_rng(7)
    n = 4000
    members = pl.DataFrame(
        {
            "source": "platform",
            "campaign_code": rng.choice(["A", "B"], n),
            "business_unit": "FR",
            "channel": "email",
            "sent_on": date(2026, 9, 1),
            "measurement_days": 30,
            "currency_code": "EUR",
            "cost_per_contact": 0.05,
            "cascade_step": 1,
            "customer_id": [f"CUS-{i:06d}" for i in range(n)],
            "treated": rng.random(n) < 0.9,
            "in_both_groups": False,
            "revenue": rng.exponential(80.0, n) * (rng.random(n) < 0.3) + rng.random(n) * 1e-9,
            "converted": rng.random(n) < 0.3,
            "pre_revenue": rng.exponential(300.0, n) * (rng.random(n) < 0.6),
        }
    )
    shuffled = [members.sample(fraction=1.0, shuffle=True, seed=s) for s in range(5)]
    orders = {tuple(results_frame(m, date(2026, 11, 1)).rows()) for m in shuffled}
    assert len(orders) == 1


def test_each_churn_model_arm_is_measured_on_its_own_treatment_and_holdout():
    """Champion-arm members gain 10 per contacted customer, challenger-arm members 30: each arm's row
    finds its own effect, the campaign's row the mix, and the campaign tool's members (no arm) stay out."""
    from datetime import date

    from platform_assets.activation.results import BY_ARM_KEY, results_frame

    rng = np.random.default_rng(3)
    n = 6000
    arm = rng.choice(["champion", "challenger"], n)
    treated = rng.random(n) < 0.8
    effect = np.where(arm == "champion", 10.0, 30.0) * treated
    members = pl.DataFrame(
        {
            "source": "platform",
            "campaign_code": "WIN-BACK",
            "business_unit": "FR",
            "channel": "email",
            "sent_on": date(2026, 9, 1),
            "measurement_days": 30,
            "currency_code": "EUR",
            "cost_per_contact": 0.05,
            "cascade_step": 1,
            "customer_id": [f"CUS-{i:06d}" for i in range(n)],
            "model_arm": arm,
            "treated": treated,
            "in_both_groups": False,
            "revenue": rng.normal(50.0, 5.0, n) + effect,
            "converted": True,
            "pre_revenue": 0.0,
        }
    )
    by_arm = results_frame(members, date(2026, 11, 1), BY_ARM_KEY)
    assert by_arm["model_arm"].to_list() == ["challenger", "champion"]
    for row in by_arm.iter_rows(named=True):
        truth = 30.0 if row["model_arm"] == "challenger" else 10.0
        low, high = (
            row["incremental_revenue_per_customer_ci_low"],
            row["incremental_revenue_per_customer_ci_high"],
        )
        assert low < truth < high and high - low < 1.5
        assert row["treated"] + row["control"] == (arm == row["model_arm"]).sum()
    [overall] = results_frame(members, date(2026, 11, 1)).iter_rows(named=True)
    assert 15 < overall["incremental_revenue_per_customer"] < 25


def test_each_cascade_step_is_measured_against_its_own_holdout():
    """A cascade's e-mail (its holdout never contacted) gains 20 per treated customer; its letter, sent
    to the non-openers ten days later, gains 12 over the non-openers held out of it: two rows, each
    finding its own effect."""
    from datetime import date

    from platform_assets.activation.results import results_frame

    rng = np.random.default_rng(11)
    n = 5000

    def step(number: int, sent_on: date, channel: str, effect: float) -> pl.DataFrame:
        treated = rng.random(n) < 0.85
        return pl.DataFrame(
            {
                "source": "platform",
                "campaign_code": "WIN-BACK",
                "business_unit": "FR",
                "channel": channel,
                "sent_on": sent_on,
                "measurement_days": 30,
                "currency_code": "EUR",
                "cost_per_contact": 0.05 if channel == "email" else 0.9,
                "cascade_step": number,
                "customer_id": [f"CUS-{number}-{i:06d}" for i in range(n)],
                "treated": treated,
                "in_both_groups": False,
                "revenue": rng.normal(40.0, 5.0, n) + effect * treated,
                "converted": True,
                "pre_revenue": 0.0,
            }
        )

    members = pl.concat([step(1, date(2026, 9, 1), "email", 20.0), step(2, date(2026, 9, 11), "post", 12.0)])
    measured = results_frame(members, date(2026, 11, 1))
    assert measured.select("cascade_step", "channel", "sent_on").rows() == [
        (1, "email", date(2026, 9, 1)),
        (2, "post", date(2026, 9, 11)),
    ]
    for row, truth in zip(measured.iter_rows(named=True), (20.0, 12.0), strict=True):
        # standard error ~0.2 here: within 1 of the truth, each step its own effect (20 and 12 are far apart)
        assert abs(row["incremental_revenue_per_customer"] - truth) < 1.0
        assert row["treated"] + row["control"] == n
