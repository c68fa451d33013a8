"""Privacy: the right to erasure (applied in identity resolution), the sweep of exports, the consent
history (``referential.consent_history``) and the register of processing (``ops.processing_register``):
the assets of its own are in ``assets.py``.

Erasure's tables (``ops.erasure_suppression``, ``ops.erasure_log``) are written by identity resolution
in the same transaction as the crosswalk, and the export sweep runs in the publication.
"""

import dagster as dg


def defs_for(upstream: dg.Definitions) -> dg.Definitions:
    """The consent history, and the register of processing depending on every asset of ``upstream``
    and on it (imported here, not with the package: the publication's modules import its tables)."""
    from platform_assets.privacy.assets import CONSENT_CHECKS, build_register, consent_history

    consents = dg.Definitions(assets=[consent_history], asset_checks=CONSENT_CHECKS)
    return dg.Definitions.merge(
        consents, dg.Definitions(assets=[build_register(dg.Definitions.merge(upstream, consents))])
    )
