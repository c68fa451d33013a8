"""Blocking checks of the appetence tables: keys, probabilities in range, ranks coherent, the wide
table's top three = the long table's ranks 1-3."""

import dagster as dg

from platform_assets.lib.gates import between, gate, key_rules
from platform_assets.lib.metadata import check_description
from platform_assets.lib.warehouse import Warehouse
from platform_assets.scores.appetence.assets import DEPARTMENTS, TABLE, customer_appetence
from platform_assets.scores.appetence.columns import TOP_K

TOP_RULES = {
    **key_rules(["customer_id"]),
    "null_reference_date": "reference_date is null",
    "null_business_unit": "business_unit is null",
    **{
        f"probability_{k}_outside_0_1": f"probability_{k} is null or {between(f'probability_{k}', 0, 1)}"
        for k in range(1, TOP_K + 1)
    },
    "missing_department": " or ".join(f"department_{k}_id is null" for k in range(1, TOP_K + 1)),
    "departments_not_distinct": "department_1_id = department_2_id or department_1_id = department_3_id "
    "or department_2_id = department_3_id",
    "probabilities_not_descending": "probability_1 < probability_2 or probability_2 < probability_3",
    "horizon_not_30_days": "horizon_days <> 30",
    "unknown_features_used": "features_used not in ('purchases', 'purchases and browsing')",
    "no_model_version": "model_version is null",
}
DEPARTMENT_RULES = {
    **key_rules(["customer_id", "department_id"]),
    "null_reference_date": "reference_date is null",
    "probability_outside_0_1": f"probability_30d is null or {between('probability_30d', 0, 1)}",
    "popularity_outside_0_1": f"popularity_30d is null or {between('popularity_30d', 0, 1)}",
    "duplicate_rank": "count(*) over (partition by customer_id, department_rank) > 1",
    "rank_not_by_probability": "department_rank > 1 and probability_30d > lag(probability_30d) "
    "over (partition by customer_id order by department_rank)",
    "no_model_version": "model_version is null",
}
# Top three of the wide table that are not ranks 1-3 of the long one (and customers in one only).
AGREE_SQL = f"""
with top as (
    {" union all ".join(f"select customer_id, department_{k}_id as department_id, {k} as r from {TABLE}" for k in range(1, TOP_K + 1))}
),
ranks as (select customer_id, department_id, department_rank as r from {DEPARTMENTS} where department_rank <= {TOP_K})
select count(*) from (
    (select * from top except select * from ranks) union all (select * from ranks except select * from top)
)
"""


@dg.asset_check(
    asset=dg.AssetKey(TABLE.split(".")),
    blocking=True,
    pool="duckdb_writer",
    description=check_description(
        "customer_id unique and not null; three distinct departments with probabilities in [0, 1], in "
        "descending order; horizon 30 days; model version present; the top three are the ranks 1-3 of "
        "scores.customer_department_appetence.",
        blocking=True,
    ),
)
def customer_appetence_keys_and_ranges(warehouse: Warehouse) -> dg.AssetCheckResult:
    return gate(warehouse, TABLE, TOP_RULES, {"top_3_differs_from_department_ranks": AGREE_SQL})


@dg.asset_check(
    asset=dg.AssetKey(DEPARTMENTS.split(".")),
    blocking=True,
    pool="duckdb_writer",
    description=check_description(
        "(customer_id, department_id) unique and not null; probability and popularity in [0, 1]; ranks "
        "unique per customer and ordered by probability; model version present.",
        blocking=True,
    ),
)
def customer_department_appetence_keys_and_ranges(warehouse: Warehouse) -> dg.AssetCheckResult:
    return gate(warehouse, DEPARTMENTS, DEPARTMENT_RULES)


CHECKS = [customer_appetence_keys_and_ranges, customer_department_appetence_keys_and_ranges]
__all__ = ["CHECKS", "customer_appetence"]
