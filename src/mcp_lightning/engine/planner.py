"""The planner: contexts in, planned decisions (decision + safety + fingerprint) out. Pure."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import datetime

from mcp_lightning.domain.context import ChannelContext
from mcp_lightning.engine.engine_config import EngineConfig
from mcp_lightning.engine.peer_groups import evaluate_all
from mcp_lightning.engine.plan import ChannelFacts, PlannedDecision
from mcp_lightning.engine.safety import SafetyState, check_decision


def context_fingerprint(ctx: ChannelContext) -> str:
    """sha256 hex of the context's canonical text (frozen dataclasses have a deterministic repr)."""
    return hashlib.sha256(repr(ctx).encode()).hexdigest()


def facts_of(ctx: ChannelContext, peer_alias: str | None) -> ChannelFacts:
    """The observed figures shown beside a decision."""
    week = ctx.flow(7)
    return ChannelFacts(
        capacity_sat=int(ctx.channel.capacity_sat),
        local_ratio=round(ctx.channel.local_ratio, 4),
        n_forwards_7d=week.n_out + week.n_in,
        fee_7d_msat=int(week.fee_msat),
        peer_alias=peer_alias,
        active=ctx.channel.active,
        in_graph=ctx.in_graph,
        htlc_counters=ctx.channel.htlc_counters,
        unserved_out_7d=ctx.unserved_out_7d,
    )


def plan(
    contexts: Sequence[ChannelContext],
    config: EngineConfig,
    now: datetime,
    recent_changes_at: Mapping[int, Sequence[datetime]],
    aliases: Mapping[str, str],
) -> list[PlannedDecision]:
    """Decide every channel and pass each proposal through the safety chain.

    Args:
        contexts: channel contexts, in the order the output should follow.
        config: engine configuration.
        now: evaluation time, UTC.
        recent_changes_at: chan_id -> UTC times of recently applied changes (cooldown, daily cap).
        aliases: pubkey -> alias, for display.

    Returns:
        One :class:`PlannedDecision` per context, same order.
    """
    state = SafetyState(config.safety, now, recent_changes_at)
    decisions = evaluate_all(contexts, config, now)
    planned = []
    for ctx, decision in zip(contexts, decisions, strict=True):
        alias = ctx.channel.peer_alias or aliases.get(ctx.channel.peer_pubkey)
        planned.append(
            PlannedDecision(decision, check_decision(decision, state), facts_of(ctx, alias), context_fingerprint(ctx))
        )
    return planned
