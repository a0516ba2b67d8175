"""Network and per-peer fee statistics, checked against the hand-computed fixture (tests/fixtures/graph/README.md)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mcp_lightning.domain.channel import Policy, ShortChannelId
from mcp_lightning.domain.graph import Graph, GraphChannel, GraphNode
from mcp_lightning.graph import load_graph, network_stats, peer_stats
from mcp_lightning.graph.statistics import distribution, weighted_median
from mcp_lightning.units import Msat, Ppm, Sat

FIXTURES = Path(__file__).parents[1] / "fixtures" / "graph"
ALICE, BOB, CAROL, DAVE, ERIN = ("02" + "a" * 64, "02" + "b" * 64, "03" + "c" * 64, "02" + "d" * 64,
                                 "03" + "e" * 64)


@pytest.fixture(scope="module")
def graph() -> Graph:
    """The small LND fixture graph (5 kept channels)."""
    return load_graph(FIXTURES / "describegraph_small.json")


def test_distribution_uses_linear_percentiles() -> None:
    """Percentiles of 1..5 interpolate linearly between order statistics."""
    result = distribution([5, 1, 4, 2, 3])
    assert (result.n, result.p10, result.p25, result.p50, result.p75) == (5, 1.4, 2.0, 3.0, 4.0)


def test_distribution_of_nothing_is_empty_and_zero() -> None:
    """An empty sample has n=0 and every percentile 0.0."""
    result = distribution([])
    assert result.empty and result.p50 == 0.0 and result.p99 == 0.0


def test_weighted_median_follows_the_weight_not_the_count() -> None:
    """One heavy value outweighs two light ones."""
    assert weighted_median([10, 20, 500], [1, 1, 10]) == 500.0
    assert weighted_median([10, 20, 500], [1, 1, 1]) == 20.0
    assert weighted_median([], []) == 0.0


def test_network_fee_rates_leave_out_disabled_and_absurd_policies(graph: Graph) -> None:
    """Fee rates are [10, 50, 100, 150, 200, 400, 1000] ppm: no 4,294,967,295, no disabled 300."""
    stats = network_stats(graph)
    fee = stats.fee_rate_ppm
    assert (fee.n, fee.p25, fee.p50, fee.p75) == (7, 75.0, 150.0, 300.0)
    assert fee.p10 == pytest.approx(34.0) and fee.p90 == pytest.approx(640.0) and fee.p99 == pytest.approx(964.0)


def test_network_counts_and_other_distributions(graph: Graph) -> None:
    """4 nodes with channels, 5 channels, median base fee 1000 msat, capacity 2,000,000 sat, degree 2.5."""
    stats = network_stats(graph)
    assert (stats.n_nodes, stats.n_channels) == (4, 5)
    assert stats.base_fee_msat.p50 == 1000.0 and stats.capacity_sat.p50 == 2_000_000.0
    assert stats.degree.p50 == 2.5 and stats.degree.n == 4


def test_statistics_filter_absurd_policies_even_if_ingest_did_not() -> None:
    """A graph built elsewhere with an enabled 4,294,967,295 ppm policy still gets a sane median."""
    good = Policy(base_fee_msat=Msat(1000), fee_rate_ppm=Ppm(100))
    channel = GraphChannel(1 << 40, ShortChannelId(1, 0, 0), ALICE, BOB, Sat(1000), good,
                           replace(good, fee_rate_ppm=Ppm(4_294_967_295)))
    graph = Graph(nodes={ALICE: GraphNode(ALICE, "a"), BOB: GraphNode(BOB, "b")}, channels=(channel,),
                  taken_at=datetime(2024, 1, 1, tzinfo=UTC), source="test", fingerprint="0", format="test")
    assert network_stats(graph).fee_rate_ppm.n == 1 and network_stats(graph).fee_rate_ppm.p99 == 100.0


def test_peer_competition_excludes_our_own_channel(graph: Graph) -> None:
    """For carol seen from alice: only dave's 1000 ppm competes (alice's own channel is left out)."""
    carol = peer_stats(graph, [CAROL], exclude_pubkey=ALICE)[CAROL]
    assert (carol.n_competitors, carol.fee_rate_ppm_towards.p50, carol.weighted_median_fee_rate_ppm) == (1, 1000, 1000)
    assert (carol.degree, carol.capacity_sat, carol.outbound_fee_rate_ppm) == (3, 5_500_000, 10.0)


def test_peer_competition_includes_every_channel_without_exclusion(graph: Graph) -> None:
    """Without exclude_pubkey alice's 50 ppm towards carol competes too: [50, 1000] -> median 525."""
    carol = peer_stats(graph, [CAROL], exclude_pubkey=None)[CAROL]
    figures = (carol.n_competitors, carol.fee_rate_ppm_towards.p50, carol.weighted_median_fee_rate_ppm)
    assert figures == (2, 525.0, 1000.0)


def test_peer_counts_disabled_policies_towards_it(graph: Graph) -> None:
    """bob: carol's disabled side counts as disabled, dave's 400 ppm competes; bob charges median 175."""
    bob = peer_stats(graph, [BOB], exclude_pubkey=ALICE)[BOB]
    assert (bob.n_disabled_towards, bob.n_competitors, bob.fee_rate_ppm_towards.p50) == (1, 1, 400.0)
    assert bob.outbound_fee_rate_ppm == 175.0 and bob.capacity_sat == 5_500_000


def test_weighted_median_of_a_peer_weights_by_capacity(graph: Graph) -> None:
    """dave: 10 ppm on 3,000,000 sat vs 150 ppm on 4,000,000 sat -> weighted 150, plain median 80."""
    dave = peer_stats(graph, [DAVE], exclude_pubkey=None)[DAVE]
    assert dave.weighted_median_fee_rate_ppm == 150.0 and dave.fee_rate_ppm_towards.p50 == 80.0


def test_unknown_peer_gets_zero_figures(graph: Graph) -> None:
    """A node not in the graph (erin's only channel was pruned) gets degree 0 and empty samples."""
    erin = peer_stats(graph, [ERIN], exclude_pubkey=ALICE)[ERIN]
    assert (erin.degree, erin.n_competitors, erin.weighted_median_fee_rate_ppm) == (0, 0, 0.0)
    assert erin.fee_rate_ppm_towards.empty
