"""Recovery at start-up: finish every transaction a crash (or a failed restore) left ``PENDING``.

For each open transaction, every channel that may have been written is read back:

* at its target -> ``verified`` (its policy change becomes ``applied``);
* at its backup -> ``restored`` (the write never landed, or was already undone);
* anything else, or unreadable -> still to restore.

An *atomic* transaction whose every selected channel is verified is completed (``SUCCESS``);
otherwise every written channel is put back to its checksummed backup (``ROLLED_BACK``). A
non-atomic one keeps its verified channels and restores the unknown ones. Channels never sent are
marked skipped. A restore that cannot be verified leaves the transaction ``PENDING`` for next time.

A transaction whose owner process is still alive on this host is left alone: it is running, not
crashed (two executors on one node must not undo each other's batches).
"""

from __future__ import annotations

import os
import socket

from mcp_lightning.execution.batch import Batch, NodeLink
from mcp_lightning.execution.channel_ops import read_policy
from mcp_lightning.execution.model import StepStatus, TxReport

INTERRUPTED = "not sent: the batch was interrupted (process stopped) before this channel"


def this_process() -> str:
    """``"host:pid"`` of this process (stored as a transaction's owner)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def owner_running(owner: str | None) -> bool:
    """True when ``owner`` is another process on this host that is still alive (its batch is running).

    A transaction of this very process, of a dead process or of another host counts as abandoned.
    """
    host, _, pid_text = (owner or "").rpartition(":")
    if host != socket.gethostname() or not pid_text.isdigit() or int(pid_text) == os.getpid():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def recover_open(link: NodeLink) -> list[TxReport]:
    """Finish every ``PENDING`` transaction of the node whose process is gone, oldest first."""
    finished = []
    for report in link.store.open_transactions(link.node_pubkey):
        if owner_running(report.tx.owner):
            link.log.info("execution.tx_running_elsewhere", tx_id=report.tx.tx_id, owner=report.tx.owner)
            continue
        finished.append(resume(link, report))
    return finished


def resume(link: NodeLink, report: TxReport) -> TxReport:
    """Finish one open transaction (see the module docstring)."""
    batch = Batch(link, report.tx)
    journal = batch.journal
    journal.load(report.steps)
    journal.log.warning("execution.recovering", tx_id=report.tx.tx_id, status=report.tx.status.value,
                        n_channels=len(report.steps))
    interrupted = False
    for step in journal.steps():
        if not step.sent and step.status in (StepStatus.PLANNED, StepStatus.BACKED_UP, StepStatus.APPLIED):
            journal.put(step.moved(StepStatus.SKIPPED, link.clock(), reason=INTERRUPTED), save=True)
            interrupted = True
        elif step.sent:
            read = read_policy(link.node, step.chan_id, link.retry)
            unknown = read.error or "the node shows neither the target nor the backup"
            journal.settle_by_read(step, read.policy, f"state unknown after restart: {unknown}")
    steps = journal.steps()
    complete = not interrupted and all(s.status in (StepStatus.VERIFIED, StepStatus.SKIPPED) for s in steps)
    failure = None if complete else "interrupted batch finished by recovery"
    if not complete and report.tx.atomic:
        batch.restore_all("recovery of an interrupted batch")
    elif not complete:
        for step in journal.with_status(StepStatus.FAILED):
            if step.sent:
                batch.restore(step, "recovery of an interrupted batch")
    return journal.close(failure)
