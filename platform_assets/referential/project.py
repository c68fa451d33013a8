"""The dbt project as Dagster sees it. The manifest is built by ``make manifest`` / the test
session (``dbt parse``); ``dagster dev`` re-parses through ``prepare_if_dev``."""

from dagster_dbt import DbtProject

from platform_assets.lib.resources import dbt_target_path
from platform_assets.lib.settings import DBT_PROJECT_DIR

dbt_project = DbtProject(
    project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR, target_path=dbt_target_path()
)
dbt_project.prepare_if_dev()
