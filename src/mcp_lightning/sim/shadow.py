"""Shadow-mode validation: what the policies a shadow run recorded would have earned.

``mcpln run`` records every decision and the policy the safety chain let through, but in shadow
mode sends nothing. This module replays the node from the export the run read: one arm keeps the
current policies (``static``), the other announces the recorded policies at the start
(``recorded``) and then keeps them; both arms see the same simulated demand on every seed. The
difference is the counterfactual value of having applied the run.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import ClassVar

from mcp_lightning.domain.channel import Policy
from mcp_lightning.engine.engine_config import SafetyLimits
from mcp_lightning.engine.plan import PlannedDecision, RunSummary, Verdict
from mcp_lightning.sim.backtest import BacktestResult, Progress, run_strategies
from mcp_lightning.sim.metrics import compare
from mcp_lightning.sim.prepare import Setting
from mcp_lightning.sim.report import table
from mcp_lightning.sim.scenario import Scenario
from mcp_lightning.sim.strategies import FeeStrategy, StrategyInput
from mcp_lightning.sim.strategies.static import Static

_APPLIED = (Verdict.ALLOWED, Verdict.ADJUSTED)


def recorded_policies(planned: Iterable[PlannedDecision]) -> dict[int, Policy]:
    """chan_id -> the policy a run would have sent (allowed or adjusted by the safety chain)."""
    return {p.decision.chan_id: p.safety.proposed for p in planned
            if p.safety.verdict in _APPLIED and p.safety.proposed is not None}


@dataclass(slots=True)
class Recorded:
    """Announce the recorded policies at the first decision point, then keep them."""

    name: ClassVar[str] = "recorded"
    policies: Mapping[int, Policy]
    limits: SafetyLimits = field(default_factory=SafetyLimits)
    _done: bool = False

    @property
    def safety(self) -> SafetyLimits:
        """The default safety limits (the recorded policies already passed them)."""
        return self.limits

    def propose(self, view: StrategyInput) -> dict[int, Policy]:
        """The recorded policies of our channels, once."""
        if self._done:
            return {}
        self._done = True
        ours = {c.chan_id for c in view.node.channels}
        return {cid: policy for cid, policy in self.policies.items() if cid in ours}


def shadow_backtest(setting: Setting, scenario: Scenario, policies: Mapping[int, Policy],
                    progress: Progress | None = None) -> BacktestResult:
    """Run ``static`` and ``recorded`` on every seed of ``scenario``."""
    def recorded() -> FeeStrategy:
        return Recorded(policies)

    return run_strategies(setting, scenario, {"static": Static, "recorded": recorded}, progress)


def render_shadow(result: BacktestResult, run: RunSummary, n_changes: int) -> str:
    """Markdown counterfactual report of one recorded run."""
    c = compare(result.runs_of("recorded"), result.runs_of("static"), target=0.0)
    s = result.scenario
    return "\n".join([
        f"# Shadow report: run {run.run_id[:8]}",
        "",
        f"Run of {run.evaluated_at:%Y-%m-%d %H:%M} UTC on {run.node_alias} ({run.profile} profile, {run.mode} mode): "
        f"{n_changes} policy changes were recorded but not sent.",
        f"Simulated {s.days:g} days from the node export, seeds {', '.join(map(str, s.seeds))}, "
        f"{s.payments_per_day:,.0f} payments/day.",
        "",
        table(result),
        "",
        f"Applying the run's policies would have changed fees by {c.fee_gain:+.1%} (per-seed 95 % CI "
        f"{c.fee_gain_low:+.1%} .. {c.fee_gain_high:+.1%}) and the success ratio by {100 * c.success_delta:+.1f} "
        f"points ({100 * c.success_delta_low:+.1f} .. {100 * c.success_delta_high:+.1f}) against keeping the current "
        "policies.",
        "",
    ])
