"""Payments over small hand-built networks: route choice, HTLC failures, retries, conservation."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from mcp_lightning.domain.channel import Channel, Opener, ShortChannelId
from mcp_lightning.domain.graph import Graph, GraphChannel, GraphNode
from mcp_lightning.domain.node import NodeSnapshot
from mcp_lightning.sim.candidates import CandidateBuilder
from mcp_lightning.sim.demand import AmountModel, generate
from mcp_lightning.sim.network import SimNetwork
from mcp_lightning.sim.payments import PaymentEngine, PaymentRules
from mcp_lightning.sim.prepare import candidate_routes
from mcp_lightning.sim.probability import MissionControl
from mcp_lightning.sim.toy import toy_graph, toy_node, toy_policy, toy_pubkey, toy_scenario
from mcp_lightning.sim.world import build_network, world_graph
from mcp_lightning.units import Sat

NOW = datetime(2026, 7, 1, tzinfo=UTC)


def _diamond(fee_a_ppm: int, fee_b_ppm: int, *, a_to_d_local_ratio: float = 0.5,
             sender_fee_to_a_ppm: int = 0) -> tuple[SimNetwork, dict[str, int]]:
    """S pays D over S-A-D or S-B-D (1 M sat channels); A is our node."""
    specs = [("S", "A", sender_fee_to_a_ppm, 0), ("S", "B", 0, 0), ("A", "D", fee_a_ppm, 0), ("B", "D", fee_b_ppm, 0)]
    channels = []
    for i, (x, y, fee_x, fee_y) in enumerate(specs):
        scid = ShortChannelId(800_000 + i, 1, 0)
        px, py, pol_x, pol_y = toy_pubkey(x), toy_pubkey(y), toy_policy(fee_x), toy_policy(fee_y)
        if py < px:
            px, py, pol_x, pol_y = py, px, pol_y, pol_x
        channels.append(GraphChannel(scid.chan_id, scid, px, py, Sat(1_000_000), pol_x, pol_y))
    graph = Graph({toy_pubkey(n): GraphNode(toy_pubkey(n), n) for n in "SABD"}, tuple(channels), NOW, "test",
                  "00" * 32, "lnd-describegraph")
    ours = []
    for gc in channels:
        if toy_pubkey("A") in (gc.node1_pubkey, gc.node2_pubkey):
            peer = gc.other(toy_pubkey("A"))
            local = round(1_000_000 * (a_to_d_local_ratio if peer == toy_pubkey("D") else 0.5))
            ours.append(Channel(gc.chan_id, gc.scid, None, peer, None, gc.capacity_sat, Sat(local),
                                Sat(1_000_000 - local), True, False, Opener.LOCAL, gc.policy_from(toy_pubkey("A")),
                                gc.policy_from(peer)))
    node = NodeSnapshot(toy_pubkey("A"), "A", "cln", 950_000, NOW, tuple(ours), (), "test")
    net = build_network(graph, node, balance_model="half", rng=np.random.default_rng(0))
    index = {name: net.pubkeys.index(toy_pubkey(name)) for name in "SABD"}
    return net, index


def _engine(net: SimNetwork, index: dict[str, int]) -> PaymentEngine:
    routes = CandidateBuilder(net, 10_000_000).routes_to(index["D"], [index["S"]])
    return PaymentEngine(net, {(index["S"], index["D"]): routes[index["S"]]}, MissionControl(), PaymentRules())


def test_sender_prefers_the_cheaper_of_two_equal_routes() -> None:
    """With equal hops and capacities, the payment takes the route whose forwarding fee is lower."""
    net, index = _diamond(fee_a_ppm=100, fee_b_ppm=500)
    engine = _engine(net, index)
    assert engine.pay(index["S"], index["D"], 10_000_000, 0.0)
    assert len(engine.ours.forwards) == 1
    _, _, amount_in, amount_out, fee, _ = engine.ours.forwards[0]
    assert (amount_out, fee) == (10_000_000, 1000 + 10_000_000 * 100 // 1_000_000)
    assert amount_in == amount_out + fee


def test_sender_ignores_the_fee_of_its_own_channel() -> None:
    """The sender pays no fee on its first hop: a high fee it set towards A does not steer it away."""
    net, index = _diamond(fee_a_ppm=100, fee_b_ppm=500, sender_fee_to_a_ppm=50_000)
    engine = _engine(net, index)
    assert engine.pay(index["S"], index["D"], 10_000_000, 0.0)
    assert len(engine.ours.forwards) == 1


def test_sender_avoids_our_node_when_we_are_the_expensive_route() -> None:
    """When our hop costs more, the same payment goes through the competitor."""
    net, index = _diamond(fee_a_ppm=500, fee_b_ppm=100)
    engine = _engine(net, index)
    assert engine.pay(index["S"], index["D"], 10_000_000, 0.0)
    assert engine.ours.forwards == []


def test_drained_channel_fails_the_htlc_and_the_sender_retries_elsewhere() -> None:
    """Our empty outbound side fails the HTLC (counted as a liquidity failure); the retry goes via B."""
    net, index = _diamond(fee_a_ppm=100, fee_b_ppm=500, a_to_d_local_ratio=0.0)
    engine = _engine(net, index)
    assert engine.pay(index["S"], index["D"], 10_000_000, 0.0)
    assert engine.tally.n_attempts == 2
    assert engine.ours.forwards == []
    assert sum(engine.ours.out_failed_liquidity.values()) == 1
    assert sum(engine.ours.in_offered.values()) == 1
    failed = engine.mission.probability(index["S"], index["A"], index["D"], 10_000_000, 1_000_000_000, 1.0)
    assert failed < 0.01


def test_payment_fails_when_every_route_is_drained() -> None:
    """No candidate with liquidity: the payment fails and no balance moves."""
    net, index = _diamond(fee_a_ppm=100, fee_b_ppm=500, a_to_d_local_ratio=0.0)
    before = list(net.bal1_msat)
    engine = _engine(net, index)
    assert not engine.pay(index["S"], index["D"], 600_000_000, 0.0)
    assert net.bal1_msat == before


def test_payments_conserve_sats_on_every_channel_and_node() -> None:
    """Capacity is conserved per channel; per node the balance moves by what it paid, received and earned."""
    net = build_network(world_graph(toy_graph(), toy_node()), toy_node(), balance_model="uniform",
                        rng=np.random.default_rng(3))
    stream = generate(net, np.random.default_rng(4), payments_per_day=500, days=2, n_destinations=5,
                      weighting="uniform", amounts=AmountModel(mu=16.0, sigma=1.5, max_msat=900_000_000))
    engine = PaymentEngine(net, candidate_routes(net, stream, 9_000_000, focus=False), MissionControl(),
                           PaymentRules(relax_half_life_s=0.0))
    before = [net.total_balance_msat(i) for i in range(net.n_nodes)]
    paid, received = [0] * net.n_nodes, [0] * net.n_nodes
    for at, s, r, amount in zip(stream.at_s.tolist(), stream.sender.tolist(), stream.receiver.tolist(),
                                stream.amount_msat.tolist(), strict=True):
        fees_before = engine.tally.fees_paid_msat
        if engine.pay(s, r, amount, at):
            paid[s] += amount + engine.tally.fees_paid_msat - fees_before
            received[r] += amount
    assert engine.tally.n_succeeded > 100
    assert all(0 <= net.bal1_msat[c] <= net.cap_msat[c] for c in range(net.n_channels))
    for i in range(net.n_nodes):
        assert net.total_balance_msat(i) - before[i] == received[i] - paid[i] + net.node_fee_msat[i]
    assert sum(net.node_fee_msat) == engine.tally.fees_paid_msat


def test_relaxation_moves_a_channel_back_towards_its_initial_split() -> None:
    """After one half-life, half the displacement of a channel not ours is undone; ours never move."""
    net, _ = _diamond(fee_a_ppm=100, fee_b_ppm=500)
    channel = next(c for c in range(net.n_channels) if not net.ours[c])
    net.bal1_msat[channel] = net.init_bal1_msat[channel] + 200_000_000
    net.relax(channel, 3600.0, 3600.0)
    assert net.bal1_msat[channel] == net.init_bal1_msat[channel] + 100_000_000
    ours = next(c for c in range(net.n_channels) if net.ours[c])
    net.bal1_msat[ours] += 1000
    kept = net.bal1_msat[ours]
    net.relax(ours, 10_000.0, 3600.0)
    assert net.bal1_msat[ours] == kept


@pytest.mark.parametrize("focus", [True, False])
def test_focus_keeps_only_pairs_whose_routes_can_touch_our_node(focus: bool) -> None:
    """With focus, every kept pair has a candidate forwarding through our node."""
    scenario = toy_scenario(focus=focus)
    net = build_network(world_graph(toy_graph(), toy_node()), toy_node(), balance_model="half",
                        rng=np.random.default_rng(0))
    stream = generate(net, np.random.default_rng(1), payments_per_day=scenario.payments_per_day, days=1,
                      n_destinations=4, weighting="capacity", amounts=AmountModel(16.0, 1.0, 10**9))
    pairs = candidate_routes(net, stream, 9_000_000, focus=focus)
    through_us = [any(net.pair_src[p] == net.our for r in routes for p in r[1:]) for routes in pairs.values()]
    assert pairs
    assert all(through_us) if focus else not all(through_us)


def test_a_limit_below_the_amount_is_never_tried_so_the_drained_channel_fails_nothing() -> None:
    """The valve's lever: the same drained A-D channel announcing htlc_maximum_msat below the amount
    is skipped by the sender's pathfinding: one attempt via B, no HTLC offered to us, no failure."""
    from dataclasses import replace

    from mcp_lightning.units import Msat

    net, index = _diamond(fee_a_ppm=100, fee_b_ppm=500, a_to_d_local_ratio=0.005)
    (a_to_d,) = net.pair_edges[net.pair_of[(index["A"], index["D"])]]
    net.set_policy(a_to_d, replace(toy_policy(100), max_htlc_msat=Msat(2_000_000)))  # 2,000 sat
    engine = _engine(net, index)
    assert engine.pay(index["S"], index["D"], 10_000_000, 0.0)
    assert engine.tally.n_attempts == 1
    assert sum(engine.ours.in_offered.values()) == 0
    assert sum(engine.ours.out_failed_liquidity.values()) == 0
    # a payment under the limit still goes through us (a fresh sender: this one now knows B works)
    fresh = _engine(net, index)
    assert fresh.pay(index["S"], index["D"], 1_500_000, 1.0)
    assert len(fresh.ours.forwards) == 1
