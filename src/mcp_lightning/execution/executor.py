"""The executor: the one way a policy reaches a node (plan -> approval -> backup -> apply -> verify).

::

    executor = Executor(store, node, node_pubkey)        # recovery runs before the first write
    outcome = executor.apply_run(run_id, mode=Mode.AUTO, rollout=Rollout((a, b, c), stage=1))
    executor.apply_approved()                            # approve mode, after `mcpln approvals approve`
    executor.rollback_tx(tx_id)                          # or rollback_channels / rollback_backup
    executor.rollback_if_triggered(tx_id, before, after, now)

Shadow mode (the default) sends nothing and records nothing: it returns what would be sent. Approve
mode queues each change. Auto mode runs a ``Batch``. Every batch re-checks the kill switch before
each write, and the cooldown and daily cap against the stored policy changes before it starts.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import structlog

from mcp_lightning.engine.engine_config import SafetyLimits
from mcp_lightning.engine.ports import NodePort
from mcp_lightning.errors import ExecutionError, InputError
from mcp_lightning.execution import approvals as queue
from mcp_lightning.execution.batch import Batch, NodeLink
from mcp_lightning.execution.channel_ops import RetryPolicy, utc_now
from mcp_lightning.execution.journal import EventLog
from mcp_lightning.execution.model import (
    Approval,
    ApprovalStatus,
    ChannelTarget,
    Mode,
    StepStatus,
    Transaction,
    TxKind,
    TxReport,
    TxStatus,
)
from mcp_lightning.execution.ports import ExecutionStore
from mcp_lightning.execution.recovery import recover_open, this_process
from mcp_lightning.execution.rollback import backup_targets, rollback_targets, undone_status, unknown_channels
from mcp_lightning.execution.selection import (
    Rollout,
    Skip,
    apply_cooldown,
    apply_rollout,
    recent_changes,
    targets_from_plan,
)
from mcp_lightning.execution.triggers import (
    MetricsWindow,
    TriggerAction,
    TriggerThresholds,
    TriggerVerdict,
    evaluate_trigger,
)


@dataclass(frozen=True, slots=True)
class ExecutorOptions:
    """How the executor behaves.

    Attributes:
        retry: attempts and back-off per channel.
        limits: the cooldown and daily cap re-checked before sending (other limits are the planner's).
        approval_ttl: how long a queued change may wait for approval.
        triggers: the automatic-rollback thresholds.
    """

    retry: RetryPolicy = field(default_factory=RetryPolicy)
    limits: SafetyLimits = field(default_factory=SafetyLimits)
    approval_ttl: timedelta = queue.APPROVAL_TTL
    triggers: TriggerThresholds = field(default_factory=TriggerThresholds)


@dataclass(frozen=True, slots=True)
class ApplyOutcome:
    """What ``apply_run`` did in its mode.

    Attributes:
        mode: the mode.
        run_id: the run carried out.
        selected: changes that passed the rollout and the cooldown (sent in auto mode).
        skipped: changes held back, with the reason.
        report: the transaction, in auto mode.
        approvals: the queued changes, in approve mode.
    """

    mode: Mode
    run_id: str
    selected: tuple[ChannelTarget, ...]
    skipped: tuple[Skip, ...]
    report: TxReport | None = None
    approvals: tuple[Approval, ...] = ()


class Executor:
    """Applies, rolls back and recovers policy changes on one node (see the module docstring).

    Args:
        store: runs, transactions, backups, approvals and the kill switch.
        node: the node (a ``NodePort`` adapter).
        node_pubkey: the node's id; runs planned for another node are refused.
        options: retries, limits, approval lifetime, trigger thresholds.
        clock: current UTC time.
        log: a structlog logger (default ``structlog.get_logger("mcp_lightning.execution")``).
    """

    def __init__(self, store: ExecutionStore, node: NodePort, node_pubkey: str, *,
                 options: ExecutorOptions | None = None, clock: Callable[[], datetime] = utc_now,
                 log: EventLog | None = None) -> None:
        self.store, self.options = store, options or ExecutorOptions()
        self.link = NodeLink(store, node, node_pubkey, self.options.retry, clock,
                             log or structlog.get_logger("mcp_lightning.execution"))
        self._recovered = False

    @property
    def node_pubkey(self) -> str:
        """The node written to."""
        return self.link.node_pubkey

    def recover(self) -> list[TxReport]:
        """Finish every transaction a crash left open (see ``execution.recovery``); returns them."""
        self._recovered = True
        return recover_open(self.link)

    def apply_run(self, run_id: str, *, mode: Mode = Mode.SHADOW, rollout: Rollout | None = None) -> ApplyOutcome:
        """Carry out a recorded run's plan in ``mode``.

        Raises:
            InputError: unknown run id. ExecutionError: the run was planned for another node.
            KillSwitchEngaged: auto mode while the kill switch is on (nothing is recorded or sent).
        """
        run = self.store.find_run(run_id)
        if run.node_pubkey != self.node_pubkey:
            raise ExecutionError(f"run {run.run_id[:8]} was planned for node {run.node_pubkey[:16]}…, "
                                 f"not for the connected node {self.node_pubkey[:16]}…",
                                 hint="apply a run of this node, or connect to the node it was planned for")
        targets = targets_from_plan(self.store.run_plan(run.run_id))
        selected, skipped = self._select(targets, rollout or Rollout(), check_cooldown=True)
        if mode is Mode.SHADOW:
            return ApplyOutcome(mode, run.run_id, tuple(selected), tuple(skipped))
        if mode is Mode.APPROVE:
            queued = self.store.add_approvals(queue.new_approvals(run, targets, self.link.clock(),
                                                                  self.options.approval_ttl))
            return ApplyOutcome(mode, run.run_id, tuple(targets), (), approvals=tuple(queued))
        report = self.execute(run.run_id, targets, rollout=rollout)
        return ApplyOutcome(mode, run.run_id, tuple(selected), tuple(skipped), report=report)

    def _select(self, targets: Sequence[ChannelTarget], rollout: Rollout,
                *, check_cooldown: bool) -> tuple[list[ChannelTarget], list[Skip]]:
        chosen, held = apply_rollout(targets, rollout)
        if not check_cooldown:
            return chosen, held
        now = self.link.clock()
        changes = self.store.policy_changes_since(now - timedelta(days=1), node_pubkey=self.node_pubkey)
        chosen, refused = apply_cooldown(chosen, self.options.limits, now, recent_changes(changes))
        return chosen, held + refused

    def execute(self, run_id: str | None, targets: Sequence[ChannelTarget], *, rollout: Rollout | None = None,
                mode: Mode = Mode.AUTO) -> TxReport:
        """Apply changes now, as one atomic transaction (auto mode, or approved changes).

        The changes pass the rollout, the cooldown and the daily cap first; open transactions of
        the node are recovered before anything is sent.

        Raises:
            KillSwitchEngaged: when the kill switch is on (nothing is recorded or sent).
        """
        self.link.check_writes_allowed()
        if not self._recovered:
            self.recover()
        selected, skipped = self._select(targets, rollout or Rollout(), check_cooldown=True)
        now = self.link.clock()
        tx = Transaction(tx_id=uuid.uuid4().hex, kind=TxKind.APPLY, mode=mode, status=TxStatus.PENDING,
                         node_pubkey=self.node_pubkey, run_id=run_id, parent_tx_id=None, backup_id=None,
                         atomic=True, reason=None, created_at=now, updated_at=now, owner=this_process())
        return Batch(self.link, tx).run(selected, skipped)

    def apply_approved(self, rollout: Rollout | None = None) -> list[TxReport]:
        """Expire overdue approvals, then send the approved ones (one transaction per run)."""
        now = self.link.clock()
        queue.expire_due(self.store, now, self.node_pubkey)
        approved = self.store.approvals(statuses=[ApprovalStatus.APPROVED], node_pubkey=self.node_pubkey)
        reports = []
        for run_id, targets in queue.approved_targets(approved).items():
            report = self.execute(run_id, targets, rollout=rollout, mode=Mode.APPROVE)
            self._settle_approvals(report)
            reports.append(report)
        return reports

    def _settle_approvals(self, report: TxReport) -> None:
        now = self.link.clock()
        for step in report.steps:
            if step.approval_id is None or step.status is StepStatus.SKIPPED:
                continue  # held back (rollout, cooldown, drift): stays approved until it expires
            ok = step.status is StepStatus.VERIFIED
            self.store.set_approval_status([step.approval_id], ApprovalStatus.APPLIED if ok else ApprovalStatus.FAILED,
                                           now, reason=None if ok else step.reason, tx_id=report.tx.tx_id)

    def rollback_tx(self, tx_id: str, *, chan_ids: Collection[int] | None = None, reason: str = "manual rollback",
                    force: bool = False) -> TxReport:
        """Put the channels a transaction changed (all, or ``chan_ids``) back to its backup.

        Raises:
            InputError: unknown transaction, a transaction of another node, or no channel to roll back.
            BackupIntegrityError: when the transaction's backup fails its checksum.
        """
        parent = self.store.transaction(tx_id)
        if parent.tx.node_pubkey != self.node_pubkey:
            raise InputError(f"transaction {parent.tx.tx_id[:8]} wrote node {parent.tx.node_pubkey[:16]}…, "
                             f"not the connected node {self.node_pubkey[:16]}…")
        if parent.tx.backup_id is None:
            raise InputError(f"transaction {parent.tx.tx_id[:8]} has no backup: it sent nothing")
        backup = self.store.load_backup(parent.tx.backup_id)
        targets, skipped = rollback_targets(parent, backup.policies, chan_ids=chan_ids, force=force)
        missing = unknown_channels(chan_ids or (), [t.chan_id for t, _ in skipped] + [t.chan_id for t in targets])
        if missing or not (targets or skipped):
            raise InputError(f"transaction {parent.tx.tx_id[:8]} verified no change of channel(s) "
                             f"{', '.join(map(str, missing)) or '(any)'}", hint="see `mcpln rollback --list`")
        report = self._rollback(parent.tx.run_id, targets, skipped, parent.tx.tx_id, reason)
        status = undone_status(parent, report)
        if status is not parent.tx.status:
            self.store.close_transaction(parent.tx.tx_id, status, f"{reason} (tx {report.tx.tx_id[:8]})",
                                         self.link.clock())
        return report

    def _rollback(self, run_id: str | None, targets: Sequence[ChannelTarget], skipped: Sequence[Skip],
                  parent_tx_id: str | None, reason: str) -> TxReport:
        self.link.check_writes_allowed()
        if not self._recovered:
            self.recover()
        now = self.link.clock()
        tx = Transaction(tx_id=uuid.uuid4().hex, kind=TxKind.ROLLBACK, mode=Mode.AUTO, status=TxStatus.PENDING,
                         node_pubkey=self.node_pubkey, run_id=run_id, parent_tx_id=parent_tx_id, backup_id=None,
                         atomic=False, reason=reason, created_at=now, updated_at=now, owner=this_process())
        return Batch(self.link, tx).run(targets, skipped)

    def rollback_channels(self, chan_ids: Collection[int], *, reason: str = "manual rollback",
                          force: bool = False) -> list[TxReport]:
        """Undo the latest applied change of each channel (one rollback per transaction involved).

        Raises:
            InputError: when a channel has no applied change on record.
        """
        latest = self.store.latest_applied_steps(chan_ids, self.node_pubkey)
        missing = unknown_channels(chan_ids, latest)
        if missing:
            raise InputError(f"no applied change on record for channel(s) {', '.join(map(str, missing))}",
                             hint="see `mcpln rollback --list` for what can be rolled back")
        by_tx: dict[str, set[int]] = {}
        for chan_id, step in latest.items():
            by_tx.setdefault(step.tx_id, set()).add(chan_id)
        return [self.rollback_tx(tx_id, chan_ids=chans, reason=reason, force=force) for tx_id, chans in by_tx.items()]

    def rollback_backup(self, backup_id: int, *, chan_ids: Collection[int] | None = None,
                        reason: str = "restore of a backup") -> TxReport:
        """Put channels back to a stored (or imported) backup, checksum verified (disaster recovery)."""
        backup = self.store.load_backup(backup_id)
        if backup.node_pubkey != self.node_pubkey:
            raise InputError(f"backup {backup_id} is of node {backup.node_pubkey[:16]}…, not the connected node")
        return self._rollback(None, backup_targets(backup.policies, chan_ids), [], None, reason)

    def rollback_if_triggered(self, tx_id: str, before: MetricsWindow, after: MetricsWindow,
                              now: datetime) -> tuple[TriggerVerdict, TxReport | None]:
        """Evaluate the automatic rollback triggers for a transaction; roll it back when one fires."""
        parent = self.store.transaction(tx_id)
        applied_at = [s.updated_at for s in parent.steps if s.status is StepStatus.VERIFIED]
        changed_at = max(applied_at) if applied_at else parent.tx.updated_at
        verdict = evaluate_trigger(before, after, changed_at, now, self.options.triggers)
        self.link.log.info("trigger.evaluated", tx_id=parent.tx.tx_id,
                           action=verdict.action.value, rule=verdict.rule, reason=verdict.reason)
        if verdict.action is not TriggerAction.ROLL_BACK:
            return verdict, None
        return verdict, self.rollback_tx(parent.tx.tx_id, reason=f"automatic ({verdict.rule}): {verdict.reason}")
