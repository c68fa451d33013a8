"""precision@k / recall@k, the popularity baseline and the lift on hand-computed cases."""

import math

import polars as pl
import pytest

from platform_assets.scores.appetence import model


def frame(rows):
    return pl.DataFrame(
        rows,
        schema=["customer_id", "business_unit", "department_id", "score", "popularity", "bought"],
        orient="row",
    )


# A: top 3 by score D1, D2, D4; bought D2 and D3 -> 1 hit: precision 1/3, recall 1/2.
# B: D4 first, then a tie at 0.2 broken by department id: D1, D2; bought D4 -> precision 1/3, recall 1.
# C: bought nothing -> not evaluated.  D (GB): top 3 = the three bought -> precision 1, recall 1.
ROWS = frame(
    [
        ("A", "FR", "D1", 0.9, 0.4, 0),
        ("A", "FR", "D2", 0.8, 0.3, 1),
        ("A", "FR", "D3", 0.1, 0.2, 1),
        ("A", "FR", "D4", 0.5, 0.1, 0),
        ("B", "FR", "D3", 0.2, 0.2, 0),
        ("B", "FR", "D2", 0.2, 0.3, 0),
        ("B", "FR", "D1", 0.2, 0.4, 0),
        ("B", "FR", "D4", 0.9, 0.1, 1),
        ("C", "FR", "D1", 0.9, 0.4, 0),
        ("C", "FR", "D2", 0.1, 0.3, 0),
        ("C", "FR", "D3", 0.1, 0.2, 0),
        ("C", "FR", "D4", 0.1, 0.1, 0),
        ("D", "GB", "D1", 0.7, 0.5, 1),
        ("D", "GB", "D2", 0.6, 0.1, 1),
        ("D", "GB", "D3", 0.5, 0.3, 1),
        ("D", "GB", "D4", 0.1, 0.2, 0),
    ]
)


def test_precision_and_recall_at_3_per_customer_by_hand():
    per = model.at_k(ROWS, "score", k=3)
    assert per["customer_id"].to_list() == ["A", "B", "D"]  # C bought nothing
    assert per["hits"].to_list() == [1, 1, 3]
    assert per["precision_at_k"].to_list() == pytest.approx([1 / 3, 1 / 3, 1.0])
    assert per["recall_at_k"].to_list() == pytest.approx([1 / 2, 1.0, 1.0])


def test_ties_are_broken_by_department_id_whatever_the_row_order():
    ranked = model.ranked(ROWS.reverse(), "score").filter(pl.col("customer_id") == "B")
    assert ranked["department_id"].to_list() == ["D4", "D1", "D2", "D3"]
    assert ranked["rank"].to_list() == [1, 2, 3, 4]


def test_evaluate_per_unit_and_overall_with_the_popularity_baseline_and_its_lift():
    measures = model.evaluate(ROWS, {"model": "score", "popularity": "popularity"}, k=3)
    assert set(measures) == {"ALL", "FR", "GB"}
    overall, fr, gb = measures["ALL"], measures["FR"], measures["GB"]
    assert overall["model_precision_at_3"] == pytest.approx((1 / 3 + 1 / 3 + 1) / 3)
    assert overall["model_recall_at_3"] == pytest.approx((1 / 2 + 1 + 1) / 3)
    assert fr["model_precision_at_3"] == pytest.approx(1 / 3) and fr["model_recall_at_3"] == pytest.approx(
        3 / 4
    )
    assert gb["model_precision_at_3"] == 1.0
    # popularity: FR ranks D1, D2, D3 for everyone -> A 2 hits (D2, D3), B 0; GB ranks D1, D3, D4 -> D 2 hits
    assert fr["popularity_precision_at_3"] == pytest.approx((2 / 3 + 0) / 2)
    assert fr["popularity_recall_at_3"] == pytest.approx((1 + 0) / 2)
    assert gb["popularity_precision_at_3"] == pytest.approx(2 / 3)
    assert overall["popularity_precision_at_3"] == pytest.approx((2 / 3 + 0 + 2 / 3) / 3)
    assert overall["lift_precision_at_3"] == pytest.approx((5 / 9) / (4 / 9))
    assert fr["customers_scored"] == 3 and fr["customers_evaluated"] == 2
    assert fr["buyer_share"] == pytest.approx(2 / 3)
    assert overall["customers_scored"] == 4 and overall["customers_evaluated"] == 3


def test_a_unit_where_nobody_bought_has_no_precision_rather_than_zero():
    nobody = ROWS.with_columns(
        pl.when(pl.col("business_unit") == "GB").then(0).otherwise("bought").alias("bought")
    )
    gb = model.evaluate(nobody, {"model": "score", "popularity": "popularity"})["GB"]
    assert math.isnan(gb["model_precision_at_3"]) and gb["customers_evaluated"] == 0


def test_too_few_purchases_to_train_is_a_clear_error():
    rows = ROWS.with_columns(pl.lit(1.0).alias(f) for f in model.PURCHASE_FEATURES)
    with pytest.raises(model.TooFewOutcomes, match="at least 20 of each"):
        model.fit(rows, model.numeric_features(), "2026-10-02")


def training_rows(n_customers: int = 300, seed: int = 0):
    """Customers x 2 departments: half the customers buy (more when their first feature is high), a
    buyer buys in D01 when their second feature is high, else in D02."""
    import numpy as np

    rng = np.random.default_rng(seed)
    customer = {c: np.repeat(rng.random(n_customers), 2) for c in model.CUSTOMER_FEATURES}
    rows = pl.DataFrame(
        {
            "customer_id": np.repeat([f"C{i:04d}" for i in range(n_customers)], 2),
            "department_id": ["D01", "D02"] * n_customers,
            "business_unit": np.repeat(rng.choice(["FR", "GB"], n_customers), 2),
            **customer,
            **{c: rng.random(2 * n_customers) for c in model.PURCHASE_FEATURES if c not in customer},
        }
    )
    buys = customer[model.CUSTOMER_FEATURES[0]] + 0.3 * rng.random(2 * n_customers) > 0.65
    buys = np.repeat(buys[::2], 2)
    taste = rows[model.PURCHASE_FEATURES[-1]].to_numpy()
    high = np.repeat(taste[::2] > 0.5, 2)
    in_d01 = rows["department_id"].to_numpy() == "D01"
    return rows.with_columns(pl.Series("bought", (buys & (high == in_d01)).astype(np.int8)))


def test_the_probability_is_that_of_buying_times_that_of_the_department_if_buying():
    import numpy as np

    rows = training_rows()
    fitted = model.fit(rows, model.numeric_features(), "2026-09-01")
    p = model.predict(fitted, rows)
    assert ((p >= 0) & (p <= 1)).all()
    per_customer = p.reshape(-1, 2).sum(axis=1)
    # the buyer model learned who buys (first feature) and the department model where (the taste)
    first = rows[model.CUSTOMER_FEATURES[0]].to_numpy()[::2]
    assert per_customer[first > 0.8].mean() > 2 * per_customer[first < 0.4].mean()
    taste = rows[model.PURCHASE_FEATURES[-1]].to_numpy()[::2]
    d01_first = p[::2] > p[1::2]
    assert (d01_first == (taste > 0.5))[first > 0.8].mean() > 0.8
    # the same rows in another order: the same probability per row
    shuffled = rows.with_row_index("i").sample(fraction=1.0, shuffle=True, seed=2)
    np.testing.assert_allclose(model.predict(fitted, shuffled.drop("i")), p[shuffled["i"].to_numpy()])


def test_stacked_cutoffs_count_a_customer_once_per_cutoff():
    rows = training_rows()
    stacked = pl.concat(
        [rows.with_columns(pl.lit(k).alias("training_cutoff")) for k in (1, 2)], how="vertical"
    )
    once, twice = (
        model.fit(rows, model.numeric_features(), "x"),
        model.fit(stacked, model.numeric_features(), "x"),
    )
    assert twice.training_rows == 2 * once.training_rows
    assert twice.training_buy_rate == pytest.approx(once.training_buy_rate)


def test_a_feature_without_any_value_in_training_does_not_stop_the_training():
    """Browsing before the web export began is null for every training row: never split on."""
    import numpy as np
    import polars as pl

    from platform_assets.scores.appetence import model

    rows = training_rows().with_columns(pl.lit(None, dtype=pl.Float64).alias("product_views_30d"))
    fitted = model.fit(rows, model.numeric_features(("product_views_30d",)), "2026-09-01")
    without = model.fit(rows.drop("product_views_30d"), model.numeric_features(), "2026-09-01")
    # the column is never split on: the same probabilities as a model without it
    np.testing.assert_allclose(model.predict(fitted, rows), model.predict(without, rows))
