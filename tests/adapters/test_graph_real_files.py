"""Graph ingest, statistics and topology on the real snapshots in data/graph (few tests, shared loads)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import msgspec
import pytest

from mcp_lightning.domain.graph import Graph
from mcp_lightning.graph import compute_topology, load_graph, network_stats, peer_stats
from mcp_lightning.graph.describegraph_fields import EdgeStruct, _careful_edge, edge_fields
from mcp_lightning.graph.json_file import decode_object, decompress

DATA = Path(__file__).parents[2] / "data" / "graph"
SNAPSHOT_2025 = DATA / "describegraph_2025-10-26.json.gz"
ACINQ = "03864ef025fde8fb587d989186ce6a4a186895ee44a926bfc370e2c366597a3f8f"


@pytest.fixture(scope="module")
def graph_2025() -> Graph:
    """The 2025-10-26 mainnet snapshot (49,808 channels), loaded once for this module."""
    return load_graph(SNAPSHOT_2025)


def test_loads_the_2025_snapshot_with_lnd_zombie_pruning(graph_2025: Graph) -> None:
    """All 49,808 edges are read; 5,437 zombies (both sides older than 14 days) are pruned."""
    report = graph_2025.report
    assert (report.n_channels_read, report.n_channels_skipped, report.n_policies_null) == (49_808, 0, 2_158)
    assert (report.n_channels_zombie, report.n_channels_kept) == (5_437, 44_371)
    assert report.n_policies_absurd == 705  # 693 rates >= 1,000,000 ppm + 12 base fees > 100,000 sat
    assert graph_2025.taken_at == datetime(2025, 10, 26, 3, 59, 17, tzinfo=UTC)
    assert len(graph_2025.nodes) == 12_842


def test_network_statistics_of_2025_are_robust(graph_2025: Graph) -> None:
    """Enabled, plausible policies only: median fee rate and base fee of the live graph."""
    stats = network_stats(graph_2025)
    assert stats.n_channels == 44_371
    assert stats.fee_rate_ppm.p50 == 100.0 and stats.base_fee_msat.p50 == 999.0
    assert stats.fee_rate_ppm.p99 < 1_000_000


def test_peer_stats_of_a_hub_exclude_us(graph_2025: Graph) -> None:
    """ACINQ's competitors are its other channels; excluding one neighbour removes exactly its channels."""
    neighbour = next(c.other(ACINQ) for c in graph_2025.channels if ACINQ in (c.node1_pubkey, c.node2_pubkey))
    shared = sum(1 for c in graph_2025.channels if {c.node1_pubkey, c.node2_pubkey} == {ACINQ, neighbour}
                 and (p := c.policy_from(neighbour)) is not None and not p.disabled)
    everyone = peer_stats(graph_2025, [ACINQ], exclude_pubkey=None)[ACINQ]
    without = peer_stats(graph_2025, [ACINQ], exclude_pubkey=neighbour)[ACINQ]
    assert everyone.degree > 1000 and without.degree == everyone.degree
    assert everyone.n_competitors - without.n_competitors == shared


def test_sampled_topology_puts_hubs_on_top(graph_2025: Graph) -> None:
    """The five highest sampled betweenness nodes are all in the top 1 % by degree."""
    topology = compute_topology(graph_2025, method="sampled", n_pivots=200, seed=0)
    top = sorted(topology.values(), key=lambda t: t.betweenness, reverse=True)[:5]
    assert all(t.degree_rank > 0.99 and t.betweenness_rank > 0.999 for t in top)
    assert topology[ACINQ].eigenvector_rank == 1.0


def test_struct_and_careful_readers_agree_on_real_edges() -> None:
    """On 3,000 real edges the fast struct path equals the careful reference reader."""
    top = decode_object(decompress(SNAPSHOT_2025.read_bytes(), "x"), "x")
    edges = msgspec.json.decode(top["edges"])[:3000]
    for edge in edges:
        struct = msgspec.json.decode(json.dumps(edge), type=EdgeStruct, strict=False)
        assert edge_fields(struct, {}) == _careful_edge(edge, {})


def test_loads_the_2019_lnd_zip() -> None:
    """The original 2019 lncli output: 31,124 edges, policies without their own update time."""
    graph = load_graph(DATA / "LN_2019.03.09-09.23.00.json.zip")
    report = graph.report
    assert (report.n_channels_read, report.n_channels_kept, report.n_channels_zombie) == (31_124, 29_262, 1_862)
    assert len(graph.nodes) == 3_648 and graph.format == "lnd-describegraph"


def test_loads_the_2019_listchannels_with_its_nodes_file() -> None:
    """68,794 half-channels merge into 37,497 channels; aliases come from nodes_5-14-19.json.xz."""
    graph = load_graph(DATA / "channels_5-14-19.json.xz")
    report = graph.report
    assert (report.n_channels_read, report.n_channels_kept, report.n_policies_null) == (68_794, 37_497, 6_200)
    assert graph.format == "cln-listchannels" and sum(1 for n in graph.nodes.values() if n.alias) > 4000
