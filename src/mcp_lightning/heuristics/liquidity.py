"""Liquidity: how usable the channel's balance is in both directions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from mcp_lightning.domain.context import ChannelContext
from mcp_lightning.domain.decision import Score
from mcp_lightning.heuristics.curves import clamp01
from mcp_lightning.units import MSAT_PER_SAT


@dataclass(frozen=True, slots=True)
class Liquidity:
    """How usable the balance is: best at the target local ratio, worst when one side is empty.

    ``value = 1 - |local_ratio - target| / max(target, 1 - target)``, minus the share of capacity
    locked in pending HTLCs (it can move neither way until they resolve). A channel with all funds
    on one side can route in one direction only, so it scores 0.

    Source: balance-based fee and rebalancing practice (charge-lnd ``proportional`` strategy, LND
    docs "Manage liquidity"): a routing channel is most useful near a balanced split.
    """

    name: ClassVar[str] = "liquidity"
    target_local_ratio: float = 0.5

    def score(self, ctx: ChannelContext) -> Score:
        """Score the balance split; see the class docstring."""
        channel = ctx.channel
        ratio = channel.local_ratio
        spread = max(self.target_local_ratio, 1.0 - self.target_local_ratio)
        value = 1.0 - abs(ratio - self.target_local_ratio) / spread
        locked_ratio = 0.0
        if channel.capacity_sat > 0 and channel.pending_htlcs:
            locked_ratio = channel.pending_htlc_msat / (channel.capacity_sat * MSAT_PER_SAT)
            value -= locked_ratio
        reason = f"{ratio:.0%} of the capacity is on our side (target {self.target_local_ratio:.0%})"
        if channel.pending_htlcs:
            reason += f"; {locked_ratio:.1%} locked in {len(channel.pending_htlcs)} pending HTLCs"
        return Score(clamp01(value), reason + ".")
