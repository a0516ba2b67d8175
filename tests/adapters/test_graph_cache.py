"""The on-disk graph and topology caches: round trip, keys, and recovery from corrupt or unwritable caches."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mcp_lightning.adapters.files import graph_cache
from mcp_lightning.adapters.files.graph_cache import (
    cached_graph,
    cached_topology,
    graph_key,
    graph_path,
    load_cached_graph,
    load_topology,
    save_topology,
    topology_key,
    topology_path,
)
from mcp_lightning.domain.graph import Graph
from mcp_lightning.graph import IngestLimits, compute_topology, load_graph
from mcp_lightning.graph.topology import Topology

FIXTURES = Path(__file__).parents[1] / "fixtures" / "graph"


@pytest.fixture(scope="module")
def graph() -> Graph:
    """The small LND fixture."""
    return load_graph(FIXTURES / "describegraph_small.json")


def _same(a: Topology, b: Topology) -> bool:
    return (dict(a.nodes), a.method, a.n_pivots, a.seed, a.n_edges, dict(a.seconds_by_metric)) == (
        dict(b.nodes), b.method, b.n_pivots, b.seed, b.n_edges, dict(b.seconds_by_metric))


def test_saved_topology_loads_back_equal(graph: Graph, tmp_path: Path) -> None:
    """save_topology then load_topology gives back every figure and the parameters."""
    topology = compute_topology(graph, method="sampled", n_pivots=3, seed=9)
    key = topology_key(graph, method="sampled", n_pivots=3, seed=9)
    save_topology(tmp_path, key, topology)
    loaded = load_topology(tmp_path, key)
    assert loaded is not None and _same(loaded, topology)


def test_second_call_reads_the_cache_instead_of_computing(graph: Graph, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """After one computation, cached_topology does not call compute_topology again."""
    first = cached_topology(graph, tmp_path, method="exact")

    def refuse(*args: object, **kwargs: object) -> Topology:
        raise AssertionError("recomputed despite the cache")

    monkeypatch.setattr(graph_cache, "compute_topology", refuse)
    assert _same(cached_topology(graph, tmp_path, method="exact"), first)


@pytest.mark.parametrize("garbage", [b"", b"not a zip at all", b"PK\x03\x04truncated"])
def test_corrupt_cache_file_is_ignored_and_rewritten(graph: Graph, tmp_path: Path, garbage: bytes) -> None:
    """An unreadable cache file reads as a miss, and the next cached_topology replaces it."""
    key = topology_key(graph, method="exact")
    path = topology_path(tmp_path, key)
    path.parent.mkdir(parents=True)
    path.write_bytes(garbage)
    assert load_topology(tmp_path, key) is None
    topology = cached_topology(graph, tmp_path, method="exact")
    reread = load_topology(tmp_path, key)
    assert reread is not None and _same(reread, topology)


def test_a_cache_file_for_another_key_is_a_miss(graph: Graph, tmp_path: Path) -> None:
    """A file renamed to another key is not trusted."""
    key = topology_key(graph, method="exact")
    save_topology(tmp_path, key, compute_topology(graph, method="exact"))
    other = "0" * 64
    topology_path(tmp_path, key).rename(topology_path(tmp_path, other))
    assert load_topology(tmp_path, other) is None


def test_key_changes_with_method_parameters_and_channel_set(graph: Graph) -> None:
    """Method, pivots, seed, and the same file loaded with other limits all give other keys."""
    keys = {topology_key(graph, method="exact"), topology_key(graph, method="sampled"),
            topology_key(graph, method="sampled", n_pivots=100), topology_key(graph, method="sampled", seed=1)}
    with_zombies = load_graph(FIXTURES / "describegraph_small.json", limits=IngestLimits(keep_zombies=True))
    assert with_zombies.fingerprint == graph.fingerprint
    keys.add(topology_key(with_zombies, method="exact"))
    assert len(keys) == 5


def test_exact_key_ignores_pivot_parameters(graph: Graph) -> None:
    """Pivots and seed do not affect the exact method, so they do not split its cache."""
    assert topology_key(graph, method="exact", n_pivots=1, seed=5) == topology_key(graph, method="exact")


def test_unwritable_cache_still_returns_the_topology(graph: Graph, tmp_path: Path) -> None:
    """A cache dir that is a file cannot be written; the topology is returned all the same."""
    blocker = tmp_path / "cache"
    blocker.write_text("a file, not a directory")
    assert len(cached_topology(graph, blocker, method="exact")) == 4


def test_cached_graph_equals_a_fresh_parse(tmp_path: Path) -> None:
    """The second cached_graph decodes the stored graph, equal to load_graph's."""
    path = FIXTURES / "listchannels.json"
    fresh = load_graph(path)
    assert cached_graph(path, tmp_path) == fresh
    assert graph_path(tmp_path, graph_key(path)).is_file()
    assert cached_graph(path, tmp_path) == fresh


def test_cached_graph_reports_the_path_it_was_given(tmp_path: Path) -> None:
    """The same bytes under another name hit the cache but keep their own source path."""
    copy = tmp_path / "copy.json.gz"
    shutil.copy(FIXTURES / "describegraph_small.json.gz", copy)
    cached_graph(FIXTURES / "describegraph_small.json.gz", tmp_path / "cache")
    assert cached_graph(copy, tmp_path / "cache").source == str(copy)


def test_corrupt_graph_cache_is_reparsed_and_rewritten(tmp_path: Path) -> None:
    """A damaged .msgpack reads as a miss; the graph is parsed again and the file replaced."""
    path = FIXTURES / "describegraph_small.json"
    stored = graph_path(tmp_path, graph_key(path))
    stored.parent.mkdir(parents=True)
    stored.write_bytes(b"\x93garbage")
    assert load_cached_graph(tmp_path, graph_key(path)) is None
    assert cached_graph(path, tmp_path) == load_graph(path)
    assert load_cached_graph(tmp_path, graph_key(path)) is not None


def test_graph_key_changes_with_limits_and_nodes_file(tmp_path: Path) -> None:
    """Other ingest limits or another nodes file give another key."""
    path = FIXTURES / "listchannels.json"
    other_nodes = tmp_path / "nodes.json"
    other_nodes.write_text('{"nodes": []}')
    keys = {graph_key(path), graph_key(path, limits=IngestLimits(keep_zombies=True)),
            graph_key(path, nodes_path=other_nodes)}
    assert len(keys) == 3
