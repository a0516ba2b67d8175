"""The approvals queue: in approve mode each change waits for a human, and expires after 24 h.

``queue`` stores one ``pending`` approval per change; ``decide`` approves or rejects pending ones
(an expired one is marked ``expired`` and refused); ``expire_due`` marks every pending or approved
change past its ``expires_at`` as expired, with the reason. ``Executor.apply_approved`` sends the
approved, unexpired ones. Nothing here talks to the node.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from mcp_lightning.engine.plan import RunSummary
from mcp_lightning.errors import InputError
from mcp_lightning.execution.model import Approval, ApprovalStatus, ChannelTarget
from mcp_lightning.execution.ports import ExecutionStore

APPROVAL_TTL = timedelta(hours=24)
"""How long a queued change may wait; after it the change is skipped and marked expired."""

OPEN_STATUSES = (ApprovalStatus.PENDING, ApprovalStatus.APPROVED)


@dataclass(frozen=True, slots=True)
class Decided:
    """What ``decide`` did: approvals moved, and ids refused with the reason."""

    changed: tuple[Approval, ...]
    refused: tuple[tuple[int, str], ...]


def new_approvals(run: RunSummary, targets: Sequence[ChannelTarget], now: datetime,
                  ttl: timedelta = APPROVAL_TTL) -> list[Approval]:
    """One pending approval per target of a run, expiring ``ttl`` after ``now``. Pure."""
    return [Approval(approval_id=0, run_id=run.run_id, node_pubkey=run.node_pubkey, chan_id=t.chan_id,
                     peer_pubkey=t.peer_pubkey, current=t.expected, proposed=t.target, status=ApprovalStatus.PENDING,
                     created_at=now, expires_at=now + ttl) for t in targets]


def expire_due(store: ExecutionStore, now: datetime, node_pubkey: str | None = None) -> list[Approval]:
    """Mark every pending or approved change past its lifetime as expired; returns them."""
    due = [a for a in store.approvals(statuses=OPEN_STATUSES, node_pubkey=node_pubkey) if a.expires_at <= now]
    for approval in due:
        store.set_approval_status([approval.approval_id], ApprovalStatus.EXPIRED, now, reason=(
            f"not applied within {(approval.expires_at - approval.created_at).total_seconds() / 3600:g} h "
            f"(queued {approval.created_at:%Y-%m-%d %H:%M}, expired {approval.expires_at:%Y-%m-%d %H:%M} UTC); "
            "skipped, never sent"))
    return due


def decide(store: ExecutionStore, ids: Iterable[int], approve: bool, now: datetime, *,
           reason: str | None = None) -> Decided:
    """Approve or reject pending changes.

    Args:
        store: the store.
        ids: approval ids.
        approve: True to approve, False to reject.
        now: UTC; a change past its ``expires_at`` is expired instead.
        reason: why (recorded, mostly for rejections).

    Raises:
        InputError: when no id is given.
    """
    wanted = sorted(set(ids))
    if not wanted:
        raise InputError("no approval id given", hint="list them with `mcpln approvals list`")
    expire_due(store, now)
    found = {a.approval_id: a for a in store.approvals(ids=wanted)}
    refused = [(i, "no such approval") for i in wanted if i not in found]
    refused += [(a.approval_id, f"it is {a.status.value}, not pending") for a in found.values()
                if a.status is not ApprovalStatus.PENDING]
    chosen = [a.approval_id for a in found.values() if a.status is ApprovalStatus.PENDING]
    status = ApprovalStatus.APPROVED if approve else ApprovalStatus.REJECTED
    store.set_approval_status(chosen, status, now, reason=reason)
    return Decided(tuple(store.approvals(ids=chosen)), tuple(sorted(refused)))


def approved_targets(approvals: Sequence[Approval]) -> dict[str, list[ChannelTarget]]:
    """run_id -> the approved changes of that run, as targets linked to their approval. Pure."""
    by_run: dict[str, list[ChannelTarget]] = {}
    for a in approvals:
        by_run.setdefault(a.run_id, []).append(ChannelTarget(
            chan_id=a.chan_id, target=a.proposed, expected=a.current, peer_pubkey=a.peer_pubkey,
            approval_id=a.approval_id))
    return by_run
