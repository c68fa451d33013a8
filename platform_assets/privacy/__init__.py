"""Privacy: the right to erasure (applied in identity resolution) and the sweep of exports.

Owns no Dagster definitions of its own: its tables (``ops.erasure_suppression``, ``ops.erasure_log``)
are written by identity resolution in the same transaction as the crosswalk, and the export sweep
runs in the publication.
"""
