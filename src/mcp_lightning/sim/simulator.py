"""Run one fee strategy over one prepared world: payments, decision points, safety, measurements.

Payments are sent in time order. Every ``decision_interval_s`` the run stops, builds our node's
snapshot and the engine's contexts from the simulation state, asks the strategy for policies, passes
each through the safety chain (``engine.safety.run_chain``, the strategy's limits) and announces the
survivors — senders price the new fee from the next payment on (gossip delay is not modelled).
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

import numpy as np

from mcp_lightning.domain.channel import Policy
from mcp_lightning.domain.node import NodeSnapshot
from mcp_lightning.engine.context import GraphView, build_contexts
from mcp_lightning.engine.safety import Proposal, SafetyState, run_chain
from mcp_lightning.sim.candidates import Route
from mcp_lightning.sim.demand import PaymentStream
from mcp_lightning.sim.network import SimNetwork
from mcp_lightning.sim.payments import PaymentEngine, PaymentRules
from mcp_lightning.sim.probability import BimodalEstimator, MissionControl
from mcp_lightning.sim.snapshot import SnapshotBuilder, liquidity_failures, with_forwards
from mcp_lightning.sim.strategies.base import FeeStrategy, StrategyInput


@dataclass(frozen=True, slots=True)
class World:
    """Everything the runs of one seed share (each run works on a clone of ``net``).

    Attributes:
        net: the network at time 0.
        node: our node at time 0, with its forwarding history.
        graph: the engine's graph view of the world.
        stream: the payments to simulate, in time order.
        candidates: (sender, receiver) -> candidate routes.
        start: simulated time 0, UTC.
        days: run length, days.
        decision_interval_s: seconds between decision points.
        rules: the senders' payment rules.
        probability_model: ``apriori`` or ``bimodal``.
        seed: the seed the world was drawn from.
        n_payments_total: payments in the whole stream, before the focus filter.
    """

    net: SimNetwork
    node: NodeSnapshot
    graph: GraphView
    stream: PaymentStream
    candidates: Mapping[tuple[int, int], tuple[Route, ...]]
    start: datetime
    days: float
    decision_interval_s: float
    rules: PaymentRules
    probability_model: str
    seed: int
    n_payments_total: int


@dataclass(frozen=True, slots=True)
class RunRecord:
    """The measurements of one run (integers in msat; see ``sim.metrics`` for the derived figures).

    Attributes:
        strategy: strategy name.
        seed: world seed.
        fees_msat: fees our node earned, msat.
        n_forwards: forwards settled through our node.
        volume_msat: amount forwarded out, msat.
        n_htlcs_offered: HTLCs that reached our node (forwarded or failed there or downstream).
        mean_local_msat: time-averaged local balance of our public channels, msat.
        imbalance: time-averaged capacity-weighted ``2 x |local_ratio - 0.5|`` of our public channels, [0, 1].
        n_policy_changes: fee changes announced (each one a gossip ``channel_update``).
        n_rejected: proposals the safety chain refused.
        n_rebalance_suggestions: REBALANCE decisions (not executed).
        rebalance_cost_msat: cost of executed rebalances (0: none are executed).
        n_payments: payments simulated (after the focus filter).
        n_payments_ok: of which settled.
        daily_fees_msat: fees earned per simulated day.
    """

    strategy: str
    seed: int
    fees_msat: int
    n_forwards: int
    volume_msat: int
    n_htlcs_offered: int
    mean_local_msat: float
    imbalance: float
    n_policy_changes: int
    n_rejected: int
    n_rebalance_suggestions: int
    rebalance_cost_msat: int
    n_payments: int
    n_payments_ok: int
    daily_fees_msat: tuple[int, ...]


@dataclass(slots=True)
class _Run:
    world: World
    net: SimNetwork
    engine: PaymentEngine
    strategy: FeeStrategy
    rng: np.random.Generator
    builder: SnapshotBuilder
    policies: dict[int, Policy]
    recent: dict[int, list[datetime]] = field(default_factory=dict)
    local_samples: list[float] = field(default_factory=list)
    imbalance_samples: list[float] = field(default_factory=list)
    n_changes: int = 0
    n_rejected: int = 0

    def decide(self, at_s: float) -> None:
        now = self.world.start + timedelta(seconds=at_s)
        self._sample()
        self.builder.absorb(self.engine.ours)
        node = self.builder.snapshot(now, self.policies, self.engine.ours)
        trimmed = with_forwards(node, self.builder.recent_forwards(now, 30))
        contexts = build_contexts(trimmed, self.world.graph, now)
        view = StrategyInput(now, node, contexts, self.world.graph, self.recent,
                             liquidity_failures(self.net, self.engine.ours), self.rng)
        proposals = self.strategy.propose(view)
        peers = {c.chan_id: c.peer_pubkey for c in node.channels}
        state = SafetyState(self.strategy.safety, now, self.recent)
        for chan_id in sorted(proposals):
            self._apply(chan_id, peers[chan_id], proposals[chan_id], state, now)

    def _apply(self, chan_id: int, peer: str, proposed: Policy, state: SafetyState, now: datetime) -> None:
        current = self.policies[chan_id]
        if replace(proposed, last_update_at=None) == replace(current, last_update_at=None):
            return
        outcome = run_chain(Proposal(chan_id, peer, current, proposed), state)
        if not isinstance(outcome, Proposal):
            self.n_rejected += 1
            return
        policy = replace(outcome.proposed, last_update_at=now)
        self.policies[chan_id] = policy
        self.recent.setdefault(chan_id, []).append(now)
        self.n_changes += 1
        index = self.net.chan_index.get(chan_id)
        if index is not None:
            self.net.set_policy(self.net.our_edge(index), policy)

    def _sample(self) -> None:
        net = self.net
        local = capacity = weighted = 0
        for index in range(net.n_channels):
            if net.ours[index]:
                cap = net.cap_msat[index]
                mine = net.local_msat(index)
                local += mine
                capacity += cap
                weighted += abs(2 * mine - cap)
        self.local_samples.append(float(local))
        self.imbalance_samples.append(weighted / capacity if capacity else 0.0)


def strategy_rng(seed: int, name: str) -> np.random.Generator:
    """The strategy's own generator: a function of the world seed and the strategy name only."""
    return np.random.default_rng(np.random.SeedSequence([seed, zlib.crc32(name.encode())]))


def simulate(world: World, strategy: FeeStrategy, name: str) -> RunRecord:
    """Run ``strategy`` over ``world`` (see the module docstring); deterministic for a given world."""
    net = world.net.clone()
    mission = BimodalEstimator() if world.probability_model == "bimodal" else MissionControl()
    engine = PaymentEngine(net, world.candidates, mission, world.rules)
    policies = {c.chan_id: c.local_policy for c in world.node.channels if c.local_policy is not None}
    run = _Run(world, net, engine, strategy, strategy_rng(world.seed, name),
               SnapshotBuilder(world.node, net, world.start), policies)
    interval, end = world.decision_interval_s, world.days * 86_400.0
    next_decision = 0.0
    stream = world.stream
    for at, sender, receiver, amount in zip(stream.at_s.tolist(), stream.sender.tolist(),
                                            stream.receiver.tolist(), stream.amount_msat.tolist(), strict=True):
        while at >= next_decision:
            run.decide(next_decision)
            next_decision += interval
        engine.pay(sender, receiver, amount, at)
    while next_decision < end:
        run.decide(next_decision)
        next_decision += interval
    return _record(run, name)


def _record(run: _Run, name: str) -> RunRecord:
    ours, tally, world = run.engine.ours, run.engine.tally, run.world
    n_days = max(1, int(np.ceil(world.days)))
    daily = [0] * n_days
    for *_, fee, at_s in ours.forwards:
        daily[min(n_days - 1, int(at_s // 86_400))] += fee
    suggestions = getattr(run.strategy, "n_rebalance_suggestions", 0)
    return RunRecord(
        strategy=name, seed=world.seed, fees_msat=sum(f[4] for f in ours.forwards), n_forwards=len(ours.forwards),
        volume_msat=sum(f[3] for f in ours.forwards), n_htlcs_offered=sum(ours.in_offered.values()),
        mean_local_msat=float(np.mean(run.local_samples)) if run.local_samples else 0.0,
        imbalance=float(np.mean(run.imbalance_samples)) if run.imbalance_samples else 0.0,
        n_policy_changes=run.n_changes, n_rejected=run.n_rejected, n_rebalance_suggestions=int(suggestions),
        rebalance_cost_msat=0, n_payments=tally.n_payments, n_payments_ok=tally.n_succeeded,
        daily_fees_msat=tuple(daily),
    )
