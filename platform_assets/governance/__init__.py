"""Governance: the ownership registry. It owns no assets of its own."""

from platform_assets.governance.ownership import DOMAINS, Ownership, ownership_of

__all__ = ["DOMAINS", "Ownership", "ownership_of"]
