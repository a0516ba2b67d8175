"""Everything one heuristic may look at for one channel, gathered once per run."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from mcp_lightning.domain.channel import Channel
from mcp_lightning.domain.stats import NetworkStats, NodeTopology, PeerStats
from mcp_lightning.units import Msat


@dataclass(frozen=True, slots=True)
class FlowWindow:
    """Forwards through one channel over the last ``days`` days before ``now``.

    Attributes:
        days: window length, days (1, 7 or 30 by default).
        n_out: forwards that left through this channel (we earned their fee).
        amount_out_msat: amount sent out through it, msat.
        fee_msat: fees earned on those forwards, msat.
        n_in: forwards that entered through this channel.
        amount_in_msat: amount received through it, msat.
    """

    days: int
    n_out: int = 0
    amount_out_msat: Msat = Msat(0)
    fee_msat: Msat = Msat(0)
    n_in: int = 0
    amount_in_msat: Msat = Msat(0)


@dataclass(frozen=True, slots=True)
class ChannelContext:
    """The inputs of every heuristic and of ``evaluate_channel`` for one channel.

    Attributes:
        channel: the channel.
        node_pubkey: our node id.
        now: evaluation time, UTC.
        block_height: chain tip, blocks.
        flows: forward windows, shortest first (1, 7, 30 days by default).
        last_forward_at: newest forward through this channel in either direction; None if none.
        history_days: how many days of forwarding history the node export covers.
        network: network-wide statistics.
        peer: statistics of the peer in the graph; None when the peer is not in the graph.
        peer_topology: the peer's centrality; None when the peer is not in the graph.
        in_graph: the channel itself appears in the graph snapshot.
        graph_age_days: days between the graph snapshot and ``now``.
        n_channels_with_peer: our open channels with the same peer (>= 1).
        unserved_out_7d: outbound HTLCs offered to this channel but not fulfilled over about the
            last 7 days (demand it could not serve; see ``engine.unserved``); None when unknown.
        last_out_forward_at: newest forward *out* through this channel; None if none.
    """

    channel: Channel
    node_pubkey: str
    now: datetime
    block_height: int
    flows: tuple[FlowWindow, ...]
    last_forward_at: datetime | None
    history_days: float
    network: NetworkStats
    peer: PeerStats | None
    peer_topology: NodeTopology | None
    in_graph: bool
    graph_age_days: float
    n_channels_with_peer: int = 1
    unserved_out_7d: int | None = None
    last_out_forward_at: datetime | None = None

    def flow(self, days: int) -> FlowWindow:
        """The window of exactly ``days`` days, or an empty one when it was not computed."""
        for window in self.flows:
            if window.days == days:
                return window
        return FlowWindow(days=days)

    @property
    def age_blocks(self) -> int | None:
        """Blocks since the funding transaction confirmed; None without an scid."""
        opened = self.channel.opened_height
        if opened is None:
            return None
        return max(0, self.block_height - opened)
