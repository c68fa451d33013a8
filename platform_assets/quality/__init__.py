"""Quality: quarantine rules, reconciliation, profiles and expectation suites as asset checks.

The landing step runs its own checks (``landing/assets.py``); every other asset gets its checks
from ``checks_for``, given the domains' assets by ``platform_assets/definitions.py``.
"""

from collections.abc import Iterable

import dagster as dg

from platform_assets.quality.checks import suite_checks


def checks_for(domain_defs: Iterable[dg.Definitions]) -> dg.Definitions:
    """Profile and suite checks on every asset of these domains (suites: ``expectations/*.json``)."""
    assets = [a for d in domain_defs for a in (d.assets or []) if isinstance(a, dg.AssetsDefinition)]
    return dg.Definitions(asset_checks=suite_checks(assets))
