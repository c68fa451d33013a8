"""The asset factory: one asset and its checks per declared local score, and the declarations' register.

Every asset reads and writes as the global scores do: the run's reference date, ``ops.model_metrics``,
``ops.model_registry``, a blocking gate on the table. A declaration refused at load has no asset: it
is a row of ``ops.local_score_declarations`` and a failed (warning) check, with the file and field.
A score refused by the data (a target without events) leaves its table empty with the reason, and
its ``_trained`` check fails as a warning: the other scores and the publication go on.
"""

import time

import dagster as dg

from platform_assets.governance.ownership import SCORES, Ownership
from platform_assets.lib import layers
from platform_assets.lib.gates import between, gate, key_rules
from platform_assets.lib.metadata import asset_metadata, check_description
from platform_assets.lib.model_metrics import write_model_metrics
from platform_assets.lib.reference_date import run_reference_date
from platform_assets.lib.settings import PlatformSettings
from platform_assets.lib.step_output import library_output_to_debug, summary
from platform_assets.lib.tables import (
    empty_by_design,
    replace_table_from_frame,
    replace_with_empty,
    require_as_of,
)
from platform_assets.lib.warehouse import Warehouse
from platform_assets.scores.local import columns
from platform_assets.scores.local.declaration import LocalScore, Refusal

DECLARATIONS = "ops.local_score_declarations"
# The profile is recomputed as of each cutoff from what it reads (as of the reference date it is the
# table's); the target reads the facts.
PROFILE = "features.customer_profile"
DEPS = [
    dg.AssetKey(["features", "customer_profile"]),
    dg.AssetKey(["sales", "fct_sales_lines"]),
    dg.AssetKey(["referential", "dim_product"]),
    dg.AssetKey(["referential", "dim_customer"]),
]
GRAIN = "every customer of the business unit with a purchase in the two years before the reference date"


def ownership(score: LocalScore) -> Ownership:
    owners = score.declaration.owners
    return Ownership(
        SCORES.domain,
        f"Local score of {score.business_unit}",
        owners.business_owner,
        owners.technical_owner,
        owners.sponsor,
    )


def score_asset(score: LocalScore) -> dg.AssetsDefinition:
    declaration = score.declaration
    deps = [*DEPS, *(dg.AssetKey(t.split(".")) for t in score.feature_tables)]

    @dg.asset(
        key=score.table.split("."),
        description=f"{declaration.description} Declared in {score.path.name} ({score.business_unit}): "
        f"{declaration.model.estimator}, backtested each run (ops.model_metrics, model {score.model_name}).",
        deps=list(dict.fromkeys(deps)),
        group_name=layers.SCORES,
        owners=ownership(score).owners,
        kinds={"duckdb", "scikitlearn"},
        pool="duckdb_writer",
        metadata=asset_metadata(
            ownership(score),
            score.table,
            f"one row per customer: {GRAIN}",
            columns.SCHEMA,
            business_unit=score.business_unit,
            declaration=str(score.path),
            estimator=declaration.model.estimator,
            target=declaration.target.model_dump_json(),
            features=", ".join(declaration.features.columns) + (" + SQL" if score.feature_sql else ""),
            published_to_analysts=declaration.published_to_analysts,
        ),
    )
    def _asset(context: dg.AssetExecutionContext, platform: PlatformSettings, warehouse: Warehouse):
        from platform_assets.scores.local import report, scoring
        from platform_assets.scores.local.declaration import LocalScoreRefused
        from platform_assets.scores.registry import save_and_register

        ref = run_reference_date(context, platform, warehouse)
        started = time.perf_counter()
        with warehouse.connect() as conn, platform.scans(conn) as scan:
            require_as_of(conn, PROFILE, ref)  # the features as of the reference date are read from it
            try:
                with library_output_to_debug(context):
                    result = scoring.run(conn, score, ref, platform.retailer.absent_sources, PROFILE, scan)
            except LocalScoreRefused as refused:
                replace_with_empty(conn, score.table, columns.SCHEMA, f"refused: {refused}")
                context.log.warning(f"{score.table} refused: {refused}")
                return dg.MaterializeResult(
                    metadata={"dagster/row_count": 0, "reference_date": str(ref), "refused": str(refused)}
                )
            rows = replace_table_from_frame(conn, score.table, result.scores)
            write_model_metrics(
                conn, context.run_id, ref, [score.model_name], report.metric_rows(score, result)
            )
            save_and_register(
                conn, platform.models_path, *report.model_version(score, result, context.run_id)
            )
        measures = result.backtest.measures
        summary(
            context,
            score.table,
            rows,
            backtest_auc=round(measures["auc"], 3),
            backtest_lift_top_decile=round(measures["lift_top_decile"], 2),
        )
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": rows,
                "reference_date": str(ref),
                "model_version": result.model.version,
                "cutoffs": dg.MetadataValue.json({k: str(v) for k, v in result.cutoffs.items()}),
                **{f"backtest_{k}": round(v, 4) for k, v in measures.items()},
                "training_customers": result.model.rows,
                "training_positives": result.model.positives,
                "run_seconds": round(time.perf_counter() - started, 1),
            }
        )

    return _asset


def score_checks(score: LocalScore) -> list[dg.AssetChecksDefinition]:
    key = dg.AssetKey(score.table.split("."))
    rules = {
        **key_rules(["customer_id"]),
        "null_reference_date": "reference_date is null",
        "wrong_business_unit": f"business_unit is distinct from '{score.business_unit}'",
        "probability_outside_0_1": f"probability is null or {between('probability', 0, 1)}",
        "score_outside_0_100": f"score is null or {between('score', 0, 100)}",
        "decile_outside_1_10": f"decile is null or {between('decile', 1, 10)}",
        "no_model_version": "model_version is null",
    }
    name = score.model_name

    @dg.asset_check(
        asset=key,
        name=f"{name}_keys_and_ranges",
        blocking=True,
        pool="duckdb_writer",
        description=check_description(
            "customer_id unique and not null; the business unit's rows only; probability in [0, 1], score "
            "0-100, decile 1-10; model version present.",
            blocking=True,
        ),
    )
    def _keys(warehouse: Warehouse) -> dg.AssetCheckResult:
        return gate(warehouse, score.table, rules)

    @dg.asset_check(
        asset=key,
        name=f"{name}_trained",
        blocking=False,
        pool="duckdb_writer",
        description=check_description(
            f"The model of {score.path.name} was trained and scored (not refused by the data, e.g. a target "
            "without events in a training window).",
            blocking=False,
        ),
    )
    def _trained(warehouse: Warehouse) -> dg.AssetCheckResult:
        with warehouse.connect() as conn:
            reason = empty_by_design(conn, score.table)
        return dg.AssetCheckResult(
            passed=reason is None,
            severity=dg.AssetCheckSeverity.WARN,
            description=reason,
        )

    return [_keys, _trained]


def declarations_asset(folder, loaded: list[LocalScore], refused: list[Refusal]):
    """The register of declarations (loaded or refused, with why) and its warning check."""
    entries = [(str(s.path), s.business_unit, s.name, s.table, "loaded", None) for s in loaded] + [
        (str(r.path), r.business_unit, r.name, None, "refused", "; ".join(r.problems)) for r in refused
    ]

    @dg.asset(
        key=DECLARATIONS.split("."),
        description=f"The local score declarations under {folder}: one row per file, loaded (an asset "
        "scores.local_<bu>_<score>) or refused when the code location loaded, with the file's problems.",
        group_name=layers.SCORES,
        owners=SCORES.owners,
        kinds={"duckdb", "python"},
        pool="duckdb_writer",
        metadata=asset_metadata(
            SCORES, DECLARATIONS, "one row per declaration file", columns.DECLARATION_SCHEMA
        ),
    )
    def local_score_declarations(warehouse: Warehouse) -> dg.MaterializeResult:
        import polars as pl

        frame = pl.DataFrame(entries, schema=[c for c, _, _ in columns.DECLARATION_SCHEMA], orient="row")
        with warehouse.connect() as conn:
            rows = replace_table_from_frame(conn, DECLARATIONS, frame)
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": rows,
                "loaded": len(loaded),
                "refused": dg.MetadataValue.json({str(r.path): list(r.problems) for r in refused}),
            }
        )

    @dg.asset_check(
        asset=local_score_declarations,
        name="local_score_declarations_valid",
        blocking=False,
        description=check_description(
            "Every local score declaration loaded; a refused one is named with its file, line and field "
            "(it has no asset; the others run).",
            blocking=False,
        ),
    )
    def _valid() -> dg.AssetCheckResult:
        return dg.AssetCheckResult(
            passed=not refused,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={"refused": dg.MetadataValue.json({str(r.path): list(r.problems) for r in refused})},
            description="; ".join(r.message for r in refused) or None,
        )

    return local_score_declarations, _valid
