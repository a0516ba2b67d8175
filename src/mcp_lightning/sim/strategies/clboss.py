"""CLBOSS: the competitors' capacity-weighted median fee times a balance multiplier."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from mcp_lightning.domain.channel import Policy
from mcp_lightning.engine.engine_config import SafetyLimits
from mcp_lightning.sim.strategies.base import StrategyInput, with_fee

_LOG50 = math.log(50.0)
_PREFERRED_BIN_SAT = 200_000  # Ln::Amount::btc(0.002)
_MIN_BINS, _MAX_BINS = 4, 50


def balance_multiplier(our_share: float) -> float:
    """CLBOSS ``get_ratio``: ``exp(ln 50 x (0.5 - our_share))``, from 7.07 (empty) to 0.141 (full)."""
    return math.exp(_LOG50 * (0.5 - our_share))


def n_bins(capacity_sat: int) -> int:
    """CLBOSS ``get_num_bins``: one bin per 0.002 BTC of capacity, between 4 and 50."""
    return min(_MAX_BINS, max(_MIN_BINS, round(capacity_sat / _PREFERRED_BIN_SAT)))


def bin_multiplier(bin_index: int, bins: int) -> float:
    """CLBOSS ``get_ratio_by_bin``: the multiplier at the centre of the bin."""
    return balance_multiplier((1 + 2 * bin_index) / (2 * bins))


@dataclass(slots=True)
class Clboss:
    """CLBOSS's fee setting for each channel, per peer.

    ``fee_rate_ppm = round(median x multiplier)`` (at least 1), where ``median`` is the
    capacity-weighted median fee rate of the peer's other channels *towards* the peer (our
    competitors; ``PeerStats.weighted_median_fee_rate_ppm``) and ``multiplier`` the balance
    multiplier of the channel's bin (see :func:`bin_multiplier`). The bin follows the balance with
    CLBOSS's randomised hysteresis: when the balance crosses into another bin, the new bin is taken
    with probability equal to how far the balance went into it (drawn from the strategy's seeded
    generator). Without competitors there is no median and the fee is left alone. The base fee is
    left alone (CLBOSS scales the competitors' median base fee the same way; the graph view holds
    no base-fee median). CLBOSS's other fee modifiers (by size, price theory, expenditures) are not
    modelled.

    Source: ZmnSCPxj/clboss ``Boss/Mod/PeerCompetitorFeeMonitor`` (README, ``Surveyor.cpp``),
    ``Boss/Mod/FeeModderByBalance.cpp``, ``Boss/Mod/ChannelFeeManager.cpp``.
    """

    name: ClassVar[str] = "clboss"
    limits: SafetyLimits = field(default_factory=SafetyLimits)
    _bins: dict[int, int] = field(default_factory=dict)

    @property
    def safety(self) -> SafetyLimits:
        """The default safety limits."""
        return self.limits

    def propose(self, view: StrategyInput) -> dict[int, Policy]:
        """The CLBOSS fee of every channel with a competitor median, when it differs from ours."""
        proposals: dict[int, Policy] = {}
        for ctx in view.contexts:
            channel, peer = ctx.channel, ctx.peer
            policy = channel.local_policy
            if policy is None or peer is None or peer.n_competitors == 0 or channel.capacity_sat <= 0:
                continue
            bins = n_bins(int(channel.capacity_sat))
            position = channel.local_balance_sat / channel.capacity_sat * bins
            bin_index = self._move_bin(channel.chan_id, position, bins, view.rng)
            fee = max(1, round(peer.weighted_median_fee_rate_ppm * bin_multiplier(bin_index, bins)))
            if fee != int(policy.fee_rate_ppm):
                proposals[channel.chan_id] = with_fee(policy, fee)
        return proposals

    def _move_bin(self, chan_id: int, position: float, bins: int, rng: np.random.Generator) -> int:
        target = min(bins - 1, math.floor(position))
        current = self._bins.get(chan_id)
        if current is None or target == current:
            self._bins[chan_id] = target
            return target
        if target < current:
            keep_target = rng.random() < 1.0 - (position - target)
            chosen = target if keep_target else target + 1
        else:
            chosen = target if rng.random() < position - target else target - 1
        self._bins[chan_id] = min(bins - 1, max(0, chosen))
        return self._bins[chan_id]
