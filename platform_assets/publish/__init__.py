"""Publish: the analyst warehouse (atomic publication, snapshots, privacy, documentation).

Built last, from the other domains' definitions: the publication depends on every asset they define.
"""

import dagster as dg

from platform_assets.publish.assets import build_publication


def defs_for(upstream: dg.Definitions) -> dg.Definitions:
    return dg.Definitions(assets=[build_publication(upstream)])
