"""Network position: how much this channel adds to our reach into the network."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from mcp_lightning.domain.context import ChannelContext
from mcp_lightning.domain.decision import Score
from mcp_lightning.heuristics.curves import clamp01, saturating


@dataclass(frozen=True, slots=True)
class NetworkPosition:
    """How much the channel adds to our reach: the peer's closeness and our weight among its routes.

    ``value = closeness_weight * peer closeness rank + (1 - closeness_weight) * sat(share, share_half)``
    where ``share`` is our channel's capacity over the peer's total public capacity: a peer close to
    everyone shortens our routes, and a large share of its capacity makes us a real route into it.

    Source: closeness centrality (Eppstein & Wang 2004 estimate or exact); graph capacities.
    """

    name: ClassVar[str] = "network_position"
    closeness_weight: float = 0.6
    share_half: float = 0.05
    unknown_value: float = 0.5

    def score(self, ctx: ChannelContext) -> Score:
        """Score the channel's contribution to our position; see the class docstring."""
        topo, peer = ctx.peer_topology, ctx.peer
        if topo is None or peer is None:
            return Score(
                self.unknown_value, "Peer is not in the graph snapshot, so our position through it is unknown."
            )
        share = ctx.channel.capacity_sat / max(1, peer.capacity_sat)
        value = self.closeness_weight * topo.closeness_rank + (1 - self.closeness_weight) * saturating(
            share, self.share_half
        )
        return Score(
            clamp01(value),
            (
                f"Peer is closer to the network than {topo.closeness_rank:.0%} of nodes; our channel holds "
                f"{min(share, 1.0):.1%} of its capacity."
            ),
        )
