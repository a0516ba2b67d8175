"""Topology: exact rustworkx figures, the sampled estimator, and percentile ranks."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
import rustworkx as rx

from mcp_lightning.domain.channel import Policy, ShortChannelId
from mcp_lightning.domain.graph import Graph, GraphChannel, GraphNode
from mcp_lightning.graph import compute_topology, load_graph
from mcp_lightning.graph.topology import percentile_ranks, simple_graph
from mcp_lightning.units import Msat, Ppm, Sat

FIXTURES = Path(__file__).parents[1] / "fixtures" / "graph"
ALICE, BOB, CAROL, DAVE = "02" + "a" * 64, "02" + "b" * 64, "03" + "c" * 64, "02" + "d" * 64


def _pubkey(i: int) -> str:
    return f"02{i:064x}"


def _random_graph(n_nodes: int, n_channels: int, seed: int) -> Graph:
    """A random graph with a second component, a disabled channel and isolated endpoints."""
    rng = np.random.default_rng(seed)
    policy = Policy(base_fee_msat=Msat(1000), fee_rate_ppm=Ppm(100))
    channels = []
    for index in range(n_channels):
        a, b = sorted(int(x) for x in rng.choice(n_nodes - 10 if index % 7 else 10, size=2, replace=False))
        if index % 7 == 0:
            a, b = a + n_nodes - 10, b + n_nodes - 10  # the small second component
        disabled = Policy(base_fee_msat=Msat(0), fee_rate_ppm=Ppm(0), disabled=True)
        p1, p2 = (disabled, disabled) if index == 3 else (policy, None)
        channels.append(GraphChannel(index + 1, ShortChannelId.from_chan_id(index + 1), _pubkey(a), _pubkey(b),
                                     Sat(100_000), p1, p2))
    nodes = {_pubkey(i): GraphNode(_pubkey(i), "") for i in range(n_nodes)}
    return Graph(nodes=nodes, channels=tuple(channels), taken_at=datetime(2024, 1, 1, tzinfo=UTC),
                 source="random", fingerprint=f"random-{seed}", format="test")


def _rustworkx_exact(graph: Graph) -> tuple[dict[str, float], dict[str, float]]:
    simple = simple_graph(graph)
    g = simple.to_rustworkx()
    betweenness = rx.graph_betweenness_centrality(g, normalized=True)
    closeness = rx.graph_closeness_centrality(g, wf_improved=True)
    return ({simple.pubkeys[i]: betweenness[i] for i in range(simple.n)},
            {simple.pubkeys[i]: closeness[i] for i in range(simple.n)})


@pytest.fixture(scope="module")
def small() -> Graph:
    """The fixture graph: its enabled channels form the 4-cycle alice-bob-dave-carol."""
    return load_graph(FIXTURES / "describegraph_small.json")


@pytest.mark.parametrize("method", ["exact", "sampled"])
def test_four_cycle_has_hand_computed_centralities(small: Graph, method: str) -> None:
    """On a 4-cycle every node has betweenness 1/6, closeness 3/4 and eigenvector 1/2."""
    topology = compute_topology(small, method=method)  # type: ignore[arg-type]
    assert set(topology) == {ALICE, BOB, CAROL, DAVE}
    for figures in topology.values():
        assert figures.betweenness == pytest.approx(1 / 6, abs=1e-12)
        assert figures.closeness == pytest.approx(0.75, abs=1e-12)
        assert figures.eigenvector == pytest.approx(0.5, abs=1e-6)


def test_degree_counts_all_public_channels_and_ranks_it(small: Graph) -> None:
    """bob and carol have 3 channels (one unusable), alice and dave 2; ranks share ties."""
    topology = compute_topology(small, method="sampled")
    assert (topology[BOB].degree, topology[ALICE].degree) == (3, 2)
    assert (topology[BOB].degree_rank, topology[ALICE].degree_rank) == (2 / 3, 0.0)


def test_sampled_with_every_node_as_pivot_equals_exact_betweenness() -> None:
    """With all nodes as pivots the batched Brandes equals rustworkx to 1e-9, incl. a second component."""
    graph = _random_graph(80, 200, seed=3)
    exact_betweenness, _ = _rustworkx_exact(graph)
    sampled = compute_topology(graph, method="sampled", n_pivots=10_000)
    assert sampled.n_pivots == len(simple_graph(graph).pubkeys)
    assert max(abs(sampled[k].betweenness - v) for k, v in exact_betweenness.items()) < 1e-9
    assert max(exact_betweenness.values()) > 0.05


def test_sampled_with_every_node_as_pivot_equals_exact_closeness() -> None:
    """All-pivot closeness equals rustworkx's Wasserman-Faust closeness to 1e-9."""
    graph = _random_graph(80, 200, seed=4)
    _, exact_closeness = _rustworkx_exact(graph)
    sampled = compute_topology(graph, method="sampled", n_pivots=10_000)
    assert max(abs(sampled[k].closeness - v) for k, v in exact_closeness.items()) < 1e-9


def test_exact_method_matches_rustworkx() -> None:
    """method='exact' is rustworkx itself (to float rounding: its threads may sum in another order)."""
    graph = _random_graph(60, 150, seed=5)
    exact_betweenness, exact_closeness = _rustworkx_exact(graph)
    topology = compute_topology(graph, method="exact")
    assert all(topology[k].betweenness == pytest.approx(v, rel=1e-12, abs=1e-15) for k, v in exact_betweenness.items())
    assert all(topology[k].closeness == pytest.approx(v, rel=1e-12, abs=1e-15) for k, v in exact_closeness.items())
    assert topology.method == "exact" and topology.n_pivots == 0


def test_sampled_estimates_track_exact_figures_with_few_pivots() -> None:
    """With a quarter of the nodes as pivots, closeness is within 5 % (median) and 20 % (worst) of exact."""
    graph = _random_graph(200, 600, seed=6)
    _, exact_closeness = _rustworkx_exact(graph)
    sampled = compute_topology(graph, method="sampled", n_pivots=50, seed=1)
    relative = [abs(sampled[k].closeness - v) / v for k, v in exact_closeness.items() if v > 0.2]
    assert float(np.median(relative)) < 0.05 and max(relative) < 0.2


def test_sampled_is_deterministic_for_a_seed() -> None:
    """The same seed gives the same figures; another seed other pivots and figures."""
    graph = _random_graph(120, 300, seed=7)
    first = compute_topology(graph, method="sampled", n_pivots=20, seed=1)
    again = compute_topology(graph, method="sampled", n_pivots=20, seed=1)
    other = compute_topology(graph, method="sampled", n_pivots=20, seed=2)
    assert dict(first.nodes) == dict(again.nodes) and dict(first.nodes) != dict(other.nodes)
    assert (first.seed, first.n_pivots) == (1, 20)


def test_records_how_long_each_metric_took(small: Graph) -> None:
    """The topology carries its wall time per metric."""
    topology = compute_topology(small, method="exact")
    assert {"betweenness", "closeness", "eigenvector"} <= set(topology.seconds_by_metric)
    assert topology.seconds >= max(topology.seconds_by_metric.values())


def test_percentile_rank_is_the_share_of_others_strictly_below() -> None:
    """Ranks run from 0 for the smallest to 1 for the largest; ties share the lower rank."""
    assert percentile_ranks(np.array([5.0, 1.0, 3.0, 3.0, 9.0])).tolist() == [0.75, 0.0, 0.25, 0.25, 1.0]


def test_rejects_unknown_methods_and_bad_pivot_counts(small: Graph) -> None:
    """A typo in the method or zero pivots is a ValueError, not a silent default."""
    with pytest.raises(ValueError, match="unknown topology method"):
        compute_topology(small, method="fast")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="n_pivots"):
        compute_topology(small, method="sampled", n_pivots=0)
