"""Groups are the flow: every asset sits in one layer of ``platform_assets/lib/layers.py`` and reads
only from its own layer or an earlier one, so the UI's lineage reads left to right by layer; asset kinds
come from one allowed set, one spelling per tool."""

import re

import dagster as dg
import pytest

from platform_assets.definitions import defs
from platform_assets.lib.layers import LAYERS, layer_index
from platform_assets.lib.metadata import KINDS


def backward_edges(graph) -> list[str]:
    """Every edge from an asset to one in an earlier layer, as ``upstream (layer) -> asset (layer)``."""
    edges = []
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        for parent in node.parent_keys:
            upstream = graph.get(parent).group_name
            if layer_index(upstream) > layer_index(node.group_name):
                edges.append(
                    f"{parent.to_user_string()} ({upstream}) -> {key.to_user_string()} ({node.group_name})"
                )
    return sorted(edges)


def test_every_asset_is_in_a_layer_and_every_layer_has_assets():
    graph = defs.resolve_asset_graph()
    groups = {key.to_user_string(): graph.get(key).group_name for key in graph.get_all_asset_keys()}
    assert len(groups) > 70
    assert {k: g for k, g in groups.items() if g not in LAYERS} == {}
    assert set(groups.values()) == set(LAYERS)


def test_no_asset_reads_from_a_later_layer():
    assert backward_edges(defs.resolve_asset_graph()) == []


def test_a_backward_edge_is_found_and_named():
    @dg.asset(key=["scores", "s"], group_name="scores")
    def s(): ...

    @dg.asset(key=["features", "f"], group_name="features", deps=[s])
    def f(): ...

    graph = dg.Definitions(assets=[s, f]).resolve_asset_graph()
    assert backward_edges(graph) == ["scores/s (scores) -> features/f (features)"]


def test_a_name_outside_the_layers_is_refused_with_the_list():
    with pytest.raises(ValueError, match=r"'marts' is not a layer of the flow .*landing, staging"):
        layer_index("marts")


def test_kinds_are_spelled_one_way_from_the_allowed_set():
    graph = defs.resolve_asset_graph()
    used = {kind for key in graph.get_all_asset_keys() for kind in graph.get(key).kinds}
    assert used - KINDS == set()
    # one spelling per tool, as Dagster's UI matches a kind to its icon (scikitlearn, not scikit-learn)
    assert all(kind == re.sub(r"[ ._-]", "", kind).lower() for kind in KINDS)
