"""Moved: the resources live in ``platform_assets.lib`` (kept only while domains migrate)."""

from platform_assets.lib.warehouse import Warehouse

__all__ = ["Warehouse"]
