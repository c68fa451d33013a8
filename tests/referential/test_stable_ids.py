import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from platform_assets.referential.identity.stable_ids import assign_customer_ids, new_customer_id

EMPTY_PREVIOUS = pl.DataFrame(schema={"record_id": pl.String, "customer_id": pl.String})
EMPTY_REGISTRY = pl.DataFrame(schema={"customer_id": pl.String, "issued_seq": pl.Int64})


def clusters_of(labels: dict[str, int]) -> pl.DataFrame:
    return pl.DataFrame(
        {"record_id": list(labels), "cluster_id": list(labels.values())},
        schema={"record_id": pl.String, "cluster_id": pl.Int64},
    )


def registry_of(*assignments) -> pl.DataFrame:
    issued = pl.concat([a.issued.select("customer_id") for a in assignments])
    return issued.with_row_index("issued_seq").select("customer_id", pl.col("issued_seq").cast(pl.Int64))


def ids_by_record(result) -> dict[str, str]:
    return dict(result.assignments.select("record_id", "customer_id").iter_rows())


record_labels = st.dictionaries(
    st.text(alphabet="abcdefgh", min_size=1, max_size=4).map(lambda s: f"crm:{s}"),
    st.integers(min_value=0, max_value=6),
    min_size=1,
    max_size=25,
)


@given(record_labels)
@settings(max_examples=60, deadline=None)
def test_rerunning_on_the_same_input_issues_the_same_ids_and_records_nothing(labels):
    first = assign_customer_ids(clusters_of(labels), EMPTY_PREVIOUS, EMPTY_REGISTRY)
    previous = first.assignments.select("record_id", "customer_id")
    # cluster labels are arbitrary: a re-run may number clusters differently
    relabelled = {record: 100 - label for record, label in labels.items()}
    second = assign_customer_ids(clusters_of(relabelled), previous, registry_of(first))
    assert ids_by_record(second) == ids_by_record(first)
    assert second.history.height == 0
    assert second.issued.height == 0
    assert second.retired == []


@given(record_labels, record_labels)
@settings(max_examples=60, deadline=None)
def test_a_new_day_changes_existing_ids_only_through_recorded_merges_and_splits(day1, day2_extra):
    first = assign_customer_ids(clusters_of(day1), EMPTY_PREVIOUS, EMPTY_REGISTRY)
    # the next day: new records (some joining existing clusters), and possibly regrouped ones
    new_records = {f"web:{k}": v for k, v in day2_extra.items()}
    day2 = {**day1, **new_records}
    second = assign_customer_ids(
        clusters_of(day2), first.assignments.select("record_id", "customer_id"), registry_of(first)
    )
    before, after = ids_by_record(first), ids_by_record(second)
    recorded = {
        (row["old_customer_id"], row["new_customer_id"]) for row in second.history.iter_rows(named=True)
    }
    for record, old_id in before.items():
        new_id = after[record]
        assert new_id == old_id or (old_id, new_id) in recorded, (record, old_id, new_id)
    # one id per cluster, and two clusters never share an id
    per_cluster = second.assignments.group_by("cluster_id").agg(pl.col("customer_id").n_unique())
    assert per_cluster["customer_id"].max() == 1
    assert (
        second.assignments.group_by("customer_id").agg(pl.col("cluster_id").n_unique())["cluster_id"].max()
        == 1
    )
    # ids issued today were never issued before
    assert not set(second.issued["customer_id"]) & set(before.values())


def test_merge_keeps_the_id_issued_first_and_records_the_other():
    first = assign_customer_ids(clusters_of({"crm:a": 1, "crm:b": 2}), EMPTY_PREVIOUS, EMPTY_REGISTRY)
    ids = ids_by_record(first)
    registry = pl.DataFrame({"customer_id": [ids["crm:b"], ids["crm:a"]], "issued_seq": [1, 2]})
    merged = assign_customer_ids(clusters_of({"crm:a": 5, "crm:b": 5}), first.assignments, registry)
    assert set(ids_by_record(merged).values()) == {ids["crm:b"]}
    assert merged.history.select("old_customer_id", "new_customer_id", "reason").rows() == [
        (ids["crm:a"], ids["crm:b"], "merge")
    ]


def test_split_leaves_the_id_with_the_larger_part_and_issues_a_fresh_one():
    first = assign_customer_ids(
        clusters_of({"crm:a": 1, "crm:b": 1, "crm:c": 1}), EMPTY_PREVIOUS, EMPTY_REGISTRY
    )
    old = ids_by_record(first)["crm:a"]
    split = assign_customer_ids(
        clusters_of({"crm:a": 1, "crm:b": 2, "crm:c": 2}), first.assignments, registry_of(first)
    )
    after = ids_by_record(split)
    assert after["crm:b"] == after["crm:c"] == old
    assert after["crm:a"] not in (old,)
    assert split.history.select("old_customer_id", "new_customer_id", "reason").rows() == [
        (old, after["crm:a"], "split")
    ]


def test_new_ids_come_from_the_anchor_record_not_row_order():
    one = assign_customer_ids(clusters_of({"crm:x": 1, "crm:y": 1}), EMPTY_PREVIOUS, EMPTY_REGISTRY)
    other_order = assign_customer_ids(clusters_of({"crm:y": 9, "crm:x": 9}), EMPTY_PREVIOUS, EMPTY_REGISTRY)
    assert ids_by_record(one) == ids_by_record(other_order)
    assert ids_by_record(one)["crm:x"] == new_customer_id("crm:x", set())


def test_an_id_once_issued_is_never_issued_again():
    taken = {new_customer_id("crm:x", set())}
    assert new_customer_id("crm:x", taken) not in taken
