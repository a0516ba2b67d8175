"""Store methods of safe execution: transactions and their channels, approvals, the kill switch.

Mixed into ``Store`` (``store.Store``); each method opens its own session and wraps every database
failure into a ``StoreError`` through ``Store._guard``. Together with ``store_backups`` they
implement ``execution.ports.ExecutionStore``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime

from sqlalchemy import Integer, func, literal, select, update
from sqlalchemy.orm import Session, sessionmaker

from mcp_lightning.adapters.store.execution_records import (
    approval_from_row,
    approval_to_row,
    step_from_row,
    step_to_row,
    tx_from_row,
    tx_to_row,
    update_step_row,
)
from mcp_lightning.adapters.store.records import change_to_row, stored_from_row
from mcp_lightning.adapters.store.tables import (
    ApprovalRow,
    DecisionRow,
    KillSwitchRow,
    PolicyChangeRow,
    TransactionChannelRow,
    TransactionRow,
)
from mcp_lightning.engine.plan import PlannedDecision, PolicyChange
from mcp_lightning.errors import InputError
from mcp_lightning.execution.model import (
    Approval,
    ApprovalStatus,
    ChangeStatus,
    ChannelStep,
    KillSwitchState,
    StepStatus,
    Transaction,
    TxKind,
    TxReport,
    TxStatus,
)

KILL_SWITCH_NAME = "global"


class StoreCore:
    """What the store mixins need from ``Store`` (declared here for the type checker)."""

    _sessions: sessionmaker[Session]
    url: str

    def _guard(self, operation: str) -> AbstractContextManager[None]:
        raise NotImplementedError


class ExecutionMethods(StoreCore):
    """Transactions, channel steps, approvals and the kill switch."""

    def run_plan(self, run_id: str) -> list[PlannedDecision]:
        """The planned decisions of a recorded run, in plan order (empty for an unknown run)."""
        stmt = select(DecisionRow).where(DecisionRow.run_id == run_id).order_by(DecisionRow.id)
        with self._guard(f"reading the plan of run {run_id}"), self._sessions() as session:
            return [stored_from_row(row).to_planned() for row in session.scalars(stmt)]

    def open_transaction(self, tx: Transaction, steps: Sequence[ChannelStep]) -> None:
        """Write a new transaction and every channel step in one database transaction (audit first)."""
        with self._guard(f"opening transaction {tx.tx_id}"), self._sessions.begin() as session:
            session.add(tx_to_row(tx))
            session.flush()
            session.add_all([step_to_row(s) for s in steps])

    def save_steps(self, steps: Sequence[ChannelStep], *, change_status: ChangeStatus | None = None,
                   backup_id: int | None = None) -> None:
        """Overwrite the stored state of ``steps`` in one database transaction.

        Args:
            steps: steps of one transaction, as they are now.
            change_status: also set the status of each step's ``policy_changes`` row.
            backup_id: also record this backup on the transaction.
        """
        if not steps:
            return
        tx_id = steps[0].tx_id
        with self._guard(f"saving {len(steps)} channel steps of transaction {tx_id}"), \
                self._sessions.begin() as session:
            self._write_steps(session, steps, change_status)
            if backup_id is not None:
                session.execute(update(TransactionRow).where(TransactionRow.tx_id == tx_id)
                                .values(backup_id=backup_id))

    @staticmethod
    def _write_steps(session: Session, steps: Sequence[ChannelStep], change_status: ChangeStatus | None) -> None:
        by_chan = {s.chan_id: s for s in steps}
        rows = session.scalars(select(TransactionChannelRow).where(
            TransactionChannelRow.tx_id == steps[0].tx_id, TransactionChannelRow.chan_id.in_(by_chan)))
        for row in rows:
            update_step_row(row, by_chan[row.chan_id])
        change_ids = [s.policy_change_id for s in steps if s.policy_change_id is not None]
        if change_status is not None and change_ids:
            session.execute(update(PolicyChangeRow).where(PolicyChangeRow.id.in_(change_ids))
                            .values(status=change_status.value))

    def begin_write(self, step: ChannelStep, change: PolicyChange, node_pubkey: str) -> ChannelStep:
        """Record a write before it is sent: a ``pending`` policy change linked to the step.

        Returns:
            The step with ``policy_change_id`` set (unchanged when it already had one).
        """
        if step.policy_change_id is not None:
            return step
        with self._guard(f"recording the write of channel {step.chan_id}"), self._sessions.begin() as session:
            row = change_to_row(change, node_pubkey, ChangeStatus.PENDING.value)
            session.add(row)
            session.flush()
            linked = step.moved(step.status, step.updated_at, policy_change_id=row.id)
            self._write_steps(session, [linked], None)
        return linked

    def close_transaction(self, tx_id: str, status: TxStatus, reason: str | None, at: datetime) -> None:
        """Set a transaction's final (or still ``PENDING``) status and reason."""
        with self._guard(f"closing transaction {tx_id}"), self._sessions.begin() as session:
            session.execute(update(TransactionRow).where(TransactionRow.tx_id == tx_id)
                            .values(status=status.value, reason=reason, updated_at=at))

    def transaction(self, tx_id: str) -> TxReport:
        """A transaction and its steps in batch order.

        Raises:
            InputError: when no transaction (or more than one) has an id starting with ``tx_id``.
        """
        prefix = tx_id.strip()
        stmt = (select(TransactionRow)
                .where(func.substr(TransactionRow.tx_id, 1, literal(len(prefix), Integer)) == prefix).limit(2))
        with self._guard(f"reading transaction {prefix!r}"), self._sessions() as session:
            rows = list(session.scalars(stmt)) if prefix else []
            if len(rows) != 1:
                what = "no transaction id" if not rows else "more than one transaction id"
                raise InputError(f"{what} starts with {prefix!r} in {self.url}",
                                 hint="list transactions with `mcpln rollback --list`")
            return self._report(session, rows[0])

    @staticmethod
    def _report(session: Session, row: TransactionRow) -> TxReport:
        steps = session.scalars(select(TransactionChannelRow).where(TransactionChannelRow.tx_id == row.tx_id)
                                .order_by(TransactionChannelRow.seq))
        return TxReport(tx_from_row(row), tuple(step_from_row(s) for s in steps))

    def list_transactions(self, limit: int = 20, *, statuses: Iterable[TxStatus] | None = None,
                          node_pubkey: str | None = None, run_id: str | None = None) -> list[TxReport]:
        """Transactions newest first (optionally only some statuses, one node, one run), with their steps."""
        stmt = select(TransactionRow).order_by(TransactionRow.created_at.desc(), TransactionRow.tx_id).limit(limit)
        if run_id is not None:
            stmt = stmt.where(TransactionRow.run_id == run_id)
        if statuses is not None:
            stmt = stmt.where(TransactionRow.status.in_([s.value for s in statuses]))
        if node_pubkey is not None:
            stmt = stmt.where(TransactionRow.node_pubkey == node_pubkey)
        with self._guard("listing transactions"), self._sessions() as session:
            return [self._report(session, row) for row in session.scalars(stmt)]

    def open_transactions(self, node_pubkey: str) -> list[TxReport]:
        """Every ``PENDING`` transaction of a node, oldest first (what recovery finishes)."""
        stmt = (select(TransactionRow).where(TransactionRow.status == TxStatus.PENDING.value,
                                             TransactionRow.node_pubkey == node_pubkey)
                .order_by(TransactionRow.created_at, TransactionRow.tx_id))
        with self._guard("listing open transactions"), self._sessions() as session:
            return [self._report(session, row) for row in session.scalars(stmt)]

    def latest_applied_steps(self, chan_ids: Iterable[int], node_pubkey: str) -> dict[int, ChannelStep]:
        """For each channel, its most recent step verified by an *apply* transaction on this node."""
        wanted = set(chan_ids)
        stmt = (select(TransactionChannelRow).join(TransactionRow)
                .where(TransactionRow.node_pubkey == node_pubkey, TransactionRow.kind == TxKind.APPLY.value,
                       TransactionChannelRow.status == StepStatus.VERIFIED.value,
                       TransactionChannelRow.chan_id.in_(wanted))
                .order_by(TransactionChannelRow.updated_at.desc(), TransactionChannelRow.id.desc()))
        latest: dict[int, ChannelStep] = {}
        with self._guard("reading the latest applied changes"), self._sessions() as session:
            for row in session.scalars(stmt):
                latest.setdefault(row.chan_id, step_from_row(row))
        return latest

    def kill_switch(self) -> KillSwitchState:
        """The kill switch as stored now (disengaged when never set)."""
        with self._guard("reading the kill switch"), self._sessions() as session:
            row = session.get(KillSwitchRow, KILL_SWITCH_NAME)
            if row is None:
                return KillSwitchState(engaged=False)
            return KillSwitchState(engaged=row.engaged, reason=row.reason, changed_at=row.changed_at)

    def set_kill_switch(self, engaged: bool, reason: str | None, at: datetime) -> None:
        """Engage or release the kill switch (takes effect before the next write of any process)."""
        with self._guard("setting the kill switch"), self._sessions.begin() as session:
            row = session.get(KillSwitchRow, KILL_SWITCH_NAME)
            if row is None:
                session.add(KillSwitchRow(name=KILL_SWITCH_NAME, engaged=engaged, reason=reason, changed_at=at))
            else:
                row.engaged, row.reason, row.changed_at = engaged, reason, at

    def add_approvals(self, approvals: Sequence[Approval]) -> list[Approval]:
        """Queue changes for approval in one database transaction; returns them with their ids."""
        with self._guard(f"queueing {len(approvals)} approvals"), self._sessions.begin() as session:
            rows = [approval_to_row(a) for a in approvals]
            session.add_all(rows)
            session.flush()
            return [approval_from_row(r) for r in rows]

    def approvals(self, *, statuses: Iterable[ApprovalStatus] | None = None, ids: Iterable[int] | None = None,
                  node_pubkey: str | None = None) -> list[Approval]:
        """Queued changes, oldest first, filtered by status, id and node when given."""
        stmt = select(ApprovalRow).order_by(ApprovalRow.approval_id)
        if statuses is not None:
            stmt = stmt.where(ApprovalRow.status.in_([s.value for s in statuses]))
        if ids is not None:
            stmt = stmt.where(ApprovalRow.approval_id.in_(list(ids)))
        if node_pubkey is not None:
            stmt = stmt.where(ApprovalRow.node_pubkey == node_pubkey)
        with self._guard("reading approvals"), self._sessions() as session:
            return [approval_from_row(r) for r in session.scalars(stmt)]

    def set_approval_status(self, ids: Iterable[int], status: ApprovalStatus, at: datetime, *,
                            reason: str | None = None, tx_id: str | None = None) -> None:
        """Move approvals to ``status`` (with the reason and the transaction that applied them)."""
        chosen = list(ids)
        if not chosen:
            return
        values: dict[str, object] = {"status": status.value, "decided_at": at, "reason": reason}
        if tx_id is not None:
            values["tx_id"] = tx_id
        with self._guard(f"marking {len(chosen)} approvals {status.value}"), self._sessions.begin() as session:
            session.execute(update(ApprovalRow).where(ApprovalRow.approval_id.in_(chosen)).values(**values))
