"""The vectorised concordance index counts exactly as lifelines does, ties and censoring included."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from lifelines.utils import concordance_index as lifelines_concordance_index

from platform_assets.scores.life_moments.concordance import MAX_DISTINCT_TIMES, concordance_index

cases = st.integers(min_value=2, max_value=300).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(0, 20), min_size=n, max_size=n),  # few distinct days: many tied times
        st.lists(st.integers(-5, 5), min_size=n, max_size=n),  # coarse scores: many tied scores
        st.lists(st.booleans(), min_size=n, max_size=n),
    )
)


@settings(max_examples=300, deadline=None)
@given(cases)
def test_same_index_as_lifelines(case):
    times, scores, events = (np.array(x) for x in case)
    try:
        expected = lifelines_concordance_index(times, scores, events)
    except ZeroDivisionError:  # no comparable pair: both refuse
        try:
            concordance_index(times, scores, events)
        except ZeroDivisionError:
            return
        raise AssertionError("lifelines found no admissible pair, ours did") from None
    assert abs(concordance_index(times, scores, events) - expected) < 1e-12


def test_known_orderings():
    times = np.array([1, 2, 3, 4])
    events = np.ones(4, dtype=bool)
    assert concordance_index(times, times.astype(float), events) == 1.0  # later event, higher score
    assert concordance_index(times, -times.astype(float), events) == 0.0
    assert concordance_index(times, np.zeros(4), events) == 0.5  # every pair tied


def test_many_distinct_times_fall_back_to_lifelines():
    rng = np.random.default_rng(3)
    times = rng.permutation(MAX_DISTINCT_TIMES + 500).astype(float)
    scores, events = rng.normal(size=times.size), rng.random(times.size) < 0.5
    assert concordance_index(times, scores, events) == lifelines_concordance_index(times, scores, events)
