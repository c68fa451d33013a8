"""Churn risk 0-100 per customer with the playbook's bands, actions and drivers, backtested each run."""

import dagster as dg

from platform_assets.scores.churn.assets import customer_churn
from platform_assets.scores.churn.checks import CHECKS

defs = dg.Definitions(assets=[customer_churn], asset_checks=CHECKS)
