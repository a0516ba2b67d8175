"""One transaction from start to end: audit, backup, apply, verify, and restore on failure.

The order of every batch, each step stored before the next node call:

1. the transaction and every channel (``planned`` or ``skipped`` with its reason) are written;
2. every planned channel's policy is read; the reads become one checksummed backup (``backed_up``);
   a channel whose policy moved since the plan is skipped as drifted;
3. per channel: kill switch checked, a ``pending`` policy change recorded, the policy sent
   (``applied``), read back until it matches (``verified``; the change becomes ``applied``);
4. on a failure an *atomic* batch stops and puts every written channel back to the backup (read
   from the store, checksum verified), each restore read back (``restored``; changes ``rolled_back``);
5. the transaction is closed. It stays ``PENDING`` while any written channel is neither verified
   nor restored; ``Recovery`` finishes it at the next start.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from mcp_lightning.domain.channel import Policy
from mcp_lightning.engine.plan import PolicyChange
from mcp_lightning.engine.ports import NodePort
from mcp_lightning.errors import BackupIntegrityError, KillSwitchEngaged
from mcp_lightning.execution.channel_ops import RetryPolicy, matches, read_policy, write_verified
from mcp_lightning.execution.journal import EventLog, Journal
from mcp_lightning.execution.model import (
    ChangeStatus,
    ChannelStep,
    ChannelTarget,
    StepStatus,
    Transaction,
    TxReport,
)
from mcp_lightning.execution.ports import ExecutionStore


@dataclass
class NodeLink:
    """The node being written, and how: retries, the kill switch check, the clock and the log.

    Attributes:
        node: the node.
        node_pubkey: its id (every transaction and policy change names it).
        retry: attempts and back-off per channel.
        clock: current UTC time.
        log: structured logger (``log.info(event, **fields)``).
    """

    store: ExecutionStore
    node: NodePort
    node_pubkey: str
    retry: RetryPolicy
    clock: Callable[[], datetime]
    log: EventLog
    inbound: bool = field(init=False)

    def __post_init__(self) -> None:
        self.inbound = bool(getattr(self.node.capabilities, "supports_inbound_fees", True))

    def check_writes_allowed(self) -> None:
        """Raise ``KillSwitchEngaged`` when the kill switch is on (called before every write)."""
        state = self.store.kill_switch()
        if state.engaged:
            raise KillSwitchEngaged(f"the kill switch is engaged ({state.reason or 'no reason given'}): "
                                    "no policy is written", hint="release it with `mcpln killswitch off`")


def planned_step(tx: Transaction, seq: int, target: ChannelTarget, at: datetime) -> ChannelStep:
    """The first state of a channel in a transaction."""
    return ChannelStep(tx_id=tx.tx_id, seq=seq, chan_id=target.chan_id, status=StepStatus.PLANNED,
                       target=target.target, expected=target.expected, backup=None, observed=None, reason=None,
                       n_attempts=0, policy_change_id=None, approval_id=target.approval_id, updated_at=at)


class Batch:
    """Runs one transaction (see the module docstring)."""

    def __init__(self, link: NodeLink, tx: Transaction) -> None:
        self.link, self.tx = link, tx
        self.journal = Journal(link, tx)
        self._backup: dict[int, Policy] | str | None = None

    def run(self, targets: Sequence[ChannelTarget], skips: Sequence[tuple[ChannelTarget, str]]) -> TxReport:
        """Carry out the batch; returns the transaction as it ended."""
        now = self.link.clock()
        steps = [planned_step(self.tx, i, t, now) for i, t in enumerate(targets)]
        steps += [planned_step(self.tx, len(targets) + i, t, now).moved(StepStatus.SKIPPED, now, reason=why)
                  for i, (t, why) in enumerate(skips)]
        self.link.store.open_transaction(self.tx, steps)
        self.journal.opened(steps)
        failure = self._backup_phase()
        if failure is not None and self.tx.atomic:
            return self.journal.abort(f"{failure}; nothing was sent")
        failure = self._apply_phase() or failure
        if self.journal.halted is None and failure is not None and self.tx.atomic:
            self.restore_all(f"batch failed ({failure})")
        return self.journal.close(failure)

    def _backup_phase(self) -> str | None:
        failure = None
        for step in self.journal.with_status(StepStatus.PLANNED):
            read = read_policy(self.link.node, step.chan_id, self.link.retry)
            now = self.link.clock()
            if read.policy is None:
                self.journal.put(step.moved(StepStatus.FAILED, now, reason=f"backup read failed: {read.error}"))
                failure = failure or f"backup read of channel {step.chan_id} failed ({read.error})"
                if self.tx.atomic:
                    break
            elif step.expected is not None and not matches(step.expected, read.policy, inbound=self.link.inbound):
                self.journal.put(step.moved(StepStatus.SKIPPED, now, observed=read.policy, reason=(
                    f"policy changed since the plan: node shows {read.policy.fee_rate_ppm} ppm / "
                    f"{read.policy.base_fee_msat} msat, plan assumed {step.expected.fee_rate_ppm} ppm / "
                    f"{step.expected.base_fee_msat} msat")))
            else:
                self.journal.put(step.moved(StepStatus.BACKED_UP, now, backup=read.policy, observed=read.policy))
        if failure is None or not self.tx.atomic:
            self.journal.record_backup()
        return failure

    def _apply_phase(self) -> str | None:
        failure = None
        for step in self.journal.with_status(StepStatus.BACKED_UP):
            outcome = self._apply_one(step)
            if outcome == "halt":
                return None
            if outcome is not None:
                failure = failure or f"channel {step.chan_id}: {outcome}"
                if self.tx.atomic:
                    break
                self.restore(self.journal.step(step.chan_id), "its change failed")
        return failure

    def _apply_one(self, step: ChannelStep) -> str | None:
        """Send one channel's target and verify it; returns None, a failure reason, or ``"halt"``."""
        try:
            self.link.check_writes_allowed()
        except KillSwitchEngaged as exc:
            self.journal.halt(str(exc), self.journal.step(step.chan_id))
            return "halt"
        change = PolicyChange(step.chan_id, self.link.clock(), step.backup, step.target, self.tx.run_id)
        step = self.link.store.begin_write(step, change, self.link.node_pubkey)
        self.journal.put(step)
        try:
            result = write_verified(self.link.node, step.chan_id, step.target, self.link.retry,
                                    self.link.check_writes_allowed, inbound=self.link.inbound,
                                    on_sent=self.journal.sent_callback(step.chan_id))
        except KillSwitchEngaged as exc:
            self.journal.halt(str(exc), self.journal.step(step.chan_id))
            return "halt"
        return self.journal.applied(step.chan_id, result)

    def backup_policies(self) -> dict[int, Policy] | str:
        """The transaction's backup from the store, checksum verified (read once), or why it cannot be used."""
        if self._backup is None:
            backup_id = self.journal.backup_id or self.tx.backup_id
            if backup_id is None:
                return "no backup was recorded"
            try:
                self._backup = self.link.store.load_backup(backup_id).policies
            except BackupIntegrityError as exc:
                self._backup = exc.message
        return self._backup

    def restore_all(self, why: str) -> None:
        """Put every written channel back to its backup, and mark unsent ones skipped."""
        now = self.link.clock()
        for step in self.journal.steps():
            if step.status is StepStatus.BACKED_UP and not step.sent:
                self.journal.put(step.moved(StepStatus.SKIPPED, now, reason=f"not sent: {why}"), save=True)
            elif step.sent and step.status is not StepStatus.RESTORED:
                self.restore(step, why)
                if self.journal.halted is not None:
                    return

    def restore(self, step: ChannelStep, why: str) -> None:
        """Put one channel back to its checksummed backup and read it back."""
        policies = self.backup_policies()
        backup = policies.get(step.chan_id) if isinstance(policies, dict) else None
        if backup is None or backup != step.backup:
            problem = policies if isinstance(policies, str) else f"channel {step.chan_id} is not in the backup"
            self.journal.restore_failed(step, f"cannot restore: {problem}")
            return
        read = read_policy(self.link.node, step.chan_id, self.link.retry)
        if read.policy is not None and matches(backup, read.policy, inbound=self.link.inbound):
            self.journal.restored(step, read.policy, why, n_writes=0)
            return
        try:
            result = write_verified(self.link.node, step.chan_id, backup, self.link.retry,
                                    self.link.check_writes_allowed, inbound=self.link.inbound)
        except KillSwitchEngaged as exc:
            self.journal.halt(str(exc), step)
            return
        if result.verified and result.observed is not None:
            self.journal.restored(step, result.observed, why, n_writes=result.n_attempts)
        else:
            self.journal.restore_failed(step, f"restore not verified after {result.n_attempts} writes: {result.error}")


__all__ = ["Batch", "ChangeStatus", "NodeLink", "planned_step"]
