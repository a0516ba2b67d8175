"""A baseline with our liquidity valve added: its fees, our ``htlc_maximum_msat``.

None of the published strategies touches the HTLC limit, so a backtest that gives only our engine
the valve (``engine.valve``) would mix two things: better fee rules, and a lever the others lack.
This wrapper hands the valve to a baseline — its own proposals untouched, then the valve's limit
for every channel, exactly as our engine computes it — so the report can compare our engine with
the best baseline *with* the valve as well (``sim.backtest``, ``*_valve`` strategies).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import ClassVar

from mcp_lightning.domain.channel import Policy
from mcp_lightning.engine.engine_config import SafetyLimits, ValveRules
from mcp_lightning.engine.valve import valve
from mcp_lightning.sim.strategies.base import FeeStrategy, StrategyInput


@dataclass(slots=True)
class WithValve:
    """``inner``'s fee proposals plus the liquidity valve on every channel (default valve rules).

    Source: the wrapped strategy's module, and ``engine.valve.valve``.
    """

    name: ClassVar[str] = "with_valve"
    inner: FeeStrategy
    rules: ValveRules = field(default_factory=ValveRules)

    @property
    def safety(self) -> SafetyLimits:
        """The wrapped strategy's safety limits."""
        return self.inner.safety

    def propose(self, view: StrategyInput) -> dict[int, Policy]:
        """The inner strategy's policies, each with the valve's HTLC limit where it has one."""
        proposals = dict(self.inner.propose(view))
        for ctx in view.contexts:
            channel = ctx.channel
            verdict = valve(channel, self.rules)
            start = proposals.get(channel.chan_id, channel.local_policy)
            if verdict is not None and start is not None:
                proposals[channel.chan_id] = replace(start, max_htlc_msat=verdict.max_htlc_msat)
        return proposals
