"""Our engine, unchanged: ``engine.planner.plan`` on the simulated node, in one profile."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import ClassVar

from mcp_lightning.domain.channel import Policy
from mcp_lightning.domain.decision import DecisionType
from mcp_lightning.engine.engine_config import EngineConfig, SafetyLimits
from mcp_lightning.engine.planner import plan
from mcp_lightning.engine.unserved import CounterReading, pick_baseline, with_unserved
from mcp_lightning.sim.strategies.base import StrategyInput


@dataclass(slots=True)
class Ours:
    """MCP Lightning's engine in one profile (conservative, balanced or aggressive).

    Calls the real planner with the contexts the simulator built, and proposes each decision's
    ``proposed`` policy (before the safety chain, which the simulator applies with the profile's own
    limits — the same check ``plan`` makes). REBALANCE and CLOSE_CHANNEL decisions are counted,
    not executed. Like ``mcpln run`` with its store, it keeps each decision point's HTLC counters
    to measure unserved outbound demand over the last 7 days (``engine.unserved``).

    Source: ``engine.planner.plan``, ``engine.decide.evaluate_channel``, ``engine.rules.RULES``.
    """

    name: ClassVar[str] = "ours"
    config: EngineConfig
    n_rebalance_suggestions: int = 0
    n_close_suggestions: int = 0
    decision_counts: dict[str, int] = field(default_factory=dict)
    _readings: list[CounterReading] = field(default_factory=list)

    @property
    def safety(self) -> SafetyLimits:
        """The profile's safety limits."""
        return self.config.safety

    def propose(self, view: StrategyInput) -> dict[int, Policy]:
        """The engine's proposed policies at ``now``."""
        aliases = {c.peer_pubkey: c.peer_alias for c in view.node.channels if c.peer_alias}
        contexts = with_unserved(view.contexts, pick_baseline(self._readings, view.now))
        self._readings.append((view.now, {c.chan_id: c.htlc_counters for c in view.node.channels if c.htlc_counters}))
        planned = plan(contexts, self.config, view.now, view.recent_changes_at, {**view.graph.aliases, **aliases})
        proposals: dict[int, Policy] = {}
        for item in planned:
            decision = item.decision
            kind = decision.decision.value
            self.decision_counts[kind] = self.decision_counts.get(kind, 0) + 1
            if decision.decision is DecisionType.REBALANCE:
                self.n_rebalance_suggestions += 1
            elif decision.decision is DecisionType.CLOSE_CHANNEL:
                self.n_close_suggestions += 1
            if decision.proposed is not None:
                proposals[decision.chan_id] = decision.proposed
        return proposals


def ours_factory(profile: str, config_path: Path | None = None, *, valve: bool = True) -> Ours:
    """Our engine with ``profile`` from ``config_path`` (None: the bundled configuration).

    ``valve=False`` turns the liquidity valve off (``engine.valve``), so a backtest can show how much
    of the result is the valve and how much the fee rules.

    The configuration is read once per process and profile: a backtest builds a fresh strategy for
    every run, and the frozen configuration is shared (each run keeps its own state in ``Ours``).

    Raises:
        ConfigError: unknown profile or invalid configuration.
    """
    config = _engine_config(config_path, profile)
    if not valve:
        config = replace(config, valve=replace(config.valve, enabled=False))
    return Ours(config=config)


@functools.lru_cache(maxsize=16)
def _engine_config(config_path: Path | None, profile: str) -> EngineConfig:
    from mcp_lightning.config import load_engine_config

    return load_engine_config(config_path, profile)
