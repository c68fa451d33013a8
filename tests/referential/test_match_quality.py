import polars as pl
import pytest

from platform_assets.referential.identity.quality import match_quality


def test_perfect_resolution_scores_one():
    labels = pl.DataFrame({"cluster_id": [1, 1, 2], "entity_id": ["p", "p", "q"]})
    q = match_quality(labels)
    assert (q.precision, q.recall, q.f1, q.false_merges, q.cluster_purity) == (1.0, 1.0, 1.0, 0, 1.0)


def test_a_false_merge_costs_precision_and_purity():
    # cluster 1 holds p, p, q: 3 predicted pairs, 1 true; p has 1 actual pair
    labels = pl.DataFrame({"cluster_id": [1, 1, 1, 2], "entity_id": ["p", "p", "q", "r"]})
    q = match_quality(labels)
    assert q.predicted_pairs == 3 and q.true_pairs == 1 and q.actual_pairs == 1
    assert q.precision == pytest.approx(1 / 3)
    assert q.recall == 1.0
    assert q.false_merges == 1
    assert q.cluster_purity == pytest.approx(3 / 4)


def test_a_missed_link_costs_recall_only():
    labels = pl.DataFrame({"cluster_id": [1, 2, 2], "entity_id": ["p", "p", "p"]})
    q = match_quality(labels)
    assert q.precision == 1.0
    assert q.recall == pytest.approx(1 / 3)
    assert q.false_merges == 0


def test_the_crosswalk_is_measured_on_its_records_in_the_ground_truth_only(tmp_path):
    from platform_assets.referential.identity.quality import measure, read_ground_truth

    assert read_ground_truth(tmp_path) is None and measure(pl.DataFrame(), None) is None
    (tmp_path / "source_records.csv").write_text(
        "source_system,source_id,person_id\ncrm,1,p\necommerce,1,p\ncrm,2,q\n"
    )
    xref = pl.DataFrame(
        {"record_id": ["crm:1", "ecommerce:1", "crm:2", "loyalty:9"], "customer_id": ["A", "B", "B", "B"]}
    )
    q = measure(xref, read_ground_truth(tmp_path))
    assert (q.records, q.true_pairs, q.predicted_pairs, q.actual_pairs) == (3, 0, 1, 1)
