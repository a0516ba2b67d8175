"""``evaluate_channel``: the one pure, deterministic decision function."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from mcp_lightning.domain.channel import Channel, Policy
from mcp_lightning.domain.context import ChannelContext
from mcp_lightning.domain.decision import (
    Decision,
    DecisionType,
    RebalanceDirection,
    RebalanceSuggestion,
    WeightedScore,
)
from mcp_lightning.engine.engine_config import EngineConfig
from mcp_lightning.engine.rules import Rule, first_match, render_reason
from mcp_lightning.engine.signals import Signals, derive_signals
from mcp_lightning.engine.valve import valve
from mcp_lightning.heuristics.curves import clamp01
from mcp_lightning.units import Ppm, Sat


def score_channel(ctx: ChannelContext, config: EngineConfig) -> tuple[tuple[WeightedScore, ...], float]:
    """Run every enabled heuristic and combine them.

    Returns:
        ``(scores, composite)``: each heuristic's weighted score, and the weighted mean of their
        values in [0, 1] (0.0 when no weight is positive).
    """
    scores = []
    total_weight = 0.0
    weighted_sum = 0.0
    for item in config.heuristics:
        value, reason = item.heuristic.score(ctx)
        value = 0.0 if not value >= 0.0 else 1.0 if value > 1.0 else value  # clamp; NaN -> 0
        scores.append(WeightedScore(item.heuristic.name, value, item.weight, reason))
        total_weight += item.weight
        weighted_sum += item.weight * value
    composite = weighted_sum / total_weight if total_weight > 0 else 0.0
    return tuple(scores), composite


def evaluate_channel(ctx: ChannelContext, config: EngineConfig, now: datetime) -> Decision:
    """Decide what to do with one channel.

    Pure and deterministic: the same context, configuration and ``now`` always give the same
    decision. The heuristics give the composite score; the rule table in ``engine.rules`` picks the
    decision from the composite and the economic signals; the proposal is sized by the profile's
    fee steps (the safety chain bounds it later); the liquidity valve (``engine.valve``) may add a
    new ``htlc_maximum_msat`` to the proposal, whatever the decision, with its own reason.

    Args:
        ctx: the channel's context.
        config: the resolved engine configuration.
        now: evaluation time, UTC.

    Returns:
        The :class:`Decision`, with confidence in [0, 1], composite score, per-heuristic scores,
        reasons (the rule's reason first, then the weakest heuristics' reasons) and suggestions.
    """
    return apply_valve(evaluate_fees(ctx, config, now), ctx.channel, config)


def apply_valve(decision: Decision, channel: Channel, config: EngineConfig) -> Decision:
    """``decision`` with the liquidity valve's ``htlc_maximum_msat`` for ``channel`` folded into its proposal.

    The valve's sentence goes right after the rule's reason. Unchanged when the valve has nothing
    to say or our policy is unknown.
    """
    verdict = valve(channel, config.valve)
    current = decision.current
    if verdict is None or current is None:
        return decision
    proposed = replace(decision.proposed or current, max_htlc_msat=verdict.max_htlc_msat)
    reasons = (*decision.reasons[:1], verdict.reason, *decision.reasons[1:])
    return replace(decision, proposed=proposed, reasons=reasons)


def evaluate_fees(ctx: ChannelContext, config: EngineConfig, now: datetime) -> Decision:
    """The rule table's decision for one channel, without the liquidity valve (see :func:`evaluate_channel`)."""
    scores, composite = score_channel(ctx, config)
    signals = derive_signals(ctx, config, composite, now)
    rule = first_match(ctx, signals, config)
    current = ctx.channel.local_policy
    weakest = sorted(scores, key=_by_value)[:2]
    reasons = (render_reason(rule, ctx, signals, config), *(f"{s.name}: {s.reason}" for s in weakest))
    kind = rule.decision
    proposed = rebalance = close_reason = None
    if kind in _FEE_CHANGES and current is not None:
        proposed = _propose_fee(current, rule, signals, config)
    elif kind is DecisionType.REBALANCE:
        rebalance = _propose_rebalance(ctx, config)
    elif kind is DecisionType.CLOSE_CHANNEL:
        close_reason = reasons[0]
    return Decision(
        chan_id=ctx.channel.chan_id,
        scid=str(ctx.channel.scid) if ctx.channel.scid else None,
        peer_pubkey=ctx.channel.peer_pubkey,
        decision=kind,
        confidence=_confidence(ctx, config, signals, rule),
        composite_score=composite,
        scores=scores,
        reasons=reasons,
        current=current,
        proposed=proposed,
        rebalance=rebalance,
        close_reason=close_reason,
    )


_FEE_CHANGES = frozenset({DecisionType.INCREASE_FEES, DecisionType.DECREASE_FEES})
_RAISE_TARGETS = {  # rule -> the reference percentile its raise stops at
    "underpriced": lambda reference: reference.p50_ppm,
    "scarce_underpriced": lambda reference: reference.p75_ppm,
    "new_below_market": lambda reference: reference.p50_ppm,
}
_JUMPS = frozenset({"new_below_market"})  # propose the target itself; the safety chain bounds the step


def _by_value(score: WeightedScore) -> tuple[float, str]:
    return score.value, score.name


def _propose_fee(current: Policy, rule: Rule, signals: Signals, config: EngineConfig) -> Policy:
    """New outbound policy: one profile step up or down, anchored to the fee reference.

    A raise is one step (``urgent_step_ratio`` below the urgent band), at least ``min_step_ppm``;
    ``underpriced`` stops at the reference median, ``scarce_underpriced`` at its p75;
    ``new_below_market`` proposes the median itself (the safety chain's ±``max_change_ratio``
    window makes that a few bounded steps). A cut is one
    step down to no lower than the reference median (or one ``min_step_ppm`` when already below
    it). The safety chain bounds both.
    """
    steps = config.steps
    step = steps.urgent_step_ratio if signals.composite < config.bands.urgent_below else steps.step_ratio
    fee = int(current.fee_rate_ppm)
    if rule.decision is DecisionType.INCREASE_FEES:
        new_fee = max(fee + steps.min_step_ppm, round(fee * (1.0 + step)))
        target = _RAISE_TARGETS.get(rule.name)
        if target is not None and rule.name in _JUMPS:
            new_fee = max(new_fee, round(target(signals.reference)))
        if target is not None:  # close the gap to the reference, not beyond it
            new_fee = max(fee + steps.min_step_ppm, min(new_fee, round(target(signals.reference))))
        inbound = current.inbound_fee_rate_ppm
        if steps.suggest_inbound_discount and signals.depleted:
            inbound = Ppm(-round(new_fee * steps.inbound_discount_ratio))
        return replace(current, fee_rate_ppm=Ppm(new_fee), inbound_fee_rate_ppm=inbound)
    new_fee = min(fee - steps.min_step_ppm, round(fee * (1.0 - step)))
    floor = round(signals.reference.p50_ppm)  # cut towards the competitors' median, never below it
    new_fee = max(0, new_fee, min(floor, fee - steps.min_step_ppm))
    return replace(current, fee_rate_ppm=Ppm(new_fee))


def _propose_rebalance(ctx: ChannelContext, config: EngineConfig) -> RebalanceSuggestion:
    """Move the local balance back to the target ratio."""
    channel = ctx.channel
    target = config.liquidity.target_local_ratio
    target_local_sat = round(channel.capacity_sat * target)
    delta = target_local_sat - channel.local_balance_sat
    direction = RebalanceDirection.PULL_IN if delta > 0 else RebalanceDirection.PUSH_OUT
    return RebalanceSuggestion(amount_sat=Sat(abs(delta)), direction=direction, target_local_ratio=target)


def _confidence(ctx: ChannelContext, config: EngineConfig, signals: Signals, rule: Rule) -> float:
    """Confidence in [0, 1]: data quality times how clearly the score sits in its band.

    Data quality multiplies: the channel is in the graph (else x0.85), the peer is (else x0.85), the
    history covers 30 days (else its share), the graph is fresh (else x0.7). Clarity is 0.5 plus half
    the distance of the composite from the optimal band edge, in units of that band's width.
    """
    quality = 1.0
    if not ctx.in_graph:
        quality *= 0.85
    if ctx.peer is None:
        quality *= 0.85
    quality *= clamp01(ctx.history_days / 30.0) if ctx.history_days < 30.0 else 1.0
    if ctx.graph_age_days > config.data.stale_graph_days:
        quality *= 0.7
    edge = config.bands.optimal_min
    if rule.decision is DecisionType.NO_ACTION and signals.composite >= edge:
        margin = (signals.composite - edge) / max(1e-9, 1.0 - edge)
    elif rule.decision is DecisionType.NO_ACTION:
        margin = 0.5  # a no-change verdict below the band is a judgement, not a measurement
    else:
        margin = (edge - signals.composite) / max(1e-9, edge)
    return round(clamp01(quality * (0.5 + 0.5 * clamp01(margin))), 4)
