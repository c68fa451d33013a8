"""Blocking asset checks of the segment tables: keys unique and not null, values in range,
every profiled customer in exactly one segment of the active version (SQL)."""

import dagster as dg

from platform_assets.lib.gates import between, gate, key_rules
from platform_assets.lib.metadata import check_description
from platform_assets.lib.warehouse import Warehouse
from platform_assets.scores.segments.assets import customer_segment, segment_profile, segment_rfm_crosstab

SEGMENT_RULES = {
    **key_rules(["customer_id"]),
    "null_reference_date": "reference_date is null",
    "no_segment": "segment_id is null or segment_key is null or segment_name is null",
    "segment_id_negative": "segment_id < 0",
    "probability_outside_0_1": between("segment_probability", 0, 1),
    "buyer_without_probability": "segment_id > 0 and segment_probability is null",
    "not_one_version": "count(distinct segmentation_version) over () <> 1",
    "key_malformed": r"not regexp_full_match(segment_key, 'seg-\d{8}-[0-9a-f]{8}-s\d{2}')",
    "key_not_of_version": "not starts_with(segment_key, segmentation_version || '-s')",
    "name_source_unknown": "name_source not in ('proposed', 'marketing')",
    "several_names_per_key": "count(distinct segment_name) over (partition by segment_key) > 1",
    "not_in_profile": "customer_id not in (select customer_id from features.customer_profile)",
}

PROFILE_RULES = {
    **key_rules(["business_unit", "segment_key"]),
    "no_customers": "customers is null or customers < 1",
    "customer_share_outside_0_1": f"customer_share is null or {between('customer_share', 0, 1)}",
    "value_share_outside_0_1": between("value_share_12m", 0, 1),
    "negative_value": "value_12m < 0",
    "shares_do_not_add_up": "abs(sum(customer_share) over (partition by business_unit) - 1) > 1e-6",
    "group_value_summed_across_currencies": "business_unit = 'ALL' and value_12m is not null",
    "no_name": "segment_name is null or segment_name = ''",
    "name_source_unknown": "name_source not in ('proposed', 'marketing')",
    "no_distinctive_indicators": "distinctive_indicators is null",
}

CROSSTAB_RULES = {
    **key_rules(["business_unit", "segment_key", "rfm_segment"]),
    "no_customers": "customers is null or customers < 1",
    "share_of_segment_outside_0_1": f"share_of_segment is null or {between('share_of_segment', 0, 1)}",
    "share_of_rfm_outside_0_1": f"share_of_rfm_segment is null or {between('share_of_rfm_segment', 0, 1)}",
    "negative_lift": "lift is null or lift < 0",
}


@dg.asset_check(
    asset=customer_segment,
    blocking=True,
    pool="duckdb_writer",
    description=check_description(
        "customer_id unique and not null; one segment, name and version per customer, segment keys "
        "in their format; probability in [0, 1]; a reference date; every profiled customer assigned.",
        blocking=True,
    ),
)
def customer_segment_keys_and_ranges(warehouse: Warehouse) -> dg.AssetCheckResult:
    unassigned = (
        "select count(*) from features.customer_profile p "
        "anti join scores.customer_segment s on p.customer_id = s.customer_id"
    )
    return gate(warehouse, "scores.customer_segment", SEGMENT_RULES, {"profiled_but_unassigned": unassigned})


@dg.asset_check(
    asset=segment_profile,
    blocking=True,
    pool="duckdb_writer",
    description=check_description(
        "(business_unit, segment_key) unique and not null; shares in [0, 1] adding up to 1; sizes "
        "match scores.customer_segment; a name, its source and the distinctive indicators.",
        blocking=True,
    ),
)
def segment_profile_keys_and_ranges(warehouse: Warehouse) -> dg.AssetCheckResult:
    size_mismatch = (
        "select count(*) from scores.segment_profile p full join "
        "(select segment_key, count(*) as n from scores.customer_segment group by all) s "
        "on p.segment_key = s.segment_key and p.business_unit = 'ALL' "
        "where (p.business_unit = 'ALL' or p.business_unit is null) and p.customers is distinct from s.n"
    )
    return gate(
        warehouse, "scores.segment_profile", PROFILE_RULES, {"sizes_differ_from_assignment": size_mismatch}
    )


@dg.asset_check(
    asset=segment_rfm_crosstab,
    blocking=True,
    pool="duckdb_writer",
    description=check_description(
        "(business_unit, segment_key, rfm_segment) unique and not null; shares in [0, 1]; the group "
        "block counts every assigned customer once.",
        blocking=True,
    ),
)
def segment_rfm_crosstab_keys_and_ranges(warehouse: Warehouse) -> dg.AssetCheckResult:
    total_mismatch = (
        "select abs((select coalesce(sum(customers), 0) from scores.segment_rfm_crosstab "
        "where business_unit = 'ALL') - (select count(*) from scores.customer_segment))"
    )
    return gate(
        warehouse, "scores.segment_rfm_crosstab", CROSSTAB_RULES, {"group_total_differs": total_mismatch}
    )


CHECKS = [
    customer_segment_keys_and_ranges,
    segment_profile_keys_and_ranges,
    segment_rfm_crosstab_keys_and_ranges,
]
