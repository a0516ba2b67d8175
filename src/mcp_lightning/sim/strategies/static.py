"""Static: keep every fee as it is (the node operator who never touches them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from mcp_lightning.domain.channel import Policy
from mcp_lightning.engine.engine_config import SafetyLimits
from mcp_lightning.sim.strategies.base import StrategyInput


@dataclass(slots=True)
class Static:
    """Keep the current policies: propose nothing, ever.

    Source: the baseline every fee tool claims to beat; also charge-lnd's ``ignore_fees`` strategy.
    """

    name: ClassVar[str] = "static"
    limits: SafetyLimits = field(default_factory=SafetyLimits)

    @property
    def safety(self) -> SafetyLimits:
        """The default safety limits (never used: nothing is proposed)."""
        return self.limits

    def propose(self, view: StrategyInput) -> dict[int, Policy]:
        """No change."""
        return {}
