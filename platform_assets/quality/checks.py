"""The quality checks of every asset but the raw tables (the landing step runs theirs): one
multi-check step per table, declared from its suite file (``expectations/``) and its schema.

One step per table: a multi-check shared by several tables was split by Dagster into steps that could
run before their tables were built (seen on a multiprocess run at 100k customers). Drop a suite file
in ``expectations/`` and its asset has checks, no code.
"""

from collections.abc import Iterable

import dagster as dg

from platform_assets.lib.settings import PlatformSettings
from platform_assets.lib.step_output import library_output_to_debug
from platform_assets.lib.tables import table_exists
from platform_assets.lib.warehouse import Warehouse
from platform_assets.quality.suites import Suite, discover_suites, retailer_values
from platform_assets.quality.table_checks import CRITICAL, PROFILE, Limits, check_specs, evaluate_table

PROFILED_SCHEMAS = ("raw", "referential", "sales", "marketing", "features", "scores")


def _targets(assets: Iterable[dg.AssetsDefinition]) -> list[dg.AssetKey]:
    """Materialisable assets that carry no checks of their own (the landing step runs its own)."""
    keys = []
    for assets_def in assets:
        if not isinstance(assets_def, dg.AssetsDefinition) or not assets_def.is_materializable:
            continue
        own = {spec.asset_key for spec in assets_def.check_specs if spec.name in (PROFILE, CRITICAL)}
        keys += [k for k in assets_def.keys if k not in own]
    return keys


def suite_checks(assets: Iterable[dg.AssetsDefinition]) -> list[dg.AssetChecksDefinition]:
    """Profile and suite checks for every asset of ``assets`` in a profiled schema or with a suite.

    One check step per table, so that it runs right after the step that builds the table (a dbt
    build is split around Python assets) and a blocking failure holds back only what is downstream."""
    suites = discover_suites()
    checks = []
    for key in _targets(assets):
        profiled = key.path[0] in PROFILED_SCHEMAS
        if profiled or key in suites:
            checks.append(_table_checks(key, suites.get(key), check_specs(key, suites.get(key), profiled)))
    return checks


def _table_checks(key: dg.AssetKey, suite: Suite | None, specs: list[dg.AssetCheckSpec]):
    @dg.multi_asset_check(
        specs=specs, can_subset=True, name=f"{'__'.join(key.path)}_quality", pool="duckdb_writer"
    )
    def table_checks(
        context: dg.AssetCheckExecutionContext, warehouse: Warehouse, platform: PlatformSettings
    ):
        """Profile and expectation suite of one table."""
        names = {check_key.name for check_key in context.selected_asset_check_keys}
        limits = Limits(platform.gx_max_rows, platform.volume_tolerance, retailer_values(platform.retailer))
        table = ".".join(key.path)
        with warehouse.connect() as conn, library_output_to_debug(context):  # GX's progress and notes
            if not table_exists(conn, table):  # an asset that builds no table without its input
                results = [_not_built(key, name, table) for name in sorted(names)]
            else:
                results = list(evaluate_table(conn, key, suite, names, context.run.run_id, limits))
        failed = [r.check_name for r in results if not r.passed]
        context.log.info(
            f"{key.to_user_string()}: quality checks {len(results) - len(failed)} of {len(results)} passed"
            + (f"; not passed: {', '.join(failed)}" if failed else "")
        )
        yield from results

    return table_checks


def _not_built(key: dg.AssetKey, name: str, table: str) -> dg.AssetCheckResult:
    """A table its asset does not build without its input (features.customer_department_browsing
    without web events: its materialisation says why): nothing to evaluate, and said so."""
    return dg.AssetCheckResult(
        asset_key=key,
        check_name=name,
        passed=True,
        description=f"not evaluated: {table} does not exist (see the asset's materialisation metadata)",
        metadata={"evaluated": False},
    )
