"""The in-memory state of one transaction, mirrored to the store and the log after every step.

``Journal`` holds each channel's latest ``ChannelStep``, saves each change before the executor's
next node call, writes the structured log events (``execution.tx_opened``, ``policy.applied``,
``policy.rolled_back``, ``execution.tx_closed``, ...) and decides how the transaction ends.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Protocol

from mcp_lightning.domain.channel import Policy
from mcp_lightning.execution.channel_ops import WriteResult, matches, read_policy
from mcp_lightning.execution.model import ChangeStatus, ChannelStep, StepStatus, Transaction, TxReport, TxStatus

if TYPE_CHECKING:
    from mcp_lightning.execution.batch import NodeLink


class EventLog(Protocol):
    """The slice of a structlog logger the executor uses."""

    def info(self, event: str, **fields: Any) -> Any:
        """Log an event at info level."""

    def warning(self, event: str, **fields: Any) -> Any:
        """Log an event at warning level."""

    def error(self, event: str, **fields: Any) -> Any:
        """Log an event at error level."""


def tx_status(steps: Sequence[ChannelStep], *, atomic: bool, failure: str | None, halted: str | None) -> TxStatus:
    """How a transaction ends, from its channels (pure; see ``model.TxStatus``).

    Args:
        steps: every channel as it ended.
        atomic: any failure was meant to put every written channel back.
        failure: the first failure, or None.
        halted: the kill switch reason when the batch was halted, or None.
    """
    if any(s.sent and s.status not in (StepStatus.VERIFIED, StepStatus.RESTORED) for s in steps):
        return TxStatus.PENDING
    n_verified = sum(1 for s in steps if s.status is StepStatus.VERIFIED)
    n_restored = sum(1 for s in steps if s.status is StepStatus.RESTORED)
    if halted is not None:
        return TxStatus.PARTIAL if n_verified else TxStatus.FAILED
    if failure is None:
        return TxStatus.SUCCESS if n_restored == 0 else TxStatus.PARTIAL
    if atomic or n_verified == 0:
        return TxStatus.ROLLED_BACK if n_restored else TxStatus.FAILED
    return TxStatus.PARTIAL


class Journal:
    """Channel steps of one transaction, saved as they move (see the module docstring)."""

    def __init__(self, link: NodeLink, tx: Transaction) -> None:
        self.link, self.tx = link, tx
        self.log = link.log
        self.backup_id = tx.backup_id
        self.halted: str | None = None
        self._steps: dict[int, ChannelStep] = {}
        self._dirty: set[int] = set()

    def opened(self, steps: Sequence[ChannelStep]) -> None:
        """Take the steps just written with the transaction."""
        self.load(steps)
        self.log.info("execution.tx_opened", tx_id=self.tx.tx_id, kind=self.tx.kind.value, mode=self.tx.mode.value,
                      run_id=self.tx.run_id, n_channels=len(steps), atomic=self.tx.atomic)

    def load(self, steps: Sequence[ChannelStep]) -> None:
        """Take steps as stored (recovery)."""
        self._steps = {s.chan_id: s for s in sorted(steps, key=lambda s: s.seq)}

    def steps(self) -> list[ChannelStep]:
        """Every channel, in batch order."""
        return list(self._steps.values())

    def step(self, chan_id: int) -> ChannelStep:
        """One channel's latest step."""
        return self._steps[chan_id]

    def with_status(self, status: StepStatus) -> list[ChannelStep]:
        """The channels at ``status`` now, in batch order."""
        return [s for s in self._steps.values() if s.status is status]

    def put(self, step: ChannelStep, *, save: bool = False, change: ChangeStatus | None = None) -> None:
        """Replace one channel's step; with ``save``, write it (and its change's status) at once."""
        self._steps[step.chan_id] = step
        if save:
            self.link.store.save_steps([step], change_status=change)
            self._dirty.discard(step.chan_id)
        else:
            self._dirty.add(step.chan_id)

    def record_backup(self) -> None:
        """Store the backup of every backed-up channel with the pending steps, in one database transaction."""
        backed = self.with_status(StepStatus.BACKED_UP)
        now = self.link.clock()
        if backed:
            policies = {s.chan_id: s.backup for s in backed if s.backup is not None}
            backup = self.link.store.record_backup(self.link.node_pubkey, policies,
                                                   f"before tx {self.tx.tx_id[:8]}", now, steps=backed)
            self.backup_id = backup.backup_id
            self.log.info("backup.recorded", tx_id=self.tx.tx_id, backup_id=backup.backup_id,
                          version=backup.version, n_channels=len(policies), checksum_sha256=backup.checksum_sha256)
        rest = [self._steps[c] for c in self._dirty if self._steps[c].status is not StepStatus.BACKED_UP]
        self.link.store.save_steps(rest)
        self._dirty.clear()

    def sent_callback(self, chan_id: int) -> Callable[[int, str | None], None]:
        """What ``write_verified`` calls after each write: the channel is ``applied`` (attempt, error)."""
        def sent(n_attempts: int, error: str | None) -> None:
            step = self._steps[chan_id]
            self.put(step.moved(StepStatus.APPLIED, self.link.clock(), n_attempts=n_attempts, reason=error), save=True)
        return sent

    def applied(self, chan_id: int, result: WriteResult) -> str | None:
        """Record the end of one apply; returns None when verified, else the failure reason."""
        step, now = self._steps[chan_id], self.link.clock()
        if result.verified:
            self.put(step.moved(StepStatus.VERIFIED, now, observed=result.observed, reason=None,
                                n_attempts=result.n_attempts), save=True, change=ChangeStatus.APPLIED)
            self.log.info("policy.applied", tx_id=self.tx.tx_id, chan_id=chan_id,
                          fee_rate_ppm=int(step.target.fee_rate_ppm), base_fee_msat=int(step.target.base_fee_msat),
                          n_attempts=result.n_attempts)
            return None
        reason = result.error or "not verified"
        self.put(step.moved(StepStatus.FAILED, now, observed=result.observed, reason=reason,
                            n_attempts=result.n_attempts), save=True)
        self.log.warning("policy.apply_failed", tx_id=self.tx.tx_id, chan_id=chan_id, reason=reason)
        return reason

    def restored(self, step: ChannelStep, observed: Policy, why: str, *, n_writes: int) -> None:
        """A channel is verified back at its backup."""
        note = "restored" if n_writes else "verified at its backup (the change had not landed)"
        self.put(step.moved(StepStatus.RESTORED, self.link.clock(), observed=observed, reason=f"{note}: {why}",
                            n_attempts=step.n_attempts + n_writes), save=True, change=ChangeStatus.ROLLED_BACK)
        self.log.info("policy.rolled_back", tx_id=self.tx.tx_id, chan_id=step.chan_id,
                      fee_rate_ppm=int(observed.fee_rate_ppm), n_writes=n_writes, reason=why)

    def restore_failed(self, step: ChannelStep, reason: str) -> None:
        """A channel could not be put back: it stays open for recovery."""
        self.put(step.moved(StepStatus.FAILED, self.link.clock(), reason=reason), save=True)
        self.log.error("policy.restore_failed", tx_id=self.tx.tx_id, chan_id=step.chan_id, reason=reason)

    def halt(self, reason: str, current: ChannelStep) -> None:
        """The kill switch stopped the batch: settle the channel in flight by a read, skip the rest."""
        self.halted = reason
        now = self.link.clock()
        if current.sent and current.status not in (StepStatus.VERIFIED, StepStatus.RESTORED):
            read = read_policy(self.link.node, current.chan_id, self.link.retry)
            self.settle_by_read(current, read.policy, f"kill switch engaged: {read.error or 'no write sent'}")
        for step in self.steps():
            if not step.sent and step.status in (StepStatus.PLANNED, StepStatus.BACKED_UP):
                self.put(step.moved(StepStatus.SKIPPED, now, reason="not sent: kill switch engaged"), save=True)
        self.log.warning("execution.halted", tx_id=self.tx.tx_id, reason=reason)

    def settle_by_read(self, step: ChannelStep, seen: Policy | None, otherwise: str) -> None:
        """Record where a written channel stands from a read: at its target, at its backup, or unknown."""
        now, inbound = self.link.clock(), self.link.inbound
        if seen is not None and matches(step.target, seen, inbound=inbound):
            self.put(step.moved(StepStatus.VERIFIED, now, observed=seen, reason=None), save=True,
                     change=ChangeStatus.APPLIED)
        elif seen is not None and step.backup is not None and matches(step.backup, seen, inbound=inbound):
            self.put(step.moved(StepStatus.RESTORED, now, observed=seen, reason="the node shows the backup"),
                     save=True, change=ChangeStatus.ROLLED_BACK)
        else:
            self.put(step.moved(StepStatus.FAILED, now, observed=seen, reason=otherwise), save=True)

    def abort(self, reason: str) -> TxReport:
        """Close a batch that sent nothing: every unsent channel is skipped with the reason."""
        now = self.link.clock()
        for step in self.steps():
            if step.status in (StepStatus.PLANNED, StepStatus.BACKED_UP):
                self.put(step.moved(StepStatus.SKIPPED, now, reason=f"not sent: {reason}"))
        self.link.store.save_steps(self.steps())
        self._dirty.clear()
        return self._finish(TxStatus.FAILED, reason)

    def close(self, failure: str | None) -> TxReport:
        """Decide and store how the transaction ended."""
        status = tx_status(self.steps(), atomic=self.tx.atomic, failure=failure, halted=self.halted)
        reason = self.halted or failure or self.tx.reason
        if status is TxStatus.SUCCESS and not self.with_status(StepStatus.VERIFIED):
            reason = reason or f"nothing sent: all {len(self._steps)} change(s) skipped (see each channel's reason)"
        if status is TxStatus.PENDING:
            settled = (StepStatus.VERIFIED, StepStatus.RESTORED)
            open_steps = [s for s in self.steps() if s.sent and s.status not in settled]
            reason = (f"{len(open_steps)} channel(s) neither verified nor restored (channel {open_steps[0].chan_id}: "
                      f"{open_steps[0].reason}); recovery retries at the next start")
        return self._finish(status, reason)

    def _finish(self, status: TxStatus, reason: str | None) -> TxReport:
        now = self.link.clock()
        self.link.store.close_transaction(self.tx.tx_id, status, reason, now)
        self.tx = replace(self.tx, status=status, reason=reason, updated_at=now, backup_id=self.backup_id)
        steps = self.steps()
        log = self.log.error if status is TxStatus.PENDING else self.log.info
        log("execution.tx_closed", tx_id=self.tx.tx_id, status=status.value, reason=reason,
            n_verified=sum(s.status is StepStatus.VERIFIED for s in steps),
            n_restored=sum(s.status is StepStatus.RESTORED for s in steps),
            n_skipped=sum(s.status is StepStatus.SKIPPED for s in steps),
            n_failed=sum(s.status is StepStatus.FAILED for s in steps))
        return TxReport(self.tx, tuple(steps))


__all__ = ["EventLog", "Journal", "tx_status"]

