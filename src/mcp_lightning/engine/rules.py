"""The decision rule table: first matching row wins.

| # | rule                 | when                                                                     | decision      |
|---|----------------------|--------------------------------------------------------------------------|---------------|
| 1 | policy_unknown       | our outbound policy is unknown                                           | NO_ACTION     |
| 2 | idle_and_poor        | composite < close band, no forward for ``close_idle_days``, mature       | CLOSE_CHANNEL |
| 3 | inactive             | the channel is inactive (peer offline / not normal)                      | NO_ACTION     |
| 4 | new_below_market     | new node: short history, channel younger than that, fee below median     | INCREASE_FEES |
| 5 | history_too_short    | the export holds less forwarding history than ``min_history_days``       | NO_ACTION     |
| 6 | scarce_in_demand     | depleted, outbound or unserved demand, fee below the safety ceiling      | INCREASE_FEES |
| 7 | scarce_priced_out    | depleted, outbound or unserved demand, fee already at the safety ceiling | REBALANCE in  |
| 8 | scarce_underpriced   | depleted, no demand, fee below reference p75                             | INCREASE_FEES |
| 9 | depleted_no_demand   | depleted, no demand                                                      | NO_ACTION     |
|10 | draining_sells       | below target, draining in 7 d, sold since the last update, below ceiling | INCREASE_FEES |
|11 | idle_overpriced      | saturated, idle fee: no forward out in 30 d, fee above reference p75     | DECREASE_FEES |
|12 | idle_priced_fairly   | saturated, no outbound demand, fee at/below reference p75                | REBALANCE out |
|13 | draining_itself      | saturated otherwise (forwarding out, or not idle long enough to cut)     | NO_ACTION     |
|14 | underpriced          | outbound demand, fee below reference median                              | INCREASE_FEES |
|15 | healthy              | composite >= optimal band                                                | NO_ACTION     |
|16 | overpriced_idle      | composite < act band, idle fee, fee above reference p75                  | DECREASE_FEES |
|17 | acceptable           | anything else                                                            | NO_ACTION     |

"Depleted" is local_ratio < ``low_local_ratio``, "saturated" > ``high_local_ratio``, "outbound
demand" at least ``demand_min_forwards_7d`` forwards out in 7 days, "unserved demand" at least
``demand_min_unserved_7d`` outbound HTLCs offered but not fulfilled in 7 days
(``engine.unserved``); "below target" local_ratio < ``target_local_ratio``, "draining" more
sat left through the channel than arrived in 7 days, "sold since the last update" a forward out
after our policy's last update (the current price found a buyer); the reference is the peer's
competitors' fee percentiles when there are ``min_competitors`` of them, else the network's; the safety ceiling is
``safety.max_fee_rate_ppm``; an "idle fee" has earned no forward out in 30 days and has stood for
at least ``cut_wait_days``. An imbalanced channel is judged on its balance whatever its composite
score (a busy channel that is draining scores well on activity, yet its scarce outbound liquidity
is underpriced); a channel with a usable balance is judged on its demand and its composite score.

Economics: raise where outbound liquidity is scarce and in demand — demand at our price is the
evidence that the price holds, so the fee climbs one step per decision until the demand stops or
the ceiling is reached (a higher fee also slows the drain); price scarce liquidity in the dearest
quarter of the competition (up to their p75), demand or not: a depleted channel can serve few
payments, and a cheap one attracts HTLCs it must fail (which also costs us in senders' mission
control); raise a channel below its target balance that keeps draining, one step at a time and
only while the current price still sells (each step needs a forward out at that price, so the
climb stops where demand does: price discovery, not a drift to the ceiling) — the liquidity it
sells is becoming scarce, and a higher price both earns more and slows the drain; raise a
flowing channel priced under the competitors' median towards that median; lower only where
liquidity has sat unused for a month priced in the dearest quarter of the competition, one step per
``cut_wait_days`` so each price has time to meet its demand, and never below their median; pay for a rebalance
only where the free lever (the fee) is spent; never change fees on a channel that cannot route right
now or on too little data — except to bring a new node's fee (no history yet) up to the market
median, which needs no history: the competitors' fees are in the graph (CLBOSS prices new channels
at their competitors' median likewise). The backtest (``docs/simulator.md``) measured the earlier table, which
cut fees after a single quiet week and asked for a rebalance instead of raising scarce liquidity
above the competitors' p75: it earned 17-62 % less than the best baseline strategy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from mcp_lightning.domain.context import ChannelContext
from mcp_lightning.domain.decision import DecisionType
from mcp_lightning.engine.engine_config import EngineConfig
from mcp_lightning.engine.signals import Signals
from mcp_lightning.units import BLOCKS_PER_DAY

Condition = Callable[[ChannelContext, Signals, EngineConfig], bool]


@dataclass(frozen=True, slots=True)
class Rule:
    """One row of the table: a name, a condition, the decision and a reason template."""

    name: str
    when: Condition
    decision: DecisionType
    reason: str


def _below_ceiling(signals: Signals, config: EngineConfig) -> bool:
    fee = signals.our_fee_rate_ppm
    return fee is not None and fee < config.safety.max_fee_rate_ppm


def _idle_fee(signals: Signals, config: EngineConfig) -> bool:
    """No forward out in 30 days, and the fee has stood ``cut_wait_days`` since its last update."""
    return signals.n_out_30d == 0 and signals.fee_age_days >= config.data.cut_wait_days


def _young(ctx: ChannelContext, config: EngineConfig) -> bool:
    """Funded less than ``min_history_days`` ago (144 blocks a day): the node is new, not just without
    a forwarding history (LNbits exposes none for a node of any age)."""
    age = ctx.age_blocks
    return age is not None and age < config.data.min_history_days * BLOCKS_PER_DAY


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
        "new_below_market",
        lambda c, s, k: c.history_days < k.data.min_history_days and _young(c, k) and s.priced_below_median,
        DecisionType.INCREASE_FEES,
        "A new channel with {history_days:.1f} days of forwarding history and a fee below the median of "
        "{reference_source} ({p50:.0f} ppm): start at the market's price.",
    ),
    Rule(
        "history_too_short",
        lambda c, s, k: c.history_days < k.data.min_history_days,
        DecisionType.NO_ACTION,
        "Only {history_days:.1f} days of forwarding history; at least {min_history_days:.0f} are needed to act.",
    ),
    Rule(
        "scarce_in_demand",
        lambda c, s, k: s.depleted and (s.in_demand or s.unserved_demand) and _below_ceiling(s, k),
        DecisionType.INCREASE_FEES,
        "Outbound liquidity is scarce ({local_ratio:.0%} local) and in demand "
        "({n_out_7d} forwards out, {unserved_out_7d} HTLCs it could not serve in 7 d): raise the price.",
    ),
    Rule(
        "scarce_priced_out",
        lambda c, s, k: s.depleted and (s.in_demand or s.unserved_demand),
        DecisionType.REBALANCE,
        "Outbound liquidity is scarce ({local_ratio:.0%} local) and in demand, and our fee is already at the "
        "ceiling ({max_fee_rate_ppm} ppm): refill it.",
    ),
    Rule(
        "scarce_underpriced",
        lambda c, s, k: s.depleted and s.priced_below_p75,
        DecisionType.INCREASE_FEES,
        "Outbound liquidity is scarce ({local_ratio:.0%} local) yet priced below the p75 of "
        "{reference_source} ({p75:.0f} ppm): price it with the dearest quarter.",
    ),
    Rule(
        "depleted_no_demand",
        lambda c, s, k: s.depleted,
        DecisionType.NO_ACTION,
        "Outbound liquidity is low ({local_ratio:.0%} local) but no outbound demand was seen in 7 d; "
        "a refill would not pay.",
    ),
    Rule(
        "draining_sells",
        lambda c, s, k: (s.local_ratio < k.liquidity.target_local_ratio and s.in_demand and s.draining
                         and s.sold_at_current_fee and _below_ceiling(s, k)),
        DecisionType.INCREASE_FEES,
        "Outbound liquidity is below target ({local_ratio:.0%} local) and draining ({n_out_7d} forwards out in "
        "7 d, more out than in), and the current fee still sells: raise it one step.",
    ),
    Rule(
        "idle_overpriced",
        lambda c, s, k: s.saturated and _idle_fee(s, k) and s.priced_above_p75,
        DecisionType.DECREASE_FEES,
        "Liquidity sits idle ({local_ratio:.0%} local, no forward out in 30 d) priced above the p75 of "
        "{reference_source} ({p75:.0f} ppm): lower the price towards their median ({p50:.0f} ppm).",
    ),
    Rule(
        "idle_priced_fairly",
        lambda c, s, k: s.saturated and not s.in_demand and not s.priced_above_p75,
        DecisionType.REBALANCE,
        "Liquidity sits idle ({local_ratio:.0%} local) although our fee is within the range of "
        "{reference_source} (p75 {p75:.0f} ppm): move some of it out.",
    ),
    Rule(
        "draining_itself",
        lambda c, s, k: s.saturated,
        DecisionType.NO_ACTION,
        "Mostly local ({local_ratio:.0%}) with {n_out_7d} forwards out in 7 d and {n_out_30d} in 30 d; "
        "the price is left to find its demand.",
    ),
    Rule(
        "underpriced",
        lambda c, s, k: s.in_demand and s.priced_below_median,
        DecisionType.INCREASE_FEES,
        "Forwards flow out ({n_out_7d} in 7 d) at a fee below the median of {reference_source} "
        "({p50:.0f} ppm): raise it towards that median.",
    ),
    Rule(
        "healthy",
        lambda c, s, k: s.composite >= k.bands.optimal_min,
        DecisionType.NO_ACTION,
        "Composite score {composite:.2f} is in the optimal band (>= {optimal_min:.2f}).",
    ),
    Rule(
        "overpriced_idle",
        lambda c, s, k: s.composite < k.bands.act_below and _idle_fee(s, k) and s.priced_above_p75,
        DecisionType.DECREASE_FEES,
        "No forward out in 30 d at a fee above the p75 of {reference_source} ({p75:.0f} ppm): lower it "
        "towards their median ({p50:.0f} ppm).",
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
        n_out_30d=signals.n_out_30d,
        unserved_out_7d=signals.unserved_out_7d,
        max_fee_rate_ppm=config.safety.max_fee_rate_ppm,
        reference_source=signals.reference.source,
        p25=signals.reference.p25_ppm,
        p50=signals.reference.p50_ppm,
        p75=signals.reference.p75_ppm,
    )
