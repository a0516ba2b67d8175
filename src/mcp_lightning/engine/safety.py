"""Safety rules: a pure, ordered chain every proposed policy change passes through.

Each rule is a function ``(proposal, state) -> Proposal | Rejection``. Clamping rules return an
adjusted proposal with a note; refusing rules return a :class:`Rejection` (a value, not an
exception). Order matters and is fixed in :data:`CHAIN`:

| # | rule          | effect                                                                        |
|---|---------------|-------------------------------------------------------------------------------|
| 1 | blacklist     | reject channels and peers the operator excluded                               |
| 2 | pinned        | reject channels and peers pinned at a fixed fee                               |
| 3 | bounds        | keep fee_rate_ppm and base_fee_msat inside [min, max] and within ±max_change  |
|   |               | of the current fee; reject when no value satisfies both                       |
| 4 | min_delta     | reject changes too small to be worth a gossip update                          |
| 5 | cooldown      | reject when the channel changed less than ``cooldown_s`` ago                  |
| 6 | daily_cap     | reject when the channel already changed ``max_changes_per_day`` times in 24 h  |
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from mcp_lightning.domain.channel import Policy
from mcp_lightning.domain.decision import Decision
from mcp_lightning.engine.engine_config import SafetyLimits
from mcp_lightning.engine.plan import SafetyResult, Verdict
from mcp_lightning.units import Msat, Ppm


@dataclass(frozen=True, slots=True)
class Proposal:
    """A proposed change of one channel's outbound policy, with the notes of rules that adjusted it."""

    chan_id: int
    peer_pubkey: str
    current: Policy
    proposed: Policy
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Rejection:
    """A rule refused the change: which rule, and why (values with units)."""

    rule: str
    reason: str


@dataclass(frozen=True, slots=True)
class SafetyState:
    """What the rules need besides the proposal.

    Attributes:
        limits: the configured limits.
        now: evaluation time, UTC.
        recent_changes_at: chan_id -> UTC times of changes applied in the last 24 h or more.
    """

    limits: SafetyLimits
    now: datetime
    recent_changes_at: Mapping[int, Sequence[datetime]]


SafetyRule = Callable[[Proposal, SafetyState], "Proposal | Rejection"]


def blacklist(p: Proposal, s: SafetyState) -> Proposal | Rejection:
    """Reject blacklisted channels and peers."""
    if p.chan_id in s.limits.blacklist_chan_ids:
        return Rejection("blacklist", f"Channel {p.chan_id} is blacklisted; it is never changed.")
    if p.peer_pubkey in s.limits.blacklist_peers:
        return Rejection("blacklist", f"Peer {p.peer_pubkey[:16]}… is blacklisted; its channels are never changed.")
    return p


def pinned(p: Proposal, s: SafetyState) -> Proposal | Rejection:
    """Reject channels and peers pinned at a fixed fee."""
    pin = s.limits.pinned_chan_ids.get(p.chan_id, s.limits.pinned_peers.get(p.peer_pubkey))
    if pin is not None:
        return Rejection("pinned", f"Channel is pinned at {pin} ppm by configuration.")
    return p


def _step_window(current_ppm: int, limits: SafetyLimits) -> tuple[int, int]:
    """Lowest and highest fee_rate_ppm one step may reach from ``current_ppm``."""
    room = max(limits.max_change_floor_ppm, math.floor(current_ppm * limits.max_change_ratio))
    return max(0, current_ppm - room), current_ppm + room


def bounds(p: Proposal, s: SafetyState) -> Proposal | Rejection:
    """Clamp fee_rate_ppm into [min, max] ∩ the step window, and base_fee_msat into [min, max]."""
    limits, notes = s.limits, list(p.notes)
    step_low, step_high = _step_window(int(p.current.fee_rate_ppm), limits)
    low, high = max(limits.min_fee_rate_ppm, step_low), min(limits.max_fee_rate_ppm, step_high)
    if low > high:
        return Rejection(
            "bounds",
            (
                f"Current fee {p.current.fee_rate_ppm} ppm is outside "
                f"[{limits.min_fee_rate_ppm}, {limits.max_fee_rate_ppm}] ppm and one step of "
                f"±{limits.max_change_ratio:.0%} cannot reach it; set it by hand or widen the bounds."
            ),
        )
    fee = int(p.proposed.fee_rate_ppm)
    clamped_fee = min(max(fee, low), high)
    if clamped_fee != fee:
        notes.append(f"fee_rate_ppm {fee} clamped to {clamped_fee} (allowed {low}..{high} ppm this step).")
    base = int(p.proposed.base_fee_msat)
    clamped_base = min(max(base, limits.min_base_fee_msat), limits.max_base_fee_msat)
    if clamped_base != base:
        notes.append(f"base_fee_msat {base} clamped to {clamped_base}.")
    if clamped_fee == fee and clamped_base == base:
        return p
    proposed = replace(p.proposed, fee_rate_ppm=Ppm(clamped_fee), base_fee_msat=Msat(clamped_base))
    return replace(p, proposed=proposed, notes=tuple(notes))


def min_delta(p: Proposal, s: SafetyState) -> Proposal | Rejection:
    """Reject a change smaller than both ``min_delta_ppm`` and ``min_delta_ratio`` (gossip spam)."""
    old, new = int(p.current.fee_rate_ppm), int(p.proposed.fee_rate_ppm)
    delta = abs(new - old)
    other_fields_same = replace(p.proposed, fee_rate_ppm=p.current.fee_rate_ppm) == p.current
    relative = delta / old if old > 0 else (1.0 if delta else 0.0)
    if other_fields_same and delta < s.limits.min_delta_ppm and relative < s.limits.min_delta_ratio:
        return Rejection(
            "min_delta",
            (
                f"Change of {delta} ppm ({old} -> {new}) is below the minimum of {s.limits.min_delta_ppm} ppm "
                f"or {s.limits.min_delta_ratio:.0%}; not worth a gossip update."
            ),
        )
    return p


def cooldown(p: Proposal, s: SafetyState) -> Proposal | Rejection:
    """Reject when the channel changed less than ``cooldown_s`` seconds ago."""
    changes = s.recent_changes_at.get(p.chan_id, ())
    if changes:
        last = max(changes)
        elapsed_s = (s.now - last).total_seconds()
        if elapsed_s < s.limits.cooldown_s:
            return Rejection(
                "cooldown",
                (f"Channel changed {elapsed_s / 60:.0f} min ago; the cooldown is {s.limits.cooldown_s / 60:.0f} min."),
            )
    return p


def daily_cap(p: Proposal, s: SafetyState) -> Proposal | Rejection:
    """Reject when the channel already changed ``max_changes_per_day`` times in the last 24 h."""
    since = s.now - timedelta(days=1)
    n_changes = sum(1 for t in s.recent_changes_at.get(p.chan_id, ()) if t > since)
    if n_changes >= s.limits.max_changes_per_day:
        return Rejection(
            "daily_cap", (f"Channel changed {n_changes} times in 24 h; the limit is {s.limits.max_changes_per_day}.")
        )
    return p


CHAIN: tuple[SafetyRule, ...] = (blacklist, pinned, bounds, min_delta, cooldown, daily_cap)


def run_chain(proposal: Proposal, state: SafetyState, chain: Sequence[SafetyRule] = CHAIN) -> Proposal | Rejection:
    """Pass ``proposal`` through each rule in order; stop at the first rejection."""
    current = proposal
    for rule in chain:
        outcome = rule(current, state)
        if isinstance(outcome, Rejection):
            return outcome
        current = outcome
    return current


def check_decision(decision: Decision, state: SafetyState) -> SafetyResult:
    """Apply the safety chain to a decision's proposed policy.

    Returns:
        NOT_APPLICABLE when nothing is proposed; REJECTED with rule and reason; ADJUSTED with the
        clamped policy and notes; or ALLOWED with the policy unchanged.
    """
    if decision.proposed is None or decision.current is None:
        return SafetyResult(Verdict.NOT_APPLICABLE)
    outcome = run_chain(Proposal(decision.chan_id, decision.peer_pubkey, decision.current, decision.proposed), state)
    if isinstance(outcome, Rejection):
        return SafetyResult(Verdict.REJECTED, rule=outcome.rule, reason=outcome.reason)
    verdict = Verdict.ADJUSTED if outcome.notes else Verdict.ALLOWED
    return SafetyResult(verdict, proposed=outcome.proposed, notes=outcome.notes)
