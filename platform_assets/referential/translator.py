"""How dbt nodes become Dagster assets: keys mirror ``schema.table``, owners come from governance,
the group is the node's layer of the flow (``platform_assets/lib/layers.py``); a dbt test's asset
check says what it checks and whether it blocks."""

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings

from platform_assets.governance.ownership import ownership_of
from platform_assets.lib.layers import layer_index
from platform_assets.lib.metadata import check_description
from platform_assets.referential.dbt_tests import describe_test

_BUILT_NODES = ("model", "seed", "snapshot")


class CdpDbtTranslator(DagsterDbtTranslator):
    def __init__(self) -> None:
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_code_references=False))
        # dagster-dbt asks for a node's spec again for each child and each test (~15 times a node)
        self._owned_specs: dict[tuple[int, str, int], dg.AssetSpec] = {}

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] in _BUILT_NODES:
            # The key is the table analysts query: ["referential", "dim_customer"].
            name = dbt_resource_props.get("alias") or dbt_resource_props["name"]
            return dg.AssetKey([dbt_resource_props["schema"], name])
        return super().get_asset_key(dbt_resource_props)  # sources: meta.dagster.asset_key = raw table

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project: Any) -> dg.AssetSpec:
        memo = (id(manifest), unique_id, id(project))  # as dagster-dbt memoises its own specs
        if memo not in self._owned_specs:
            self._owned_specs[memo] = self._owned_spec(manifest, unique_id, project)
        return self._owned_specs[memo]

    def _owned_spec(self, manifest: Mapping[str, Any], unique_id: str, project: Any) -> dg.AssetSpec:
        """The default spec with the owners and roles of the node's ``meta: domain`` and the group of
        its ``meta: layer``."""
        spec = super().get_asset_spec(manifest, unique_id, project)
        props = self.get_resource_props(manifest, unique_id)
        if props["resource_type"] not in _BUILT_NODES:
            return spec
        meta = props.get("config", {}).get("meta", {})
        for name in ("domain", "layer"):
            if not meta.get(name):
                raise ValueError(
                    f"dbt node {unique_id} has no `meta: {name}` (set it on its folder in dbt_project.yml)"
                )
        ownership = ownership_of(meta["domain"])
        try:
            layer_index(meta["layer"])
        except ValueError as error:
            raise ValueError(f"dbt node {unique_id}: `meta: layer` {error}") from None
        return spec.replace_attributes(owners=ownership.owners, group_name=meta["layer"]).merge_attributes(
            metadata={
                **ownership.metadata,
                "dagster/table_name": f"{props['schema']}.{props.get('alias') or props['name']}",
            }
        )

    def get_asset_check_spec(
        self, asset_spec: dg.AssetSpec, manifest: Mapping[str, Any], unique_id: str, project: Any
    ) -> dg.AssetCheckSpec | None:
        """The default check (blocking when the test's severity is error) with a description: the
        test's own, or one made from its name and arguments (``dbt_tests.py``)."""
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        if spec is None:
            return None
        test = self.get_resource_props(manifest, unique_id)
        return spec._replace(description=check_description(describe_test(test), spec.blocking))
