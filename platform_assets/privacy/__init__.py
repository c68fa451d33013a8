"""Privacy: the right to erasure (applied in identity resolution), the sweep of exports, and the
register of processing (``ops.processing_register``, the one asset of its own: ``assets.py``).

Erasure's tables (``ops.erasure_suppression``, ``ops.erasure_log``) are written by identity resolution
in the same transaction as the crosswalk, and the export sweep runs in the publication.
"""

import dagster as dg


def defs_for(upstream: dg.Definitions) -> dg.Definitions:
    """The register of processing, depending on every asset of ``upstream`` (imported here, not with
    the package: the publication's modules import the package's tables)."""
    from platform_assets.privacy.assets import build_register

    return dg.Definitions(assets=[build_register(upstream)])
