"""One coherent decision per peer: parallel channels to the same peer are decided together.

Senders cannot choose among parallel channels (the forwarding node picks one), so different fees
on them only confuse pathfinding. Channels to the same peer are merged into one context (summed
capacity, balances, flows and HTLCs; the largest channel's policies), decided once, and the
decision is carried back to every channel with the same new fee_rate_ppm. The liquidity valve
(``engine.valve``) then sets each channel's ``htlc_maximum_msat`` by that channel's own balance.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from mcp_lightning.domain.channel import Channel
from mcp_lightning.domain.context import ChannelContext, FlowWindow
from mcp_lightning.domain.decision import Decision, RebalanceSuggestion
from mcp_lightning.engine.decide import apply_valve, evaluate_channel, evaluate_fees
from mcp_lightning.engine.engine_config import EngineConfig
from mcp_lightning.units import Msat, Sat


def merge_contexts(group: Sequence[ChannelContext]) -> ChannelContext:
    """Merge the contexts of parallel channels to one peer into one (the largest channel leads)."""
    lead = max(group, key=lambda c: (c.channel.capacity_sat, -c.channel.chan_id))
    channels = [c.channel for c in group]
    merged_channel: Channel = replace(
        lead.channel,
        capacity_sat=Sat(sum(c.capacity_sat for c in channels)),
        local_balance_sat=Sat(sum(c.local_balance_sat for c in channels)),
        remote_balance_sat=Sat(sum(c.remote_balance_sat for c in channels)),
        pending_htlcs=tuple(h for c in channels for h in c.pending_htlcs),
        active=any(c.active for c in channels),
    )
    flows = tuple(
        FlowWindow(
            days=w.days,
            n_out=sum(c.flow(w.days).n_out for c in group),
            amount_out_msat=Msat(sum(c.flow(w.days).amount_out_msat for c in group)),
            fee_msat=Msat(sum(c.flow(w.days).fee_msat for c in group)),
            n_in=sum(c.flow(w.days).n_in for c in group),
            amount_in_msat=Msat(sum(c.flow(w.days).amount_in_msat for c in group)),
        )
        for w in lead.flows
    )
    lasts = [c.last_forward_at for c in group if c.last_forward_at is not None]
    lasts_out = [c.last_out_forward_at for c in group if c.last_out_forward_at is not None]
    return replace(
        lead,
        channel=merged_channel,
        flows=flows,
        last_forward_at=max(lasts) if lasts else None,
        last_out_forward_at=max(lasts_out) if lasts_out else None,
        in_graph=any(c.in_graph for c in group),
    )


def _carry(peer_decision: Decision, ctx: ChannelContext, n_channels: int, group_capacity_sat: int) -> Decision:
    """The peer-level decision expressed for one of its channels."""
    current = ctx.channel.local_policy
    proposed = None
    if peer_decision.proposed is not None and current is not None:
        proposed = replace(
            current,
            fee_rate_ppm=peer_decision.proposed.fee_rate_ppm,
            inbound_fee_rate_ppm=peer_decision.proposed.inbound_fee_rate_ppm,
        )
    rebalance = None
    if peer_decision.rebalance is not None:
        share = ctx.channel.capacity_sat / max(1, group_capacity_sat)  # split in proportion to capacity
        rebalance = RebalanceSuggestion(
            Sat(round(peer_decision.rebalance.amount_sat * share)),
            peer_decision.rebalance.direction,
            peer_decision.rebalance.target_local_ratio,
        )
    note = f"One decision for the {n_channels} channels with this peer."
    return replace(
        peer_decision,
        chan_id=ctx.channel.chan_id,
        scid=str(ctx.channel.scid) if ctx.channel.scid else None,
        current=current,
        proposed=proposed,
        rebalance=rebalance,
        reasons=(*peer_decision.reasons, note),
    )


def evaluate_all(contexts: Sequence[ChannelContext], config: EngineConfig, now: datetime) -> list[Decision]:
    """Decide every channel, one coherent decision per peer; output follows the input order."""
    groups: dict[str, list[ChannelContext]] = {}
    for ctx in contexts:
        groups.setdefault(ctx.channel.peer_pubkey, []).append(ctx)
    by_chan: dict[int, Decision] = {}
    for group in groups.values():
        if len(group) == 1:
            by_chan[group[0].channel.chan_id] = evaluate_channel(group[0], config, now)
            continue
        peer_decision = evaluate_fees(merge_contexts(group), config, now)
        group_capacity_sat = sum(c.channel.capacity_sat for c in group)
        for ctx in group:
            carried = _carry(peer_decision, ctx, len(group), group_capacity_sat)
            by_chan[ctx.channel.chan_id] = apply_valve(carried, ctx.channel, config)
    return [by_chan[ctx.channel.chan_id] for ctx in contexts]
