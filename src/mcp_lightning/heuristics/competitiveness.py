"""Competitiveness: how our outbound fee compares with what others charge towards the same peer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from mcp_lightning.domain.context import ChannelContext
from mcp_lightning.domain.decision import Score
from mcp_lightning.heuristics.curves import clamp01, log_ratio_closeness


@dataclass(frozen=True, slots=True)
class Competitiveness:
    """How our outbound fee_rate_ppm compares with the other channels into the same peer.

    A sender reaching the peer can route through us or through any of the peer's other channels;
    what those charge (the policy their far end sets towards the peer) is our competition. The
    score is 1 at the competitors' median and falls off on a log scale, reaching 0.5 at a factor
    ``tolerance`` above or below it: far above, we lose flow; far below, we give away margin.

    Source: CLBOSS fee setting (median of the peer's other channels), and LND pathfinding, which
    weighs fees when choosing between parallel routes.
    """

    name: ClassVar[str] = "competitiveness"
    tolerance: float = 3.0
    min_competitors: int = 3
    unknown_value: float = 0.5

    def score(self, ctx: ChannelContext) -> Score:
        """Score our fee against the peer's competitors; see the class docstring."""
        policy = ctx.channel.local_policy
        if policy is None:
            return Score(self.unknown_value, "Our own fee policy on this channel is unknown.")
        peer = ctx.peer
        if peer is None:
            return Score(self.unknown_value, "Peer is not in the graph snapshot, so competitors' fees are unknown.")
        if peer.n_competitors < self.min_competitors:
            return Score(
                self.unknown_value,
                (
                    f"Only {peer.n_competitors} other channels reach this peer, too few to compare our "
                    f"{policy.fee_rate_ppm} ppm with."
                ),
            )
        median = peer.fee_rate_ppm_towards.p50
        value = log_ratio_closeness(float(policy.fee_rate_ppm), median, tolerance=self.tolerance)
        return Score(
            clamp01(value),
            (
                f"We charge {policy.fee_rate_ppm} ppm; {peer.n_competitors} competitors towards this peer charge "
                f"a median {median:.0f} ppm (p25 {peer.fee_rate_ppm_towards.p25:.0f}, "
                f"p75 {peer.fee_rate_ppm_towards.p75:.0f})."
            ),
        )
