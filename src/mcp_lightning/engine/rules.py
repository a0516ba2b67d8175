"""The decision rule table: first matching row wins.

| # | rule                 | when                                                                  | decision      |
|---|----------------------|-----------------------------------------------------------------------|---------------|
| 1 | policy_unknown       | our outbound policy is unknown                                        | NO_ACTION     |
| 2 | history_too_short    | the export holds less forwarding history than ``min_history_days``    | NO_ACTION     |
| 3 | idle_and_poor        | composite < close band, no forward for ``close_idle_days``, mature    | CLOSE_CHANNEL |
| 4 | inactive             | the channel is inactive (peer offline / not normal)                   | NO_ACTION     |
| 5 | scarce_in_demand     | depleted, outbound demand, fee below reference p75                    | INCREASE_FEES |
| 6 | scarce_priced_out    | depleted, outbound demand, fee already at/above reference p75         | REBALANCE in  |
| 7 | depleted_no_demand   | depleted, no outbound demand                                          | NO_ACTION     |
| 8 | idle_overpriced      | saturated, no outbound demand, fee above reference median             | DECREASE_FEES |
| 9 | idle_cheap           | saturated, no outbound demand, fee at/below reference median          | REBALANCE out |
|10 | draining_itself      | saturated with outbound demand (the imbalance corrects itself)        | NO_ACTION     |
|11 | healthy              | composite >= optimal band                                             | NO_ACTION     |
|12 | underpriced          | composite < act band, outbound demand, fee below reference p25        | INCREASE_FEES |
|13 | overpriced_idle      | composite < act band, no outbound demand, fee above reference median  | DECREASE_FEES |
|14 | acceptable           | anything else                                                         | NO_ACTION     |

"Depleted" is local_ratio < ``low_local_ratio``, "saturated" > ``high_local_ratio``, "outbound
demand" at least ``demand_min_forwards_7d`` forwards out in 7 days; the reference is the peer's
competitors' fee percentiles when there are ``min_competitors`` of them, else the network's.
An imbalanced channel is judged on its balance whatever its composite score (a busy channel that is
draining scores well on activity, yet its scarce outbound liquidity is underpriced); a channel
with a usable balance is judged on its composite score.

Economics: raise where outbound liquidity is scarce and in demand (the price of a scarce good
rises, and a higher fee slows the drain); lower where liquidity sits idle priced above the peer's
competitors; pay for a rebalance only where the free lever (the fee) is already spent; never
change fees on a channel that cannot route right now or on too little data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from mcp_lightning.domain.context import ChannelContext
from mcp_lightning.domain.decision import DecisionType
from mcp_lightning.engine.engine_config import EngineConfig
from mcp_lightning.engine.signals import Signals

Condition = Callable[[ChannelContext, Signals, EngineConfig], bool]


@dataclass(frozen=True, slots=True)
class Rule:
    """One row of the table: a name, a condition, the decision and a reason template."""

    name: str
    when: Condition
    decision: DecisionType
    reason: str


def _mature(ctx: ChannelContext, config: EngineConfig) -> bool:
    age = ctx.age_blocks
    return age is not None and age >= config.data.close_min_age_blocks


RULES: tuple[Rule, ...] = (
    Rule(
        "policy_unknown",
        lambda c, s, k: s.our_fee_rate_ppm is None,
        DecisionType.NO_ACTION,
        "Our fee policy on this channel is unknown; nothing to adjust.",
    ),
    Rule(
        "idle_and_poor",
        lambda c, s, k: s.composite < k.bands.close_below and s.idle_days >= k.data.close_idle_days and _mature(c, k),
        DecisionType.CLOSE_CHANNEL,
        "No forward for {idle_days_text} and a composite score of {composite:.2f}: the capital is idle.",
    ),
    Rule(
        "inactive",
        lambda c, s, k: not c.channel.active,
        DecisionType.NO_ACTION,
        "Channel is inactive; fees are left alone until the peer is back.",
    ),
    Rule(
        "history_too_short",
        lambda c, s, k: c.history_days < k.data.min_history_days,
        DecisionType.NO_ACTION,
        "Only {history_days:.1f} days of forwarding history; at least {min_history_days:.0f} are needed to act.",
    ),
    Rule(
        "scarce_in_demand",
        lambda c, s, k: s.depleted and s.in_demand and s.room_to_raise,
        DecisionType.INCREASE_FEES,
        "Outbound liquidity is scarce ({local_ratio:.0%} local) and in demand "
        "({n_out_7d} forwards out in 7 d): raise the price.",
    ),
    Rule(
        "scarce_priced_out",
        lambda c, s, k: s.depleted and s.in_demand,
        DecisionType.REBALANCE,
        "Outbound liquidity is scarce ({local_ratio:.0%} local) and in demand, and our fee is already at the top "
        "of {reference_source} (p75 {p75:.0f} ppm): refill it.",
    ),
    Rule(
        "depleted_no_demand",
        lambda c, s, k: s.depleted,
        DecisionType.NO_ACTION,
        "Outbound liquidity is low ({local_ratio:.0%} local) but no outbound demand was seen in 7 d; "
        "a refill would not pay.",
    ),
    Rule(
        "idle_overpriced",
        lambda c, s, k: s.saturated and not s.in_demand and s.priced_above_median,
        DecisionType.DECREASE_FEES,
        "Liquidity sits idle ({local_ratio:.0%} local, no forward out in 7 d) priced above {reference_source} "
        "(median {p50:.0f} ppm): lower the price.",
    ),
    Rule(
        "idle_cheap",
        lambda c, s, k: s.saturated and not s.in_demand,
        DecisionType.REBALANCE,
        "Liquidity sits idle ({local_ratio:.0%} local) although our fee is at or below "
        "the median of {reference_source} ({p50:.0f} ppm): move some of it out.",
    ),
    Rule(
        "draining_itself",
        lambda c, s, k: s.saturated,
        DecisionType.NO_ACTION,
        "Mostly local ({local_ratio:.0%}) but forwarding out ({n_out_7d} in 7 d); the balance is correcting itself.",
    ),
    Rule(
        "healthy",
        lambda c, s, k: s.composite >= k.bands.optimal_min,
        DecisionType.NO_ACTION,
        "Composite score {composite:.2f} is in the optimal band (>= {optimal_min:.2f}).",
    ),
    Rule(
        "underpriced",
        lambda c, s, k: s.composite < k.bands.act_below and s.in_demand and s.priced_below_p25,
        DecisionType.INCREASE_FEES,
        "Forwards flow out ({n_out_7d} in 7 d) at a fee below the p25 of {reference_source} ({p25:.0f} ppm): raise it.",
    ),
    Rule(
        "overpriced_idle",
        lambda c, s, k: s.composite < k.bands.act_below and not s.in_demand and s.priced_above_median,
        DecisionType.DECREASE_FEES,
        "No forward out in 7 d at a fee above the median of {reference_source} ({p50:.0f} ppm): lower it.",
    ),
    Rule(
        "acceptable",
        lambda c, s, k: True,
        DecisionType.NO_ACTION,
        "Composite score {composite:.2f}; no signal calls for a change.",
    ),
)


def first_match(ctx: ChannelContext, signals: Signals, config: EngineConfig) -> Rule:
    """The first rule of :data:`RULES` whose condition holds (the last one always does)."""
    for rule in RULES:
        if rule.when(ctx, signals, config):
            return rule
    return RULES[-1]


def render_reason(rule: Rule, ctx: ChannelContext, signals: Signals, config: EngineConfig) -> str:
    """Fill the rule's reason template with the channel's figures."""
    idle = signals.idle_days
    return rule.reason.format(
        history_days=ctx.history_days,
        min_history_days=config.data.min_history_days,
        idle_days_text="the whole history" if idle == float("inf") else f"{idle:.0f} days",
        composite=signals.composite,
        optimal_min=config.bands.optimal_min,
        local_ratio=signals.local_ratio,
        n_out_7d=signals.n_out_7d,
        reference_source=signals.reference.source,
        p25=signals.reference.p25_ppm,
        p50=signals.reference.p50_ppm,
        p75=signals.reference.p75_ppm,
    )
