"""The economic signals the decision rules read, derived once per channel from its context."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from mcp_lightning.domain.context import ChannelContext
from mcp_lightning.engine.engine_config import EngineConfig


class FeeReference(NamedTuple):
    """The fee_rate_ppm percentiles our fee is compared with, and where they came from."""

    p25_ppm: float
    p50_ppm: float
    p75_ppm: float
    source: str  # "the peer's N competitors" or "the network"


class Signals(NamedTuple):
    """Derived facts about one channel (see the rule table in ``engine.decide``).

    Attributes:
        composite: weighted composite score in [0, 1].
        local_ratio: our share of the capacity, [0, 1].
        depleted: local_ratio below the low band.
        saturated: local_ratio above the high band.
        in_demand: outbound forwards in 7 days reach the demand threshold.
        n_out_7d: outbound forwards in 7 days.
        unserved_out_7d: outbound HTLCs offered but not fulfilled in about 7 days (0 when unknown).
        unserved_demand: ``unserved_out_7d`` reaches ``demand_min_unserved_7d``.
        n_out_30d: outbound forwards in 30 days (0: the channel's liquidity sat unused for a month).
        idle_days: days since the last forward either way (inf when none in the history).
        fee_age_days: days since our outbound policy was last updated (inf when unknown).
        our_fee_rate_ppm: our outbound fee_rate_ppm (None when unknown).
        reference: the fee percentiles we compare with.
        sold_at_current_fee: a forward went out after our policy's last update (the current price
            found a buyer); with no update time known, any forward out counts.
        draining: more left through the channel than arrived in 7 days (amount out > amount in).
    """

    composite: float
    local_ratio: float
    depleted: bool
    saturated: bool
    in_demand: bool
    n_out_7d: int
    unserved_out_7d: int
    unserved_demand: bool
    n_out_30d: int
    idle_days: float
    fee_age_days: float
    our_fee_rate_ppm: int | None
    reference: FeeReference
    sold_at_current_fee: bool
    draining: bool

    @property
    def priced_above_p75(self) -> bool:
        """Our fee is above the reference 75th percentile (the dearest quarter of the competition)."""
        return self.our_fee_rate_ppm is not None and self.our_fee_rate_ppm > self.reference.p75_ppm

    @property
    def priced_below_p75(self) -> bool:
        """Our fee is below the reference 75th percentile."""
        return self.our_fee_rate_ppm is not None and self.our_fee_rate_ppm < self.reference.p75_ppm

    @property
    def priced_below_median(self) -> bool:
        """Our fee is below the reference median."""
        return self.our_fee_rate_ppm is not None and self.our_fee_rate_ppm < self.reference.p50_ppm


def fee_reference(ctx: ChannelContext, min_competitors: int) -> FeeReference:
    """The peer's competitors' fee percentiles when there are enough of them, else the network's."""
    peer = ctx.peer
    if peer is not None and peer.n_competitors >= min_competitors:
        dist = peer.fee_rate_ppm_towards
        return FeeReference(dist.p25, dist.p50, dist.p75, f"the peer's {peer.n_competitors} competitors")
    dist = ctx.network.fee_rate_ppm
    return FeeReference(dist.p25, dist.p50, dist.p75, "the network")


def derive_signals(ctx: ChannelContext, config: EngineConfig, composite: float, now: datetime) -> Signals:
    """Compute :class:`Signals` for one channel at ``now``."""
    ratio = ctx.channel.local_ratio
    week = ctx.flow(7)
    idle_days = (
        float("inf") if ctx.last_forward_at is None else max(0.0, (now - ctx.last_forward_at).total_seconds() / 86_400)
    )
    unserved = ctx.unserved_out_7d or 0
    policy = ctx.channel.local_policy
    updated_at = None if policy is None else policy.last_update_at
    fee_age_days = float("inf") if updated_at is None else max(0.0, (now - updated_at).total_seconds() / 86_400)
    sold_out = ctx.last_out_forward_at
    return Signals(
        composite=composite,
        local_ratio=ratio,
        depleted=ratio < config.liquidity.low_local_ratio,
        saturated=ratio > config.liquidity.high_local_ratio,
        in_demand=week.n_out >= config.data.demand_min_forwards_7d,
        n_out_7d=week.n_out,
        unserved_out_7d=unserved,
        unserved_demand=unserved >= config.data.demand_min_unserved_7d,
        n_out_30d=ctx.flow(30).n_out,
        idle_days=idle_days,
        fee_age_days=fee_age_days,
        our_fee_rate_ppm=None if policy is None else int(policy.fee_rate_ppm),
        reference=fee_reference(ctx, config.data.min_competitors),
        sold_at_current_fee=sold_out is not None and (updated_at is None or sold_out >= updated_at),
        draining=week.amount_out_msat > week.amount_in_msat,
    )
