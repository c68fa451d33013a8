"""Marketing's RFM playbook (dbt seed) covers every score and puts the playbook's patterns where
DOMAIN.md says; a broken rule table is refused with a clear error."""

import csv
from dataclasses import replace

import pytest

from platform_assets.features.rfm import SegmentRule, segment_cells, segment_of, validate_rules
from platform_assets.lib.settings import DBT_PROJECT_DIR

SEED = DBT_PROJECT_DIR / "seeds" / "rfm_segment_rules.csv"
PLAYBOOK = {  # DOMAIN.md: typical R-F-M pattern of each named segment
    "5-5-5": "Champions",
    "4-4-4": "Loyal",
    "3-2-3": "Potential loyalists",
    "5-1-1": "New",
    "2-4-4": "At risk",
    "1-5-5": "Can't lose them",
    "1-2-2": "Hibernating",
    "1-1-1": "Lost",
}


@pytest.fixture(scope="module")
def rules() -> list[SegmentRule]:
    with SEED.open() as handle:
        return [
            SegmentRule(
                int(row["priority"]),
                row["segment"],
                *(int(row[k]) for k in ("r_min", "r_max", "f_min", "f_max", "m_min", "m_max")),
                row["typical_pattern"],
                row["action"],
            )
            for row in csv.DictReader(handle)
        ]


def test_the_seed_maps_the_playbook_patterns_to_their_segments(rules):
    validate_rules(rules)
    for pattern, segment in PLAYBOOK.items():
        assert segment_of(rules, *(int(s) for s in pattern.split("-"))) == segment, pattern


def test_every_one_of_the_125_cells_gets_exactly_one_segment_and_every_segment_is_used(rules):
    cells = segment_cells(rules)
    assert len({(r, f, m) for r, f, m, _, _ in cells}) == 125
    assert {segment for *_, segment, _ in cells} == set(PLAYBOOK.values())
    assert all(action for *_, action in cells)


def test_a_rule_table_with_a_hole_is_refused(rules):
    without_hibernating = [r for r in rules if r.segment != "Hibernating"]
    with pytest.raises(ValueError, match=r"marketing.rfm_segment_rules leaves \d+ score combinations"):
        validate_rules(without_hibernating)


def test_a_rule_whose_pattern_lands_elsewhere_or_out_of_bounds_is_refused(rules):
    shadowed = [replace(r, priority=0) if r.segment == "Loyal" else r for r in rules]  # Loyal now first
    with pytest.raises(ValueError, match="5-5-5 is 'Loyal', not 'Champions'"):
        validate_rules(shadowed)
    with pytest.raises(ValueError, match="bounds must be"):
        validate_rules([replace(rules[0], r_max=6), *rules[1:]])
