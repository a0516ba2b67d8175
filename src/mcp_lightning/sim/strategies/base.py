"""What every fee strategy sees and returns.

Every ``decision_interval_hours`` the simulator builds a :class:`NodeSnapshot` of our node from its
state, the engine's channel contexts from it (``engine.context.build_contexts``), and hands both to
the strategy. The strategy returns the outbound policies it wants; the simulator passes each one
through the same safety chain (``engine.safety.run_chain``) before announcing it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar, Protocol

import numpy as np

from mcp_lightning.domain.channel import Policy
from mcp_lightning.domain.context import ChannelContext
from mcp_lightning.domain.node import NodeSnapshot
from mcp_lightning.engine.context import GraphView
from mcp_lightning.engine.engine_config import SafetyLimits


@dataclass(frozen=True, slots=True)
class StrategyInput:
    """One decision point.

    Attributes:
        now: simulated time, UTC.
        node: our node as its export would show it now (balances, policies, forwards so far).
        contexts: the engine's context of every channel, sorted by chan_id.
        graph: the graph view the contexts were built from.
        recent_changes_at: chan_id -> UTC times of applied policy changes.
        liquidity_failures: chan_id -> HTLCs failed so far for lack of our outbound liquidity
            (what LND's HTLC event stream reports as ``INSUFFICIENT_BALANCE``).
        rng: the strategy's own seeded generator.
    """

    now: datetime
    node: NodeSnapshot
    contexts: Sequence[ChannelContext]
    graph: GraphView
    recent_changes_at: Mapping[int, Sequence[datetime]]
    liquidity_failures: Mapping[int, int]
    rng: np.random.Generator


class FeeStrategy(Protocol):
    """A fee manager: a name, the safety limits it runs under, and ``propose``.

    Implementations may keep state between calls (one instance per simulated run).
    """

    name: ClassVar[str]

    @property
    def safety(self) -> SafetyLimits:
        """Limits of the safety chain its proposals go through."""
        ...

    def propose(self, view: StrategyInput) -> dict[int, Policy]:
        """chan_id -> the outbound policy wanted now (channels left out keep theirs)."""
        ...


def with_fee(policy: Policy, fee_rate_ppm: int) -> Policy:
    """``policy`` with another fee rate (ppm, floored at 0)."""
    from dataclasses import replace

    from mcp_lightning.units import Ppm

    return replace(policy, fee_rate_ppm=Ppm(max(0, int(fee_rate_ppm))))


def median_fee_ppm(node: NodeSnapshot) -> int:
    """Median outbound fee rate over our channels with a known policy (0 when none)."""
    fees = sorted(int(c.local_policy.fee_rate_ppm) for c in node.channels if c.local_policy is not None)
    return fees[len(fees) // 2] if fees else 0
