"""Which planned changes a batch may send: plan -> targets, the rollout allow-list, the cooldown. Pure.

Gradual rollout: with an allow-list ``[a, b, c, d, e, f]`` stage 1 lets only ``a`` change, stage 3
``a, b, c``, stage 5 the first five, and stage "all" every listed channel; without an allow-list the
stages count channels of the plan in ``chan_id`` order. Everything else is skipped with the reason.
The cooldown and daily cap of ``engine.safety`` are checked again at send time, against the
``policy_changes`` the store holds, so they hold across restarts and between overlapping runs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from mcp_lightning.engine.engine_config import SafetyLimits
from mcp_lightning.engine.plan import PlannedDecision, PolicyChange, Verdict
from mcp_lightning.engine.safety import Proposal, Rejection, SafetyState, cooldown, daily_cap
from mcp_lightning.execution.model import ChannelTarget

ROLLOUT_STAGES: tuple[int | None, ...] = (1, 3, 5, None)
"""The rollout stages: 1, 3, 5 channels, then all (None)."""

Skip = tuple[ChannelTarget, str]


@dataclass(frozen=True, slots=True)
class Rollout:
    """The gradual-rollout allow-list.

    Attributes:
        allow_chan_ids: channels that may change, in rollout order; None allows every channel.
        stage: how many of them may change now (one of ``ROLLOUT_STAGES``); None means all.
    """

    allow_chan_ids: tuple[int, ...] | None = None
    stage: int | None = None

    def __post_init__(self) -> None:
        if self.stage not in ROLLOUT_STAGES:
            raise ValueError(f"rollout stage {self.stage} is not one of 1, 3, 5 or all")

    def describe(self) -> str:
        """E.g. ``"stage 3 of 1, 3, 5, all over 6 allowed channels"``."""
        listed = "every channel" if self.allow_chan_ids is None else f"{len(self.allow_chan_ids)} allowed channels"
        return f"stage {self.stage or 'all'} of 1, 3, 5, all over {listed}"


def targets_from_plan(planned: Sequence[PlannedDecision]) -> list[ChannelTarget]:
    """The changes a recorded plan would send: decisions the safety chain allowed or adjusted."""
    targets = []
    for p in planned:
        if p.safety.verdict in (Verdict.ALLOWED, Verdict.ADJUSTED) and p.safety.proposed is not None:
            targets.append(ChannelTarget(chan_id=p.decision.chan_id, target=p.safety.proposed,
                                         expected=p.decision.current, peer_pubkey=p.decision.peer_pubkey))
    return targets


def apply_rollout(targets: Sequence[ChannelTarget], rollout: Rollout) -> tuple[list[ChannelTarget], list[Skip]]:
    """Split targets into those the rollout lets through and those held back (with the reason)."""
    pool = list(rollout.allow_chan_ids) if rollout.allow_chan_ids is not None else sorted(t.chan_id for t in targets)
    enabled = set(pool if rollout.stage is None else pool[: rollout.stage])
    chosen, held = [], []
    for target in targets:
        if target.chan_id in enabled:
            chosen.append(target)
        elif rollout.allow_chan_ids is not None and target.chan_id not in rollout.allow_chan_ids:
            held.append((target, f"not in the rollout allow-list ({rollout.describe()})"))
        else:
            held.append((target, f"held back by the rollout ({rollout.describe()})"))
    return chosen, held


def recent_changes(changes: Sequence[PolicyChange]) -> dict[int, list[datetime]]:
    """chan_id -> UTC times of its recorded policy changes (what the safety rules read)."""
    recent: dict[int, list[datetime]] = {}
    for change in changes:
        recent.setdefault(change.chan_id, []).append(change.applied_at)
    return recent


def apply_cooldown(targets: Sequence[ChannelTarget], limits: SafetyLimits, now: datetime,
                   recent: Mapping[int, Sequence[datetime]]) -> tuple[list[ChannelTarget], list[Skip]]:
    """Split targets into those past their cooldown and daily cap, and those refused (with the rule's reason)."""
    state = SafetyState(limits, now, recent)
    chosen, refused = [], []
    for target in targets:
        proposal = Proposal(target.chan_id, target.peer_pubkey, target.expected or target.target, target.target)
        outcome = daily_cap(proposal, state)
        if not isinstance(outcome, Rejection):
            outcome = cooldown(proposal, state)
        if isinstance(outcome, Rejection):
            refused.append((target, f"{outcome.rule}: {outcome.reason}"))
        else:
            chosen.append(target)
    return chosen, refused
