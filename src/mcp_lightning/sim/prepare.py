"""Prepare what the runs of a scenario share: the world graph and node once, then a world per seed.

Per scenario (deterministic): the archetype reshapes the node, the node goes into the graph
(``sim.world``), the engine's graph view is computed once (statistics, topology), and payment
amounts are fitted to the export's forwards.

Per seed: ``SeedSequence(seed)`` spawns independent generators for balances and demand; the
network is compiled with balances drawn for channels not ours, the payment stream is drawn, and
candidate routes are computed for every (sender, receiver) pair in the stream. With ``focus`` on,
only payments whose candidates can route through our node are kept: the others never touch it,
and their effect on the rest of the network is stood in for by the relaxation of channel balances.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

from mcp_lightning.domain.graph import Graph
from mcp_lightning.domain.node import NodeSnapshot
from mcp_lightning.engine.context import GraphView
from mcp_lightning.sim.archetypes import FlowSpec, apply_archetype
from mcp_lightning.sim.candidates import CandidateBuilder, Route, touches_node
from mcp_lightning.sim.demand import AmountModel, ExtraFlow, PaymentStream, fit_amounts, generate
from mcp_lightning.sim.network import SimNetwork
from mcp_lightning.sim.payments import PaymentRules
from mcp_lightning.sim.scenario import Scenario
from mcp_lightning.sim.simulator import World
from mcp_lightning.sim.world import build_network, world_graph

ViewBuilder = Callable[[Graph, NodeSnapshot], GraphView]


@dataclass(frozen=True, slots=True)
class Setting:
    """The seed-independent part of a scenario.

    Attributes:
        graph: the world graph (our node's channels as the archetype made them).
        node: our node after the archetype.
        flows: extra payment streams of the archetype.
        view: the engine's graph view of ``graph``.
        amounts: the payment amount model.
        start: simulated time 0 (the export's time), UTC.
    """

    graph: Graph
    node: NodeSnapshot
    flows: tuple[FlowSpec, ...]
    view: GraphView
    amounts: AmountModel
    start: datetime


def default_view_builder(cache_dir: Path | None) -> ViewBuilder:
    """The graph view ``mcpln run`` uses: ``runner.graph_view`` (statistics, sampled topology; cached
    under ``cache_dir`` unless it is None)."""
    def build(graph: Graph, node: NodeSnapshot) -> GraphView:
        from mcp_lightning.runner import graph_view

        return graph_view(graph, node, method="sampled", cache_dir=cache_dir)
    return build


def prepare_setting(scenario: Scenario, graph: Graph, node: NodeSnapshot, view_builder: ViewBuilder) -> Setting:
    """Archetype, world graph, graph view and amount fit (see the module docstring).

    Raises:
        ValueError: the archetype cannot apply, or the export has too few forwards to fit amounts.
    """
    shaped, flows = apply_archetype(scenario.archetype, node, graph, scenario.archetype_params)
    world = world_graph(graph, shaped, tag=f"{scenario.archetype}:{sorted(scenario.archetype_params.items())}")
    return Setting(world, shaped, flows, view_builder(world, shaped), fit_amounts(node.forwards), node.taken_at)


def prepare_world(setting: Setting, scenario: Scenario, seed: int) -> World:
    """The world of one seed: network, payment stream and candidate routes."""
    balance_seq, demand_seq = np.random.SeedSequence(seed).spawn(2)
    net = build_network(setting.graph, setting.node, balance_model=scenario.balance_model,
                        rng=np.random.default_rng(balance_seq))
    extra = tuple(_resolve_flow(net, flow) for flow in setting.flows)
    stream = generate(net, np.random.default_rng(demand_seq), payments_per_day=scenario.payments_per_day,
                      days=scenario.days, n_destinations=scenario.n_destinations, weighting=scenario.weighting,
                      amounts=setting.amounts, extra=extra)
    candidates = candidate_routes(net, stream, setting.amounts.median_msat, focus=scenario.focus)
    kept = _focused(stream, candidates) if scenario.focus else stream
    rules = PaymentRules(max_attempts=scenario.max_attempts, fee_limit_ratio=scenario.fee_limit_ratio,
                         relax_half_life_s=scenario.relax_half_life_hours * 3600.0)
    return World(net=net, node=setting.node, graph=setting.view, stream=kept, candidates=candidates,
                 start=setting.start, days=scenario.days, decision_interval_s=scenario.decision_interval_hours * 3600.0,
                 rules=rules, probability_model=scenario.probability_model, seed=seed, n_payments_total=len(stream))


def candidate_routes(net: SimNetwork, stream: PaymentStream, reference_msat: int, *,
                     focus: bool) -> dict[tuple[int, int], tuple[Route, ...]]:
    """Candidate routes of every (sender, receiver) pair in ``stream`` (only those through us when ``focus``)."""
    senders_of: dict[int, set[int]] = {}
    for sender, receiver in zip(stream.sender.tolist(), stream.receiver.tolist(), strict=True):
        senders_of.setdefault(receiver, set()).add(sender)
    builder = CandidateBuilder(net, reference_msat)
    candidates: dict[tuple[int, int], tuple[Route, ...]] = {}
    for receiver in sorted(senders_of):
        for sender, routes in builder.routes_to(receiver, senders_of[receiver]).items():
            if not focus or touches_node(net, routes, net.our):
                candidates[(sender, receiver)] = routes
    return candidates


def _focused(stream: PaymentStream, candidates: dict[tuple[int, int], tuple[Route, ...]]) -> PaymentStream:
    keep = np.fromiter(((s, r) in candidates for s, r in zip(stream.sender.tolist(), stream.receiver.tolist(),
                                                             strict=True)), dtype=bool, count=len(stream))
    return PaymentStream(stream.at_s[keep], stream.sender[keep], stream.receiver[keep], stream.amount_msat[keep],
                         stream.destinations)


def _resolve_flow(net: SimNetwork, flow: FlowSpec) -> ExtraFlow:
    index = {p: i for i, p in enumerate(net.pubkeys)}
    return ExtraFlow(index[flow.sender], index[flow.receiver], flow.per_day, flow.amount_sat * 1000)
