"""What a rollback sends: each channel back to the backup taken before the change. Pure.

A rollback targets the channels a transaction *verified*, each back to its policy in the
transaction's checksummed backup. By default a channel whose policy moved since the change (someone
set it by hand) is skipped as drifted rather than overwritten; ``force`` restores it anyway.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from mcp_lightning.domain.channel import Policy
from mcp_lightning.execution.model import ChannelTarget, StepStatus, TxKind, TxReport, TxStatus


def rollback_targets(report: TxReport, backup: Mapping[int, Policy], *, chan_ids: Collection[int] | None = None,
                     force: bool = False) -> tuple[list[ChannelTarget], list[tuple[ChannelTarget, str]]]:
    """The channels of a transaction to put back, and those that cannot be (with the reason).

    Args:
        report: the transaction to undo (its verified channels are the candidates).
        backup: its backup's policies (checksum already verified).
        chan_ids: only these channels; None for all.
        force: restore even a channel that changed since (no drift check).

    Returns:
        ``(targets, skipped)``; a channel not verified by the transaction is neither.
    """
    targets, skipped = [], []
    for step in report.steps:
        if step.status is not StepStatus.VERIFIED or (chan_ids is not None and step.chan_id not in chan_ids):
            continue
        policy = backup.get(step.chan_id)
        target = ChannelTarget(chan_id=step.chan_id, target=policy or step.target,
                               expected=None if force else step.target)
        if policy is None:
            skipped.append((target, f"channel {step.chan_id} is not in backup {report.tx.backup_id}"))
        else:
            targets.append(target)
    return targets, skipped


def backup_targets(backup: Mapping[int, Policy], chan_ids: Collection[int] | None = None) -> list[ChannelTarget]:
    """Every channel of a backup (or the chosen ones) back to its backed-up policy, without a drift check."""
    return [ChannelTarget(chan_id=c, target=p) for c, p in sorted(backup.items()) if chan_ids is None or c in chan_ids]


def undone_status(parent: TxReport, rollback: TxReport) -> TxStatus:
    """The status of a transaction after a rollback of (some of) its channels.

    ``ROLLED_BACK`` when every channel it had verified is now restored, ``PARTIAL`` when only some
    are, unchanged when none is.
    """
    restored = {s.chan_id for s in rollback.steps if s.status is StepStatus.VERIFIED}
    applied = {s.chan_id for s in parent.steps if s.status is StepStatus.VERIFIED}
    if not restored & applied or parent.tx.kind is not TxKind.APPLY:
        return parent.tx.status
    return TxStatus.ROLLED_BACK if applied <= restored else TxStatus.PARTIAL


def unknown_channels(requested: Collection[int], found: Collection[int]) -> list[int]:
    """Requested channels with nothing to roll back, sorted."""
    return sorted(set(requested) - set(found))
