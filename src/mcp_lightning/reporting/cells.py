"""Short display texts shared by the terminal table and the Markdown report."""

from __future__ import annotations

from collections.abc import Sequence

from mcp_lightning.domain.decision import DecisionType
from mcp_lightning.engine.plan import PlannedDecision, Verdict
from mcp_lightning.units import msat_to_sat


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
    """What would be sent (fees, and the HTLC limit when the liquidity valve moves it), the rebalance
    or close suggestion, or why nothing would; e.g. ``1000/575, max HTLC 225,000 sat``."""
    d, safety = item.decision, item.safety
    if d.decision is DecisionType.CLOSE_CHANNEL:
        return "close"
    parts = []
    if d.decision is DecisionType.REBALANCE and d.rebalance is not None:
        parts.append(f"{d.rebalance.direction.value} {d.rebalance.amount_sat:,} sat")
    if safety.verdict is Verdict.REJECTED:
        parts.append(f"held ({safety.rule})")
    elif safety.proposed is not None:
        mark = "*" if safety.verdict is Verdict.ADJUSTED else ""
        text = f"{safety.proposed.base_fee_msat}/{safety.proposed.fee_rate_ppm}{mark}"
        limit = safety.proposed.max_htlc_msat
        if limit is not None and (d.current is None or limit != d.current.max_htlc_msat):
            text += f", max HTLC {msat_to_sat(limit):,} sat"
        parts.append(text)
    return "; ".join(parts) or "-"


def htlc_limit_changes(planned: Sequence[PlannedDecision]) -> int:
    """How many allowed proposals move ``htlc_maximum_msat`` (the liquidity valve)."""
    return sum(1 for p in planned if p.safety.proposed is not None and p.decision.current is not None
               and p.safety.proposed.max_htlc_msat != p.decision.current.max_htlc_msat)


def forwards_7d(item: PlannedDecision) -> str:
    """7-day forwards and fees earned, e.g. ``12 / 3,456 sat``."""
    return f"{item.facts.n_forwards_7d} / {item.facts.fee_7d_msat // 1000:,} sat"
