"""charge-lnd ``proportional``: the fee falls linearly as the local balance rises."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from mcp_lightning.domain.channel import Policy
from mcp_lightning.engine.engine_config import SafetyLimits
from mcp_lightning.sim.strategies.base import StrategyInput, median_fee_ppm, with_fee


@dataclass(slots=True)
class ChargeLndProportional:
    """charge-lnd's ``proportional`` strategy, applied to every channel.

    ``ppm = int(min_fee_ppm + (1 - ratio) * (max_fee_ppm - min_fee_ppm))`` with ``ratio =
    local / (local + remote)``, floored at 0; a change smaller than ``min_fee_ppm_delta`` (default
    10 for this strategy) is not applied. The base fee is left as it is.

    charge-lnd has no default range; its example ``all-channels-proportional.config`` uses 100-300
    ppm. So that the baseline is not handicapped by a range foreign to the node, the range defaults
    to ``[min_factor, max_factor] x`` the node's median fee at the first run (0.5x-2x); both ends can
    be set explicitly.

    Source: accumulator/charge-lnd ``charge_lnd/strategy.py`` (``strategy_proportional``,
    ``get_ratio``) and ``examples/all-channels-proportional.config``.
    """

    name: ClassVar[str] = "charge_lnd"
    min_fee_ppm: int | None = None
    max_fee_ppm: int | None = None
    min_factor: float = 0.5
    max_factor: float = 2.0
    min_fee_ppm_delta: int = 10
    limits: SafetyLimits = field(default_factory=SafetyLimits)

    @property
    def safety(self) -> SafetyLimits:
        """The default safety limits."""
        return self.limits

    def propose(self, view: StrategyInput) -> dict[int, Policy]:
        """The proportional fee of every channel whose fee would move by at least the delta."""
        if self.min_fee_ppm is None or self.max_fee_ppm is None:
            median = median_fee_ppm(view.node)
            self.min_fee_ppm = round(median * self.min_factor) if self.min_fee_ppm is None else self.min_fee_ppm
            self.max_fee_ppm = round(median * self.max_factor) if self.max_fee_ppm is None else self.max_fee_ppm
        proposals: dict[int, Policy] = {}
        for channel in view.node.channels:
            policy = channel.local_policy
            total = channel.local_balance_sat + channel.remote_balance_sat
            if policy is None or total <= 0:
                continue
            ratio = channel.local_balance_sat / total
            ppm = max(0, int(self.min_fee_ppm + (1.0 - ratio) * (self.max_fee_ppm - self.min_fee_ppm)))
            if abs(ppm - int(policy.fee_rate_ppm)) >= self.min_fee_ppm_delta:
                proposals[channel.chan_id] = with_fee(policy, ppm)
        return proposals
