"""The values of safe execution: modes, transactions, per-channel steps, approvals and backups.

A *transaction* is one batch of policy writes to one node. Its channels move through steps, each
written to the store before the next node call::

    planned -> backed_up -> applied -> verified                 (committed)
                     \\-> failed ----------\\
                                          restored              (verified at the backup)
    skipped                                                     (never sent, with the reason)

A transaction stays ``PENDING`` until every channel that may have been written is verified at its
target or at its backup; recovery at start-up finishes every ``PENDING`` transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from mcp_lightning.domain.channel import Policy


class Mode(StrEnum):
    """How a plan reaches the node."""

    SHADOW = "shadow"  # nothing is sent (the default)
    APPROVE = "approve"  # each change waits in the approvals queue for a human
    AUTO = "auto"  # changes are applied, verified and recorded at once


class TxStatus(StrEnum):
    """Where a transaction stands."""

    PENDING = "PENDING"  # open: writes may be in flight; recovery finishes it
    SUCCESS = "SUCCESS"  # every selected channel is verified at its target
    FAILED = "FAILED"  # aborted before anything was sent (e.g. a backup read failed)
    ROLLED_BACK = "ROLLED_BACK"  # every channel written is verified back at its backup
    PARTIAL = "PARTIAL"  # some channels at their target, the others at their backup or not sent


class TxKind(StrEnum):
    """Why a transaction was opened."""

    APPLY = "apply"  # apply a recorded plan (or approved changes)
    ROLLBACK = "rollback"  # put channels back to a backup


class StepStatus(StrEnum):
    """Where one channel of a transaction stands."""

    PLANNED = "planned"
    BACKED_UP = "backed_up"
    APPLIED = "applied"
    VERIFIED = "verified"
    RESTORED = "restored"
    FAILED = "failed"
    SKIPPED = "skipped"


SETTLED_STEPS = frozenset({StepStatus.VERIFIED, StepStatus.RESTORED, StepStatus.SKIPPED})
"""Steps that need nothing more: the channel is at its target, at its backup, or was never sent."""


class ChangeStatus(StrEnum):
    """Status of the ``policy_changes`` row written for each channel a transaction writes."""

    PENDING = "pending"  # about to be sent, or sent without an answer yet
    APPLIED = "applied"  # verified on the node
    ROLLED_BACK = "rolled_back"  # written, then restored (still counts for cooldowns)


@dataclass(frozen=True, slots=True)
class ChannelTarget:
    """One channel change to make.

    Attributes:
        chan_id: uint64 channel id.
        target: the complete outbound policy to send.
        expected: the policy the plan was made on; when given and the node differs, the channel is
            skipped as drifted. None skips the check (rollbacks to a backup).
        peer_pubkey: the peer, for the safety rules ("" when unknown).
        approval_id: the approval this change came from, in approve mode.
    """

    chan_id: int
    target: Policy
    expected: Policy | None = None
    peer_pubkey: str = ""
    approval_id: int | None = None


@dataclass(frozen=True, slots=True)
class Transaction:
    """One batch of policy writes to one node.

    Attributes:
        tx_id: uuid4 hex.
        kind: apply or rollback.
        mode: the mode it ran in.
        status: where it stands.
        node_pubkey: the node written to.
        run_id: the recorded run whose plan it carries out (also for rollbacks of it).
        parent_tx_id: for a rollback, the transaction it undoes.
        backup_id: the backup snapshot taken before the first write.
        atomic: any failure puts every written channel back (True for applies).
        reason: why it ended as it did (failure, trigger, kill switch), or None.
        created_at: UTC.
        updated_at: UTC.
        owner: ``"host:pid"`` of the process that runs it; recovery skips a transaction whose owner
            is alive on this host (it is still running, not crashed).
    """

    tx_id: str
    kind: TxKind
    mode: Mode
    status: TxStatus
    node_pubkey: str
    run_id: str | None
    parent_tx_id: str | None
    backup_id: int | None
    atomic: bool
    reason: str | None
    created_at: datetime
    updated_at: datetime
    owner: str | None = None


@dataclass(frozen=True, slots=True)
class ChannelStep:
    """One channel of a transaction and how far it got.

    Attributes:
        tx_id: the transaction.
        seq: position in the batch, from 0.
        chan_id: uint64 channel id.
        status: the last step reached.
        target: the policy to send.
        expected: the policy the plan was made on (drift check), or None.
        backup: the policy read from the node before any write, or None before the backup.
        observed: the policy last read back from the node, or None.
        reason: why it failed or was skipped, with values.
        n_attempts: node write attempts made (apply and restore).
        policy_change_id: the ``policy_changes`` row written before the first write, or None
            when nothing was ever sent for this channel.
        approval_id: the approval it came from, or None.
        updated_at: UTC.
    """

    tx_id: str
    seq: int
    chan_id: int
    status: StepStatus
    target: Policy
    expected: Policy | None
    backup: Policy | None
    observed: Policy | None
    reason: str | None
    n_attempts: int
    policy_change_id: int | None
    approval_id: int | None
    updated_at: datetime

    @property
    def sent(self) -> bool:
        """A write may have reached the node for this channel."""
        return self.policy_change_id is not None

    def moved(self, status: StepStatus, at: datetime, **changes: object) -> ChannelStep:
        """This step with a new status, time and any other fields replaced."""
        return replace(self, status=status, updated_at=at, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class TxReport:
    """A transaction and its channels as they ended (what the CLI prints)."""

    tx: Transaction
    steps: tuple[ChannelStep, ...]

    def count(self, status: StepStatus) -> int:
        """How many channels ended at ``status``."""
        return sum(1 for s in self.steps if s.status is status)


class ApprovalStatus(StrEnum):
    """Where a queued change stands."""

    PENDING = "pending"  # waiting for a human
    APPROVED = "approved"  # approved, waiting for ``mcpln apply --approved``
    REJECTED = "rejected"  # refused by a human; never sent
    EXPIRED = "expired"  # not applied within its lifetime (24 h); never sent
    APPLIED = "applied"  # sent and verified
    FAILED = "failed"  # sent, failed and put back (see its transaction)


@dataclass(frozen=True, slots=True)
class Approval:
    """A proposed change waiting for (or past) a human decision.

    Attributes:
        approval_id: store id (0 before it is stored).
        run_id: the run that planned it.
        node_pubkey: the node it is for.
        chan_id: uint64 channel id.
        peer_pubkey: the peer.
        current: the policy the plan was made on.
        proposed: the policy that would be sent.
        status: where it stands.
        created_at: UTC.
        expires_at: UTC; after it the change is skipped and marked expired.
        decided_at: UTC time of the last status change, or None.
        reason: why it was rejected, expired or failed.
        tx_id: the transaction that applied it, or None.
    """

    approval_id: int
    run_id: str
    node_pubkey: str
    chan_id: int
    peer_pubkey: str
    current: Policy | None
    proposed: Policy
    status: ApprovalStatus
    created_at: datetime
    expires_at: datetime
    decided_at: datetime | None = None
    reason: str | None = None
    tx_id: str | None = None


class Tier(StrEnum):
    """Retention tier of a backup (see ``execution.retention``)."""

    HOT = "hot"  # < 7 days: plain JSON, restored instantly
    WARM = "warm"  # 7-30 days: gzip-compressed payload
    COLD = "cold"  # 30-90 days: gzip at the highest level; deleted after 90 days


@dataclass(frozen=True, slots=True)
class Backup:
    """A versioned snapshot of channel policies, with the sha256 of its canonical JSON.

    Attributes:
        backup_id: store id.
        node_pubkey: the node the policies were read from.
        version: 1, 2, ... per node.
        created_at: UTC.
        label: what it was taken for, e.g. ``"before tx 3f2a9c1b"``.
        checksum_sha256: hex sha256 of ``canonical_policies_json(policies)``.
        policies: chan_id -> policy.
        tier: retention tier.
    """

    backup_id: int
    node_pubkey: str
    version: int
    created_at: datetime
    label: str
    checksum_sha256: str
    policies: dict[int, Policy]
    tier: Tier = Tier.HOT


@dataclass(frozen=True, slots=True)
class KillSwitchState:
    """The kill switch: while engaged, no policy is written (checked before every write)."""

    engaged: bool
    reason: str | None = None
    changed_at: datetime | None = None
