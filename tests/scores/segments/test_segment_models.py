"""Discovery, naming, classifier and stability on synthetic customers with planted behaviours."""

import re

import numpy as np
import polars as pl
import pytest

from platform_assets.scores.segments import assignment, describe, discovery, names, prepare, tables
from platform_assets.scores.segments.discovery import Candidate

DEPARTMENTS = ["garden_outdoor", "kitchen", "paint_decoration", "tools_hardware"]
# planted behaviour: (garden, kitchen, paint, tools) spend mix, store share, basket value (EUR), discount
PLANTED = {
    "garden": ((0.85, 0.05, 0.05, 0.05), 0.95, 60.0, 0.05),
    "kitchen_web": ((0.05, 0.85, 0.05, 0.05), 0.10, 900.0, 0.02),
    "decorators": ((0.05, 0.05, 0.85, 0.05), 0.90, 120.0, 0.05),
    "promo_tools": ((0.05, 0.05, 0.05, 0.85), 0.60, 40.0, 0.35),
}
RATE = {"FR": 1.0, "PL": 4.3}  # PLN per EUR: the same behaviour in another currency


def profile(per_group: int = 250, seed: int = 1) -> pl.DataFrame:
    """A customer_profile-shaped frame: four planted behaviours in two currencies, with noise."""
    rng = np.random.default_rng(seed)
    rows = []
    for group, (mix, store, basket, discount) in PLANTED.items():
        for i in range(per_group):
            unit = "FR" if i % 2 else "PL"
            shares = rng.dirichlet(np.array(mix) * 60)
            value = basket * RATE[unit] * rng.lognormal(0, 0.25)
            rows.append(
                {
                    "customer_id": f"{group}-{i:04d}",
                    "group": group,
                    "business_unit": unit,
                    "frequency_lifetime": int(rng.integers(1, 12)),
                    "days_since_first_purchase": int(rng.integers(30, 900)),
                    "avg_basket_value": value,
                    "max_basket_value": value * 1.5,
                    "avg_unit_price": value / 3,
                    "avg_basket_size": 3.0 + rng.normal(0, 0.3),
                    "distinct_departments": 2,
                    "distinct_stores": 1,
                    "store_spend_share": float(np.clip(store + rng.normal(0, 0.05), 0, 1)),
                    "premium_spend_share": 0.2,
                    "entry_spend_share": 0.3,
                    "weekend_purchase_share": float(rng.uniform(0.2, 0.5)),
                    "discount_rate": float(np.clip(discount + rng.normal(0, 0.02), 0, 1)),
                    "return_rate": 0.02,
                    "email_open_rate_12m": None if i % 7 == 0 else float(rng.uniform(0.1, 0.4)),
                    **{f"spend_share_{d}": float(s) for d, s in zip(DEPARTMENTS, shares, strict=True)},
                }
            )
    return pl.DataFrame(rows)


@pytest.fixture(scope="module")
def planted():
    frame = profile()
    readable = prepare.readable(frame)
    return frame, readable, discovery.discover(readable)


def test_kmeans_finds_the_planted_behaviours_and_the_comparison_keeps_both_methods(planted):
    frame, _, found = planted
    assert found.chosen.method == "kmeans" and found.chosen.segments == 4
    table = discovery.comparison(found)
    assert sorted(table.filter(pl.col("method") == "kmeans")["segments"]) == list(discovery.K_RANGE)
    assert table.filter(pl.col("method") == "hdbscan").height == 1
    assert table["chosen"].sum() == 1 and "k-means with k=4" in found.reason
    truth = frame.sort("customer_id")["group"].to_numpy()
    # each planted group is one segment
    for group in PLANTED:
        assert len(np.unique(found.labels[truth == group])) == 1, group
    assert sorted(found.chosen.sizes) == [250] * 4


def test_the_same_behaviour_in_another_currency_gets_the_same_inputs():
    frame = profile(per_group=20)
    preparer = prepare.Preparer().fit(prepare.readable(frame))
    one = frame.filter(pl.col("business_unit") == "FR").head(1)
    in_zloty = one.with_columns(
        pl.lit("PL").alias("business_unit"),
        *(pl.col(c) * RATE["PL"] for c in ("avg_basket_value", "max_basket_value", "avg_unit_price")),
    )
    # the two units' medians are equal up to the exchange rate and the noise of a small sample
    a, b = (preparer.transform(prepare.readable(f)) for f in (one, in_zloty))
    amounts = [preparer.columns.index(c) for c in prepare.AMOUNTS]
    assert np.allclose(np.delete(a, amounts), np.delete(b, amounts))
    assert np.abs(a[0, amounts] - b[0, amounts]).max() < 0.3


def test_names_come_from_what_sets_each_segment_apart(planted):
    frame, readable, found = planted
    labelled = describe.comparable(readable.sort("customer_id")).with_columns(
        pl.Series("segment_id", found.labels)
    )
    proposed = describe.propose_names(describe.distinctions(labelled))
    groups = frame.sort("customer_id").with_columns(pl.Series("segment_id", found.labels))
    by_group = {
        g: proposed[int(s)] for g, s in groups.group_by("group").agg(pl.col("segment_id").first()).iter_rows()
    }
    assert by_group["garden"].startswith("Garden lovers") and "store-loyal" in by_group["garden"].lower()
    assert "kitchen projects" in by_group["kitchen_web"].lower() and "big baskets" in by_group["kitchen_web"]
    assert "decorators" in by_group["decorators"].lower()
    assert "promo hunters" in by_group["promo_tools"]
    assert len(set(proposed.values())) == len(proposed)


def test_clashing_names_take_the_next_phrase():
    rows = pl.DataFrame(
        {
            "segment_id": [1, 1, 1, 1, 2, 2, 2, 2],
            "indicator": [
                "spend_share_garden_outdoor",
                "store_spend_share",
                "avg_basket_value",
                "discount_rate",
            ]
            * 2,
            "distance": [2.0, 1.5, 1.0, 0.8, 2.0, 1.5, 1.0, -0.9],
        }
    )
    proposed = describe.propose_names(rows)
    assert proposed[1] == "Garden lovers, store-loyal, big baskets"
    assert proposed[2] == "Garden lovers, store-loyal, big baskets, full-price buyers"


def test_the_classifier_reproduces_frozen_labels_on_held_out_customers(planted):
    _, readable, found = planted
    classifier, metrics, reason = assignment.train("v1", found.preparer, found.inputs, found.labels)
    assert metrics["holdout_accuracy"] >= 0.95
    assert metrics["holdout_customers"] == pytest.approx(0.2 * 1000, abs=1)
    assert classifier.method.replace("_", " ") in reason
    segment, probability = classifier.assign(readable.sort("customer_id"))
    assert (segment == found.labels).mean() >= 0.99
    assert ((probability > 0) & (probability <= 1)).all()


def test_noise_is_not_a_training_label():
    frame = profile(per_group=60)
    readable = prepare.readable(frame)
    preparer = prepare.Preparer().fit(readable)
    labels = np.repeat(np.array([1, 2, 3, 4]), 60)
    labels[::10] = 0  # HDBSCAN noise
    classifier, metrics, _ = assignment.train("v", preparer, preparer.transform(readable), labels)
    assert set(classifier.model.classes_) == {1, 2, 3, 4}
    assert metrics["training_customers"] == (labels > 0).sum()


def test_stability_counts_changes_and_the_rand_index_ignores_renaming():
    before = pl.DataFrame({"customer_id": list("abcdefghij"), "segment_id": [1] * 5 + [2] * 5})
    same = assignment.stability(before, before.with_columns((3 - pl.col("segment_id")).alias("segment_id")))
    assert same["changed_share"] == 1.0 and same["adjusted_rand"] == pytest.approx(1.0)
    one_moved = before.with_columns(
        pl.when(pl.col("customer_id") == "a").then(2).otherwise(pl.col("segment_id")).alias("segment_id")
    )
    moved = assignment.stability(before, one_moved.filter(pl.col("customer_id") != "j"))
    assert moved["customers_compared"] == 9 and moved["changed_share"] == pytest.approx(1 / 9)
    assert moved["adjusted_rand"] < 1.0


def _candidate(method, segments, silhouette, noise):
    return Candidate(method, {}, segments, silhouette, 1.0, noise, [10] * segments)


def test_the_density_method_wins_only_when_clearly_better_with_little_noise():
    kmeans = _candidate("kmeans", 5, 0.30, 0.0)
    assert discovery.choose(kmeans, _candidate("hdbscan", 4, 0.45, 0.10))[0].method == "hdbscan"
    noisy, reason = discovery.choose(kmeans, _candidate("hdbscan", 4, 0.60, 0.40))
    assert noisy.method == "kmeans" and "40% of customers as noise" in reason
    assert discovery.choose(kmeans, _candidate("hdbscan", 6, 0.31, 0.05))[0].method == "kmeans"
    assert discovery.choose(kmeans, _candidate("hdbscan", 1, None, 0.0))[0].method == "kmeans"


def test_a_profile_without_the_needed_columns_is_refused_by_name():
    with pytest.raises(ValueError, match="avg_basket_value"):
        prepare.readable(profile(per_group=5).drop("avg_basket_value"))
    with pytest.raises(ValueError, match="at least 40 customers"):
        discovery.discover(prepare.readable(profile(per_group=5)))


def test_marketing_overrides_replace_proposed_names_of_their_version_only(tmp_path):
    good = tmp_path / "names.csv"
    good.write_text(
        "segment_key,segment_name,reviewed_by,note\nseg-a-s01,Weekend gardeners,crm.lead@example.com,\n"
        "seg-b-s01,Old version name,,\n"
    )
    overrides = names.read_overrides(good)
    final = names.final_names("seg-a", {1: "Garden lovers", 2: "Decorators"}, overrides)
    assert final == {1: ("Weekend gardeners", "marketing"), 2: ("Decorators", "proposed")}
    duplicate = tmp_path / "dup.csv"
    duplicate.write_text("segment_key,segment_name,reviewed_by,note\nk,One,,\nk,Two,,\n")
    with pytest.raises(ValueError, match=r"dup.csv line 3: segment_key 'k' is named twice"):
        names.read_overrides(duplicate)
    header = tmp_path / "header.csv"
    header.write_text("key,name\nk,One\n")
    with pytest.raises(ValueError, match=r"header\.csv: header must be"):
        names.read_overrides(header)
    empty = tmp_path / "empty.csv"
    empty.write_text("segment_key,segment_name,reviewed_by,note\nk,,,\n")
    with pytest.raises(ValueError, match=r"empty\.csv line 2"):
        names.read_overrides(empty)


def test_the_package_reference_file_is_valid():
    header = names.NAMES_FILE.read_text(encoding="utf-8").splitlines()[0]
    assert header.split(",") == names.COLUMNS
    overrides = names.read_overrides()
    # every name is given to a versioned segment key: seg-<yyyymmdd>-<hash>-sNN
    assert all(re.fullmatch(r"seg-\d{8}-[0-9a-f]{8}-s\d{2}", key) for key in overrides), overrides
    assert all(name.strip() for name in overrides.values())


def test_the_segment_profile_keeps_currencies_apart():
    segments = pl.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d"],
            "business_unit": ["FR", "FR", "PL", "PL"],
            "segment_id": [1, 2, 1, 1],
            "segment_key": ["v-s01", "v-s02", "v-s01", "v-s01"],
            "segment_name": ["One", "Two", "One", "One"],
            "name_source": ["proposed"] * 4,
            "segmentation_version": ["v"] * 4,
        }
    )
    values = pl.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d"],
            "monetary_12m": [300.0, 100.0, 1000.0, -5.0],
            "currency_code": ["EUR", "EUR", "PLN", "PLN"],
        }
    )
    comparable = describe.comparable(
        prepare.readable(profile(per_group=1).with_columns(pl.Series("customer_id", list("abcd"))))
    )
    table = tables.segment_profile(segments, comparable, values)
    fr = {r["segment_key"]: r for r in table.filter(pl.col("business_unit") == "FR").to_dicts()}
    assert fr["v-s01"]["value_share_12m"] == pytest.approx(0.75) and fr["v-s01"]["currency_code"] == "EUR"
    pl_row = table.filter(pl.col("business_unit") == "PL").row(0, named=True)
    assert (
        pl_row["value_12m"] == 1000.0 and pl_row["value_share_12m"] == 1.0
    )  # a refund is not negative value
    group = table.filter(pl.col("business_unit") == "ALL")
    assert group["customers"].to_list() == [3, 1] and group["value_12m"].null_count() == 2
    assert group["customer_share"].sum() == pytest.approx(1.0)


def test_an_indicator_missing_for_a_whole_segment_is_left_out_of_its_description():
    frame = describe.comparable(prepare.readable(profile(per_group=10)))
    frame = frame.with_columns(
        pl.Series("segment_id", [1] * 20 + [2] * 20),
        pl.when(pl.int_range(pl.len()) < 20)
        .then(None)
        .otherwise(pl.col("email_open_rate_12m"))
        .alias("email_open_rate_12m"),
    )
    rows = describe.distinctions(frame)
    first = rows.filter(pl.col("segment_id") == 1)
    assert "email_open_rate_12m" not in first["indicator"].to_list()
    assert first["distance"].null_count() == 0
    assert describe.summary(first.to_dicts()).count(" sd)") == 5


def test_the_version_ignores_rounding_noise_but_not_a_change_of_data(planted):
    from dataclasses import replace
    from datetime import date

    from platform_assets.scores.segments.freeze import version_of

    _, _, found = planted
    ref = date(2026, 11, 1)
    version = version_of(found, ref)
    assert version.startswith("seg-20261101-")
    assert version_of(replace(found, inputs=found.inputs * (1 + 1e-13)), ref) == version
    changed = found.inputs.copy()
    changed[0, 0] += 0.5
    assert version_of(replace(found, inputs=changed), ref) != version
    assert version_of(found, date(2026, 11, 2)) != version
