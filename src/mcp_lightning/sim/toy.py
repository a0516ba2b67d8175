"""A small, fully specified world for tests, examples and quick experiments.

Ten nodes: three hubs in a triangle, five leaves, a competitor ``X`` and our node ``US``::

    L1 - H1 ====== H2 - L3          US has channels to H1, H2 and L5;
    L2 /   \\      /  \\ L4          X  has channels to H1 and H2 (a competitor of US);
            \\    /                  every channel 2,000,000 sat unless stated.
              H3 - L5

Names map to deterministic 33-byte ids (``toy_pubkey``). Our node has a fortnight of forwarding
history, so every strategy can act from the start.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from mcp_lightning.domain.channel import Channel, Opener, Policy, ShortChannelId
from mcp_lightning.domain.forward import Forward
from mcp_lightning.domain.graph import Graph, GraphChannel, GraphNode
from mcp_lightning.domain.node import NodeSnapshot
from mcp_lightning.sim.scenario import Scenario
from mcp_lightning.units import Msat, Ppm, Sat

TOY_NOW = datetime(2026, 7, 1, tzinfo=UTC)
TOY_BLOCK = 950_000
US = "US"

_EDGES: tuple[tuple[str, str, int, int, int], ...] = (
    # a, b, capacity_sat, a's fee_rate_ppm, b's fee_rate_ppm
    ("H1", "H2", 10_000_000, 100, 100), ("H2", "H3", 10_000_000, 150, 150), ("H1", "H3", 10_000_000, 200, 200),
    ("L1", "H1", 2_000_000, 0, 300), ("L2", "H1", 2_000_000, 0, 300), ("L3", "H2", 2_000_000, 0, 300),
    ("L4", "H2", 2_000_000, 0, 300), ("L5", "H3", 2_000_000, 0, 300), ("X", "H1", 3_000_000, 400, 100),
    ("X", "H2", 3_000_000, 400, 100), ("US", "H1", 3_000_000, 300, 100), ("US", "H2", 3_000_000, 300, 100),
    ("US", "L5", 2_000_000, 500, 0),
)


def toy_pubkey(name: str) -> str:
    """A deterministic 33-byte hex node id for a toy node name."""
    return "02" + hashlib.sha256(name.encode()).hexdigest()


def toy_policy(fee_rate_ppm: int, base_fee_msat: int = 1000) -> Policy:
    """An enabled policy with the given fees, a 40-block delta and no HTLC maximum."""
    return Policy(base_fee_msat=Msat(base_fee_msat), fee_rate_ppm=Ppm(fee_rate_ppm), time_lock_delta=40,
                  min_htlc_msat=Msat(1000), last_update_at=TOY_NOW - timedelta(days=30))


def _scid(index: int) -> ShortChannelId:
    return ShortChannelId(900_000 + index, 1, 0)


def toy_graph() -> Graph:
    """The toy graph (see the module docstring); node1 is the lexicographically smaller id."""
    channels = []
    for i, (a, b, capacity, fee_a, fee_b) in enumerate(_EDGES):
        pa, pb = toy_pubkey(a), toy_pubkey(b)
        pol_a, pol_b = toy_policy(fee_a), toy_policy(fee_b)
        if pb < pa:
            pa, pb, pol_a, pol_b = pb, pa, pol_b, pol_a
        channels.append(GraphChannel(_scid(i).chan_id, _scid(i), pa, pb, Sat(capacity), pol_a, pol_b))
    names = sorted({n for a, b, *_ in _EDGES for n in (a, b)})
    nodes = {toy_pubkey(n): GraphNode(toy_pubkey(n), n) for n in names}
    return Graph(nodes=nodes, channels=tuple(channels), taken_at=TOY_NOW - timedelta(days=1), source="toy",
                 fingerprint=hashlib.sha256(b"toy graph v1").hexdigest(), format="lnd-describegraph")


def toy_node(local_ratio: float = 0.5) -> NodeSnapshot:
    """Our node ``US`` with its three channels at ``local_ratio`` and 14 days of forwards."""
    channels = []
    for i, (a, b, capacity, fee_a, fee_b) in enumerate(_EDGES):
        if US not in (a, b):
            continue
        peer, ours, theirs = (b, fee_a, fee_b) if a == US else (a, fee_b, fee_a)
        local = round(capacity * local_ratio)
        channels.append(Channel(
            chan_id=_scid(i).chan_id, scid=_scid(i), chan_point=None, peer_pubkey=toy_pubkey(peer), peer_alias=peer,
            capacity_sat=Sat(capacity), local_balance_sat=Sat(local), remote_balance_sat=Sat(capacity - local),
            active=True, private=False, opener=Opener.LOCAL, local_policy=toy_policy(ours),
            remote_policy=toy_policy(theirs)))
    ids = [c.chan_id for c in channels]
    forwards = tuple(
        Forward(ids[k % 3], ids[(k + 1) % 3], Msat(50_000_000 + 15_000), Msat(50_000_000), Msat(15_000),
                TOY_NOW - timedelta(days=14) + timedelta(hours=8 * k))
        for k in range(42))
    return NodeSnapshot(pubkey=toy_pubkey(US), alias=US, implementation="cln", block_height=TOY_BLOCK,
                        taken_at=TOY_NOW, channels=tuple(channels), forwards=forwards, source="toy")


def toy_scenario(**overrides: object) -> Scenario:
    """A 3-day scenario on the toy world: 400 payments a day to 4 receivers, two seeds."""
    values: dict[str, object] = dict(
        name="toy", description="The toy world.", node_path=None, graph_path=None, days=3.0, seeds=(1, 2),
        decision_interval_hours=6.0, archetype="as_is", archetype_params={}, payments_per_day=400.0,
        n_destinations=4, weighting="capacity", focus=False, balance_model="uniform", relax_half_life_hours=24.0,
        probability_model="apriori", max_attempts=5, fee_limit_ratio=0.05,
        strategies=("static", "charge_lnd", "ours_balanced"), source="toy")
    values.update(overrides)
    return Scenario(**values)  # type: ignore[arg-type]
