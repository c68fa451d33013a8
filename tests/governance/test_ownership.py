import re

from platform_assets.cockpits.assets import cockpits_site
from platform_assets.definitions import defs
from platform_assets.governance.ownership import DOMAINS

OWNER = re.compile(r"^(team:[A-Za-z0-9_.-]+|[^@\s]+@[^@\s]+\.[a-z]+)$")


def test_every_asset_has_a_domain_owners_and_three_roles():
    """The owning domain is metadata (the mesh); the group is the layer (the flow, test_layers.py)."""
    graph = defs.resolve_asset_graph()
    keys = [k for k in graph.get_all_asset_keys() if graph.get(k).is_materializable]
    assert len(keys) > 10
    for key in keys:
        node = graph.get(key)
        meta = node.metadata
        assert meta.get("domain") in DOMAINS, key
        for role in ("business_owner", "technical_owner", "sponsor"):
            assert meta.get(role), f"{key.to_user_string()} has no {role}"
        assert set(node.owners) == {meta["business_owner"], meta["technical_owner"]}, key


def test_registry_entries_are_valid_dagster_owners():
    for ownership in DOMAINS.values():
        assert all(OWNER.match(owner) for owner in ownership.owners), ownership
        assert OWNER.match(ownership.sponsor), ownership


# assets that write files, not a DuckDB table
FILE_ASSETS = {cockpits_site.key}


def test_asset_keys_mirror_schema_and_table():
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        if node.is_materializable and key not in FILE_ASSETS:
            assert len(key.path) == 2, key
            assert node.metadata["dagster/table_name"] == ".".join(key.path), key
