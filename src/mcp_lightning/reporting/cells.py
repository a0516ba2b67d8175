"""Short display texts shared by the terminal table and the Markdown report."""

from __future__ import annotations

from mcp_lightning.domain.decision import DecisionType
from mcp_lightning.engine.plan import PlannedDecision, Verdict


def channel_label(item: PlannedDecision) -> str:
    """The scid, or the chan_id when the channel has none."""
    return item.decision.scid or str(item.decision.chan_id)


def peer_label(item: PlannedDecision, width: int = 20) -> str:
    """Peer alias (or the pubkey's first 12 hex digits), cut to ``width``."""
    alias = item.facts.peer_alias or item.decision.peer_pubkey[:12]
    return alias if len(alias) <= width else alias[: width - 1] + "…"


def current_fee(item: PlannedDecision) -> str:
    """Current ``base/ppm``."""
    policy = item.decision.current
    return "?" if policy is None else f"{policy.base_fee_msat}/{policy.fee_rate_ppm}"


def proposed_fee(item: PlannedDecision) -> str:
    """What would be sent, the rebalance or close suggestion, or why nothing would."""
    d, safety = item.decision, item.safety
    if d.decision is DecisionType.REBALANCE and d.rebalance is not None:
        return f"{d.rebalance.direction.value} {d.rebalance.amount_sat:,} sat"
    if d.decision is DecisionType.CLOSE_CHANNEL:
        return "close"
    if safety.verdict is Verdict.REJECTED:
        return f"held ({safety.rule})"
    if safety.proposed is not None:
        mark = "*" if safety.verdict is Verdict.ADJUSTED else ""
        return f"{safety.proposed.base_fee_msat}/{safety.proposed.fee_rate_ppm}{mark}"
    return "-"


def forwards_7d(item: PlannedDecision) -> str:
    """7-day forwards and fees earned, e.g. ``12 / 3,456 sat``."""
    return f"{item.facts.n_forwards_7d} / {item.facts.fee_7d_msat // 1000:,} sat"
