"""Peer quality: how large and well-connected the peer is compared with the network."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from mcp_lightning.domain.context import ChannelContext
from mcp_lightning.domain.decision import Score
from mcp_lightning.heuristics.curves import clamp01, saturating


@dataclass(frozen=True, slots=True)
class PeerQuality:
    """How substantial the peer is: its channel count and capacity against the network's medians.

    ``value = 0.5 * sat(degree / median_degree, degree_half) + 0.5 * sat(capacity / median node
    capacity, capacity_half)``. The network median node capacity is estimated as the median degree
    times the median channel capacity.

    Source: graph node degree and total capacity (``describegraph``/``listchannels``).
    """

    name: ClassVar[str] = "peer_quality"
    degree_half: float = 4.0
    capacity_half: float = 4.0
    unknown_value: float = 0.5

    def score(self, ctx: ChannelContext) -> Score:
        """Score the peer's size; see the class docstring."""
        peer = ctx.peer
        if peer is None:
            return Score(self.unknown_value, "Peer is not in the graph snapshot, so its size is unknown.")
        median_degree = max(1.0, ctx.network.degree.p50)
        median_node_capacity_sat = max(1.0, median_degree * ctx.network.capacity_sat.p50)
        degree_part = saturating(peer.degree / median_degree, self.degree_half)
        capacity_part = saturating(peer.capacity_sat / median_node_capacity_sat, self.capacity_half)
        value = 0.5 * degree_part + 0.5 * capacity_part
        return Score(
            clamp01(value),
            (
                f"Peer has {peer.degree} channels and {peer.capacity_sat / 1e8:.2f} BTC "
                f"(network median {median_degree:.0f} channels)."
            ),
        )
