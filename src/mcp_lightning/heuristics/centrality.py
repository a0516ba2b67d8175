"""Centrality: how central the peer is in the public graph (it brings routes to us)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from mcp_lightning.domain.context import ChannelContext
from mcp_lightning.domain.decision import Score
from mcp_lightning.heuristics.curves import clamp01


@dataclass(frozen=True, slots=True)
class Centrality:
    """How central the peer is in the graph: a peer many shortest paths cross sends us more payments.

    ``value = w_b * betweenness_rank + w_e * eigenvector_rank + w_c * closeness_rank`` of the peer,
    each a percentile rank in [0, 1] over every node of the graph, weights normalised to 1.
    Percentile ranks rather than raw values because raw centralities span orders of magnitude.
    Without the peer in the graph the score is ``unknown_value`` and the reason says so.

    Source: Brandes (2001) betweenness; Bonacich (1987) eigenvector centrality; routing nodes earn
    in proportion to the shortest paths through them (Rohrer et al., 2019, "Discharged payment
    channels").
    """

    name: ClassVar[str] = "centrality"
    betweenness_weight: float = 0.5
    eigenvector_weight: float = 0.3
    closeness_weight: float = 0.2
    unknown_value: float = 0.5

    def score(self, ctx: ChannelContext) -> Score:
        """Score the peer's centrality; see the class docstring."""
        topo = ctx.peer_topology
        if topo is None:
            return Score(self.unknown_value, "Peer is not in the graph snapshot, so its centrality is unknown.")
        total = self.betweenness_weight + self.eigenvector_weight + self.closeness_weight
        value = (
            self.betweenness_weight * topo.betweenness_rank
            + self.eigenvector_weight * topo.eigenvector_rank
            + self.closeness_weight * topo.closeness_rank
        ) / total
        return Score(
            clamp01(value),
            (
                f"Peer ranks above {topo.betweenness_rank:.0%} of nodes by betweenness and "
                f"{topo.eigenvector_rank:.0%} by eigenvector centrality ({topo.degree} channels)."
            ),
        )
