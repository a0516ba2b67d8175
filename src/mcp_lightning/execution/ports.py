"""What the executor needs from the store, as a Protocol (``adapters.store.Store`` implements it)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Protocol

from mcp_lightning.domain.channel import Policy
from mcp_lightning.engine.plan import PlannedDecision, PolicyChange, RunSummary
from mcp_lightning.execution.model import (
    Approval,
    ApprovalStatus,
    Backup,
    ChangeStatus,
    ChannelStep,
    KillSwitchState,
    Transaction,
    TxReport,
    TxStatus,
)


class ExecutionStore(Protocol):
    """Runs, transactions, backups, approvals and the kill switch (SQLite or PostgreSQL).

    Every method raises ``StoreError`` when the database fails; a write is all or nothing.
    """

    def find_run(self, prefix: str) -> RunSummary:
        """The recorded run whose id starts with ``prefix`` (``InputError`` when none or several)."""
        ...

    def run_plan(self, run_id: str) -> list[PlannedDecision]:
        """The planned decisions of a recorded run, in plan order."""
        ...

    def policy_changes_since(self, since: datetime, *, node_pubkey: str | None = None) -> list[PolicyChange]:
        """Policy changes at or after ``since`` (UTC), oldest first, whatever their status."""
        ...

    def open_transaction(self, tx: Transaction, steps: Sequence[ChannelStep]) -> None:
        """Write a transaction and all its steps before anything is sent."""
        ...

    def save_steps(self, steps: Sequence[ChannelStep], *, change_status: ChangeStatus | None = None,
                   backup_id: int | None = None) -> None:
        """Overwrite the stored state of steps of one transaction (and their policy changes' status)."""
        ...

    def begin_write(self, step: ChannelStep, change: PolicyChange, node_pubkey: str) -> ChannelStep:
        """Record a ``pending`` policy change for the step before its first write; returns the linked step."""
        ...

    def close_transaction(self, tx_id: str, status: TxStatus, reason: str | None, at: datetime) -> None:
        """Set a transaction's status and reason."""
        ...

    def transaction(self, tx_id: str) -> TxReport:
        """A transaction (id or unique prefix) with its steps (``InputError`` when unknown)."""
        ...

    def open_transactions(self, node_pubkey: str) -> list[TxReport]:
        """The ``PENDING`` transactions of a node, oldest first."""
        ...

    def latest_applied_steps(self, chan_ids: Iterable[int], node_pubkey: str) -> dict[int, ChannelStep]:
        """Each channel's most recent step verified by an apply transaction."""
        ...

    def record_backup(self, node_pubkey: str, policies: Mapping[int, Policy], label: str, at: datetime,
                      steps: Sequence[ChannelStep] = ()) -> Backup:
        """Store a new checksummed backup (and save ``steps``, linking it to their transaction)."""
        ...

    def load_backup(self, backup_id: int) -> Backup:
        """A backup with its checksum verified (``BackupIntegrityError`` when it fails)."""
        ...

    def kill_switch(self) -> KillSwitchState:
        """The kill switch as stored now."""
        ...

    def add_approvals(self, approvals: Sequence[Approval]) -> list[Approval]:
        """Queue changes for approval; returns them with their ids."""
        ...

    def approvals(self, *, statuses: Iterable[ApprovalStatus] | None = None, ids: Iterable[int] | None = None,
                  node_pubkey: str | None = None) -> list[Approval]:
        """Queued changes, oldest first."""
        ...

    def set_approval_status(self, ids: Iterable[int], status: ApprovalStatus, at: datetime, *,
                            reason: str | None = None, tx_id: str | None = None) -> None:
        """Move approvals to a status."""
        ...
