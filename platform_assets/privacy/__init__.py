"""Privacy: the right to erasure (applied in identity resolution), the sweep of exports, the consent
history (``referential.consent_history``), the access requests (``ops.privacy_requests`` and their
bundles), the register of processing (``ops.processing_register``) and retention (``ops.retention_log``):
the assets are in ``assets.py``, ``consent_assets.py`` and ``access_assets.py``.

Erasure's tables (``ops.erasure_suppression``, ``ops.erasure_log``) are written by identity resolution
in the same transaction as the crosswalk, and the export sweep runs in the publication.
"""

import dagster as dg


def defs_for(upstream: dg.Definitions) -> dg.Definitions:
    """The consent history; the access requests, then the register of processing, each depending on
    every asset before it (imported here, not with the package: the publication's modules import its tables)."""
    from platform_assets.privacy.access_assets import build_access
    from platform_assets.privacy.assets import build_register, retention_log
    from platform_assets.privacy.consent_assets import CONSENT_CHECKS, consent_history

    consents = dg.Definitions(assets=[consent_history, retention_log], asset_checks=CONSENT_CHECKS)
    upstream = dg.Definitions.merge(upstream, consents)
    requests = dg.Definitions(assets=[build_access(upstream)])  # a bundle holds every table about the person
    upstream = dg.Definitions.merge(upstream, requests)
    return dg.Definitions.merge(consents, requests, dg.Definitions(assets=[build_register(upstream)]))
