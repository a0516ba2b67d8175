"""The simulated network: a compact integer graph of nodes, channels, policies and balances (msat).

Indices, not objects, on the hot path: node ``i`` is ``pubkeys[i]``; channel ``c`` has two directed
edges ``2c`` (node1 -> node2) and ``2c + 1`` (node2 -> node1). A *pair edge* ``p`` is every enabled
channel from one node to another seen as one hop, as LND's pathfinding sees parallel channels
(``unifiedEdge``): its policy is the most expensive of the channels it unifies and its capacity the
largest. The forwarding node then picks any of those channels with enough balance (non-strict
forwarding, BOLT 4).

Balances are integers in msat. ``bal1_msat[c]`` is node1's side of channel ``c``; node2 holds
``cap_msat[c] - bal1_msat[c]``. A payment moves an HTLC amount across each hop, so the sum of the
two sides of every channel is its capacity at all times (conservation of sats).

Channels not ours relax towards their initial split with a half-life (``relax``): a stand-in for the
payments, rebalances and fee changes of the rest of the network that the simulation does not model.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from mcp_lightning.domain.channel import Policy
from mcp_lightning.units import PPM_DENOMINATOR


@dataclass(slots=True)
class SimNetwork:
    """Mutable simulation state over a fixed topology (see the module docstring).

    Attributes:
        pubkeys: node ids; index ``i`` is node ``i``.
        our: index of the node under test.
        chan_id: uint64 channel id per channel.
        cap_msat: capacity per channel, msat.
        node1: node index of each channel's node1.
        node2: node index of each channel's node2.
        bal1_msat: node1's balance per channel, msat (mutable).
        init_bal1_msat: node1's balance at the start, msat (the relaxation target).
        touched_s: simulation time of each channel's last relaxation, seconds.
        ours: the channel belongs to the node under test.
        base_msat: base fee per directed edge, msat.
        rate_ppm: proportional fee per directed edge, ppm.
        cltv: CLTV delta per directed edge, blocks.
        min_htlc_msat: smallest HTLC per directed edge, msat.
        max_htlc_msat: largest HTLC per directed edge, msat (capacity when not announced).
        enabled: the directed edge can forward (announced, enabled, channel active and public).
        pair_src: source node of each pair edge.
        pair_dst: destination node of each pair edge.
        pair_edges: directed edges unified by each pair edge, ordered by chan_id.
        pair_base_msat: unified base fee, msat.
        pair_rate_ppm: unified proportional fee, ppm.
        pair_cltv: unified CLTV delta, blocks.
        pair_min_msat: unified minimum HTLC, msat.
        pair_max_msat: unified maximum HTLC, msat.
        pair_cap_msat: largest capacity among the unified channels, msat.
        pair_of: ``(src, dst) -> pair edge``.
        chan_index: ``chan_id -> channel``.
        node_fee_msat: fees earned by each node during the simulation, msat.
    """

    pubkeys: tuple[str, ...]
    our: int
    chan_id: list[int]
    cap_msat: list[int]
    node1: list[int]
    node2: list[int]
    bal1_msat: list[int]
    init_bal1_msat: list[int]
    touched_s: list[float]
    ours: list[bool]
    base_msat: list[int]
    rate_ppm: list[int]
    cltv: list[int]
    min_htlc_msat: list[int]
    max_htlc_msat: list[int]
    enabled: list[bool]
    pair_src: list[int] = field(default_factory=list)
    pair_dst: list[int] = field(default_factory=list)
    pair_edges: list[tuple[int, ...]] = field(default_factory=list)
    pair_base_msat: list[int] = field(default_factory=list)
    pair_rate_ppm: list[int] = field(default_factory=list)
    pair_cltv: list[int] = field(default_factory=list)
    pair_min_msat: list[int] = field(default_factory=list)
    pair_max_msat: list[int] = field(default_factory=list)
    pair_cap_msat: list[int] = field(default_factory=list)
    pair_of: dict[tuple[int, int], int] = field(default_factory=dict)
    chan_index: dict[int, int] = field(default_factory=dict)
    node_fee_msat: list[int] = field(default_factory=list)

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.pubkeys)

    @property
    def n_channels(self) -> int:
        """Number of channels."""
        return len(self.chan_id)

    def edge_src(self, edge: int) -> int:
        """Node that sends along directed edge ``edge``."""
        channel = edge >> 1
        return self.node1[channel] if edge & 1 == 0 else self.node2[channel]

    def edge_dst(self, edge: int) -> int:
        """Node that receives along directed edge ``edge``."""
        channel = edge >> 1
        return self.node2[channel] if edge & 1 == 0 else self.node1[channel]

    def liquidity_msat(self, edge: int) -> int:
        """What the sender of ``edge`` can send over it now, msat."""
        channel = edge >> 1
        bal1 = self.bal1_msat[channel]
        return bal1 if edge & 1 == 0 else self.cap_msat[channel] - bal1

    def move(self, edge: int, amount_msat: int) -> None:
        """Settle an HTLC of ``amount_msat`` over ``edge`` (the caller checked the liquidity)."""
        channel = edge >> 1
        if edge & 1 == 0:
            self.bal1_msat[channel] -= amount_msat
        else:
            self.bal1_msat[channel] += amount_msat

    def relax(self, channel: int, now_s: float, half_life_s: float) -> None:
        """Move a channel that is not ours part of the way back to its initial split.

        ``bal1 = init + (bal1 - init) * 2 ** (-elapsed / half_life)``, rounded to the msat; both
        sides still sum to the capacity. A half-life of 0 disables relaxation.
        """
        if half_life_s <= 0 or self.ours[channel]:
            return
        elapsed = now_s - self.touched_s[channel]
        if elapsed <= 0:
            return
        init = self.init_bal1_msat[channel]
        self.bal1_msat[channel] = init + round((self.bal1_msat[channel] - init) * 2.0 ** (-elapsed / half_life_s))
        self.touched_s[channel] = now_s

    def our_edge(self, channel: int) -> int:
        """The directed edge of one of our channels that leaves our node."""
        return 2 * channel if self.node1[channel] == self.our else 2 * channel + 1

    def local_msat(self, channel: int) -> int:
        """Our side of one of our channels, msat."""
        return self.liquidity_msat(self.our_edge(channel))

    def set_policy(self, edge: int, policy: Policy) -> None:
        """Announce a new policy on a directed edge and re-unify its pair edge."""
        self.base_msat[edge] = int(policy.base_fee_msat)
        self.rate_ppm[edge] = int(policy.fee_rate_ppm)
        self.cltv[edge] = int(policy.time_lock_delta)
        self.min_htlc_msat[edge] = int(policy.min_htlc_msat)
        channel_cap = self.cap_msat[edge >> 1]
        self.max_htlc_msat[edge] = channel_cap if policy.max_htlc_msat is None else int(policy.max_htlc_msat)
        pair = self.pair_of.get((self.edge_src(edge), self.edge_dst(edge)))
        if pair is not None:
            self.unify(pair)

    def unify(self, pair: int) -> None:
        """Recompute a pair edge's policy from its enabled channels (the most expensive one wins)."""
        edges = [e for e in self.pair_edges[pair] if self.enabled[e]]
        if not edges:
            edges = list(self.pair_edges[pair])
        self.pair_base_msat[pair] = max(self.base_msat[e] for e in edges)
        self.pair_rate_ppm[pair] = max(self.rate_ppm[e] for e in edges)
        self.pair_cltv[pair] = max(self.cltv[e] for e in edges)
        self.pair_min_msat[pair] = min(self.min_htlc_msat[e] for e in edges)
        self.pair_max_msat[pair] = max(self.max_htlc_msat[e] for e in edges)
        self.pair_cap_msat[pair] = max(self.cap_msat[e >> 1] for e in edges)

    def pair_fee_msat(self, pair: int, amount_msat: int) -> int:
        """BOLT 7 fee the source of ``pair`` charges to forward ``amount_msat`` over it, msat."""
        return self.pair_base_msat[pair] + amount_msat * self.pair_rate_ppm[pair] // PPM_DENOMINATOR

    def clone(self) -> SimNetwork:
        """An independent copy of the mutable state (the topology lists are copied too)."""
        copied: dict[str, Any] = {f.name: _copy(getattr(self, f.name)) for f in fields(self)}
        return SimNetwork(**copied)

    def total_balance_msat(self, node: int) -> int:
        """Sum of ``node``'s sides of all its channels, msat."""
        total = 0
        for channel in range(self.n_channels):
            if self.node1[channel] == node:
                total += self.bal1_msat[channel]
            elif self.node2[channel] == node:
                total += self.cap_msat[channel] - self.bal1_msat[channel]
        return total


def _copy(value: object) -> object:
    if isinstance(value, list):
        return list(value)
    if isinstance(value, dict):
        return dict(value)
    return value
