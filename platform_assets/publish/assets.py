"""The publication: the last asset of the graph. Builds the analyst and restricted files from the
working file and swaps them in atomically, only when every blocking check of the run passed
(publication.py does the work)."""

import dagster as dg

from platform_assets.governance.ownership import PUBLISH, QUALITY
from platform_assets.lib import layers
from platform_assets.lib.metadata import asset_metadata
from platform_assets.lib.reference_date import run_reference_date
from platform_assets.lib.settings import PlatformSettings
from platform_assets.lib.warehouse import Warehouse
from platform_assets.publish import check_results
from platform_assets.publish.docs import TableDoc, table_docs
from platform_assets.publish.publication import (
    ANALYST_FLAG,
    DESCRIPTION,
    LOG,
    LOG_COLUMNS,
    LOG_SCHEMA,
    Published,
    Run,
    publish,
    slowest,
)


class BlockingCheckFailedError(RuntimeError):
    """A blocking check of this run failed: nothing is published."""


def blocking_checks(upstream: dg.Definitions) -> dict[dg.AssetKey, set[str]]:
    """Asset -> the names of its blocking checks, from every definition of ``upstream``."""
    specs = [
        spec
        for definition in [*(upstream.assets or []), *(upstream.asset_checks or [])]
        if isinstance(definition, dg.AssetsDefinition | dg.AssetChecksDefinition)
        for spec in definition.check_specs
    ]
    blocking: dict[dg.AssetKey, set[str]] = {}
    for spec in specs:
        if spec.blocking:
            blocking.setdefault(spec.asset_key, set()).add(spec.name)
    return blocking


def dbt_checks(upstream: dg.Definitions) -> set[tuple[dg.AssetKey, str]]:
    """(asset, check) of the checks dbt defines (its tests, through dagster-dbt)."""
    return {
        (spec.asset_key, spec.name)
        for definition in upstream.assets or []
        if isinstance(definition, dg.AssetsDefinition) and any("dbt" in s.kinds for s in definition.specs)
        for spec in definition.check_specs
    }


def check_outcomes(
    context: dg.AssetExecutionContext,
    blocking_specs: dict[dg.AssetKey, set[str]],
    from_dbt: set[tuple[dg.AssetKey, str]] = frozenset(),
) -> tuple[int, list[str], list[check_results.CheckResult]]:
    """Checks of this run: (passed, failed non-blocking). A failed check of ERROR severity stops
    here, whatever the executor did (a belt to Dagster's braces; a WARN failure never blocks, as in
    Dagster), and so does a blocking check of an asset materialised in this run that gave no result
    (Dagster lets downstream steps "proceed without gating" on a check that never reports). Also
    returns every evaluation as a ``CheckResult`` (for ``ops.check_results``)."""
    passed, warned, failed, evaluated, results = 0, [], [], set(), []
    for entry in context.instance.all_logs(
        context.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION
    ):
        evaluation = entry.dagster_event.event_specific_data
        name = f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}"
        evaluated.add(name)
        error = evaluation.severity == dg.AssetCheckSeverity.ERROR
        results.append(
            check_results.CheckResult(
                evaluation.asset_key.to_user_string(),
                evaluation.check_name,
                check_results.kind_of(
                    evaluation.check_name, (evaluation.asset_key, evaluation.check_name) in from_dbt
                ),
                evaluation.check_name in blocking_specs.get(evaluation.asset_key, ()),
                check_results.outcome_of(evaluation.passed, error),
            )
        )
        if evaluation.passed:
            passed += 1
        elif evaluation.severity == dg.AssetCheckSeverity.ERROR:
            failed.append(name)
        else:
            warned.append(name)
    built = {
        entry.dagster_event.asset_key
        for entry in context.instance.all_logs(
            context.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION
        )
    }
    silent = sorted(
        f"{key.to_user_string()}:{check}"
        for key in built
        for check in blocking_specs.get(key, ())
        if f"{key.to_user_string()}:{check}" not in evaluated
    )
    problems = []
    if failed:
        problems.append(f"blocking checks failed: {', '.join(sorted(failed))}")
    if silent:
        problems.append(f"blocking checks of assets built in this run gave no result: {', '.join(silent)}")
    if problems:
        raise BlockingCheckFailedError("nothing published: " + "; ".join(problems))
    return passed, sorted(warned), results


def builds_every_asset(context: dg.AssetExecutionContext, upstream: frozenset[dg.AssetKey]) -> bool:
    """Whether this run materialises every asset the publication depends on (a full refresh)."""
    selected = context.run.asset_selection or context.job_def.asset_layer.executable_asset_keys
    return upstream <= set(selected)


def build_publication(upstream: dg.Definitions) -> dg.AssetsDefinition:
    """The publication asset, depending on every materialisable asset of ``upstream`` so it runs
    last, and documenting the published tables from their specs."""
    # read from the definitions themselves: resolving the graph would need the resources
    specs = [
        spec
        for assets in upstream.assets or []
        if isinstance(assets, dg.AssetsDefinition) and assets.is_materializable
        for spec in assets.specs
    ]
    docs = {**table_docs(specs), LOG: TableDoc(DESCRIPTION, LOG_COLUMNS, PUBLISH.metadata)}
    blocking = blocking_checks(upstream)
    from_dbt = dbt_checks(upstream)
    docs[check_results.TABLE] = TableDoc(
        "The checks of the publishing run, one line per check: kind, blocking, outcome (passed / warned / failed).",
        {name: text for name, (_, text) in check_results.COLUMNS.items()},
        QUALITY.metadata,
    )
    upstream_keys = frozenset(spec.key for spec in specs)
    # tables whose asset says they stay out of the analyst file (a local score not published to analysts)
    withheld = frozenset(
        ".".join(spec.key.path) for spec in specs if spec.metadata.get(ANALYST_FLAG) is False
    )

    @dg.asset(
        key=LOG.split("."),
        deps=sorted((spec.key for spec in specs), key=lambda k: k.path),
        description=DESCRIPTION,
        group_name=layers.PUBLICATION,
        owners=PUBLISH.owners,
        kinds={"duckdb", "python"},
        pool="duckdb_writer",
        metadata=asset_metadata(PUBLISH, LOG, "one row per publication", LOG_SCHEMA),
    )
    def publication_log(
        context: dg.AssetExecutionContext, warehouse: Warehouse, platform: PlatformSettings
    ) -> dg.MaterializeResult:
        passed, warned, evaluated = check_outcomes(context, blocking, from_dbt)
        ref = run_reference_date(context, platform, warehouse)
        run = Run(
            context.run_id, ref, passed, warned, full_refresh=builds_every_asset(context, upstream_keys)
        )
        with warehouse.connect() as conn:
            check_results.record(conn, context.run_id, evaluated)
            done = publish(
                conn,
                run,
                docs,
                platform.published_path,
                platform.exports_path,
                platform.snapshots_kept,
                withheld,
            )
        context.log.info(
            f"published {done.snapshot} ({len(done.analyst.rows)} analyst tables); pruned {done.pruned or 'none'}"
        )
        return dg.MaterializeResult(metadata=_metadata(done, run, platform))

    return publication_log


def _metadata(done: Published, run: Run, platform: PlatformSettings) -> dict:
    analyst, restricted = done.analyst, done.restricted
    return {
        "dagster/row_count": done.log_rows,
        "analyst_file": dg.MetadataValue.path(str(platform.analyst_path)),
        "restricted_file": dg.MetadataValue.path(str(platform.restricted_path)),
        "snapshot": done.snapshot,
        "analyst_tables": len(analyst.rows),
        "analyst_rows": sum(analyst.rows.values()),
        "restricted_tables": len(restricted.rows),
        "checks_passed": run.checks_passed,
        "checks_warned": dg.MetadataValue.json(run.checks_warned),
        "undocumented_columns": dg.MetadataValue.json(done.undocumented),
        "customers_erased": done.erased,
        "export_rows_removed": dg.MetadataValue.json(done.swept),
        "snapshots_pruned": dg.MetadataValue.json(done.pruned),
        "snapshot_rows_erased": dg.MetadataValue.json(done.snapshots_erased),
        "snapshot_rows_anonymised": dg.MetadataValue.json(done.snapshots_anonymised or {}),
        "reference_date": str(run.reference_date),
        "full_refresh": run.full_refresh,
        "slowest_analyst": dg.MetadataValue.json(slowest(analyst.seconds)),
        "slowest_restricted": dg.MetadataValue.json(slowest(restricted.seconds)),
    }
