"""The eight heuristics: range, reasons, monotonicity and the registry."""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

import mcp_lightning.heuristics as heuristics_pkg
from mcp_lightning.domain.channel import HtlcDirection, PendingHtlc
from mcp_lightning.heuristics import DEFAULT_WEIGHTS, REGISTRY
from mcp_lightning.heuristics.activity import Activity
from mcp_lightning.heuristics.age_stability import AgeStability
from mcp_lightning.heuristics.centrality import Centrality
from mcp_lightning.heuristics.competitiveness import Competitiveness
from mcp_lightning.heuristics.liquidity import Liquidity
from mcp_lightning.heuristics.network_position import NetworkPosition
from mcp_lightning.heuristics.peer_quality import PeerQuality
from mcp_lightning.heuristics.reliability import Reliability
from mcp_lightning.units import Msat, Ppm
from tests.engine_factories import (
    idle_flows,
    make_channel,
    make_context,
    make_flows,
    make_peer,
    make_policy,
    make_topology,
)

ALL = [cls() for cls in REGISTRY.values()]

contexts = st.builds(
    lambda ratio, n_out, n_in, fee, rank, in_graph, active, height: make_context(
        channel=make_channel(ratio, active=active, local_policy=make_policy(fee_rate_ppm=Ppm(fee))),
        flows=make_flows(n_out_7d=n_out, n_in_7d=n_in),
        peer=make_peer() if in_graph else None,
        peer_topology=make_topology(rank) if in_graph else None,
        block_height=height,
    ),
    st.floats(0, 1),
    st.integers(0, 500),
    st.integers(0, 500),
    st.integers(0, 100_000),
    st.floats(0, 1),
    st.booleans(),
    st.booleans(),
    st.integers(880_000, 1_000_000),
)


def test_registry_lists_every_heuristic_module() -> None:
    """Every module of the heuristics package that defines a heuristic is in REGISTRY."""
    infrastructure = {"base", "curves"}
    modules = {m.name for m in pkgutil.iter_modules(heuristics_pkg.__path__)} - infrastructure
    assert modules == set(REGISTRY)
    for name in modules:
        module = importlib.import_module(f"mcp_lightning.heuristics.{name}")
        assert REGISTRY[name].__module__ == module.__name__


def test_default_weights_match_the_documented_values() -> None:
    """Default weights are 0.20, 0.25, 0.20, 0.15, 0.10, 0.05, 0.03, 0.02 and sum to 1."""
    assert list(DEFAULT_WEIGHTS.values()) == [0.20, 0.25, 0.20, 0.15, 0.10, 0.05, 0.03, 0.02]
    assert list(DEFAULT_WEIGHTS) == list(REGISTRY)
    assert sum(DEFAULT_WEIGHTS.values()) == pytest.approx(1.0)


@pytest.mark.parametrize("heuristic", ALL, ids=lambda h: h.name)
@given(ctx=contexts)
def test_every_heuristic_scores_in_unit_range_with_a_reason(heuristic, ctx) -> None:  # type: ignore[no-untyped-def]
    """Any realistic context gets a score in [0, 1] and a non-empty sentence."""
    score = heuristic.score(ctx)
    assert 0.0 <= score.value <= 1.0
    assert score.reason.strip().endswith(".") and len(score.reason) > 10


@pytest.mark.parametrize(
    "heuristic", [Centrality(), Competitiveness(), PeerQuality(), NetworkPosition()], ids=lambda h: h.name
)
def test_graph_heuristics_say_when_the_peer_is_not_in_the_graph(heuristic) -> None:  # type: ignore[no-untyped-def]
    """Without graph data the graph-based heuristics give their neutral value and say why."""
    score = heuristic.score(make_context(peer=None, peer_topology=None, in_graph=False))
    assert score.value == 0.5
    assert "not in the graph" in score.reason


def test_liquidity_is_best_at_the_target_and_falls_towards_either_side() -> None:
    """Liquidity rises monotonically to the target ratio and falls after it."""
    values = [Liquidity().score(make_context(channel=make_channel(r / 10))).value for r in range(11)]
    assert values[5] == pytest.approx(1.0)
    assert values[0] == values[10] == pytest.approx(0.0)
    assert values[:6] == sorted(values[:6]) and values[5:] == sorted(values[5:], reverse=True)


def test_liquidity_counts_pending_htlcs_as_locked() -> None:
    """Pending HTLCs lower the liquidity score and are named in the reason."""
    htlcs = (PendingHtlc(HtlcDirection.OUT, Msat(500_000_000), 900_000),)
    locked = Liquidity().score(make_context(channel=make_channel(pending_htlcs=htlcs)))
    assert locked.value == pytest.approx(0.9)
    assert "1 pending HTLCs" in locked.reason


def test_activity_rises_with_forwards() -> None:
    """More forwards in the windows never lower the activity score."""
    values = [Activity().score(make_context(flows=make_flows(n_out_7d=n, n_in_7d=n))).value for n in range(0, 60, 5)]
    assert values == sorted(values)
    assert values[0] == 0.0 and values[-1] > 0.8


def test_activity_of_an_idle_channel_is_zero() -> None:
    """A channel with no forward in 30 days scores 0 for activity."""
    assert Activity().score(make_context(flows=idle_flows())).value == 0.0


def test_competitiveness_peaks_at_the_competitors_median() -> None:
    """Our fee at the competitors' median scores 1; ten times above or below scores far lower."""

    def at(fee: int) -> float:
        return (
            Competitiveness()
            .score(make_context(channel=make_channel(local_policy=make_policy(fee_rate_ppm=Ppm(fee)))))
            .value
        )

    assert at(500) == pytest.approx(1.0)
    assert at(5000) < 0.3 and at(50) < 0.3
    assert at(500) > at(1000) > at(2000) > at(5000)


def test_competitiveness_is_neutral_with_too_few_competitors() -> None:
    """With fewer competitors than the minimum the score is neutral and says how many there are."""
    score = Competitiveness().score(make_context(peer=make_peer(n_competitors=1)))
    assert score.value == 0.5 and "Only 1 other channels" in score.reason


def test_centrality_rises_with_the_peers_rank() -> None:
    """A higher-ranked peer scores higher for centrality."""
    values = [Centrality().score(make_context(peer_topology=make_topology(r / 10))).value for r in range(11)]
    assert values == sorted(values) and values[0] == 0.0 and values[-1] == pytest.approx(1.0)


def test_reliability_drops_for_an_inactive_channel() -> None:
    """An inactive channel scores lower on reliability and the reason says it is inactive."""
    active = Reliability().score(make_context())
    inactive = Reliability().score(make_context(channel=make_channel(active=False)))
    assert inactive.value < active.value and "inactive" in inactive.reason


def test_reliability_drops_when_the_peers_channels_are_disabled() -> None:
    """A peer with most channels disabled towards it scores lower."""
    good = Reliability().score(make_context(peer=make_peer(n_disabled_towards=0)))
    bad = Reliability().score(make_context(peer=make_peer(n_disabled_towards=50)))
    assert bad.value < good.value


def test_age_stability_grows_with_age_until_mature() -> None:
    """Older channels score higher until mature, then stay at 1."""
    heuristic = AgeStability(mature_blocks=8640)
    values = [
        heuristic.score(make_context(block_height=880_000 + blocks)).value for blocks in (0, 1000, 4320, 8640, 20_000)
    ]
    assert values == sorted(values) and values[0] == 0.0 and values[2] == pytest.approx(0.5) and values[-1] == 1.0


def test_age_stability_without_scid_is_zero() -> None:
    """An unconfirmed channel scores 0 and says so."""
    score = AgeStability().score(make_context(channel=make_channel(scid=None)))
    assert score.value == 0.0 and "no confirmed" in score.reason


def test_peer_quality_rises_with_size() -> None:
    """A bigger, better-connected peer scores higher."""
    small = PeerQuality().score(make_context(peer=make_peer(degree=2, capacity_sat=2_000_000)))
    big = PeerQuality().score(make_context(peer=make_peer(degree=500, capacity_sat=5_000_000_000)))
    assert small.value < 0.3 < 0.8 < big.value


def test_network_position_rises_with_closeness() -> None:
    """A peer closer to the network gives a better position."""
    near = NetworkPosition().score(make_context(peer_topology=make_topology(closeness_rank=0.95)))
    far = NetworkPosition().score(make_context(peer_topology=make_topology(closeness_rank=0.05)))
    assert far.value < near.value


def test_heuristics_are_pure() -> None:
    """Scoring the same context twice gives the same score."""
    ctx = make_context(channel=make_channel(0.3))
    for heuristic in ALL:
        assert heuristic.score(ctx) == heuristic.score(replace(ctx))
