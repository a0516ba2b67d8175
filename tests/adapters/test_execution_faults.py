"""The fault matrix: every fault at every executor step ends in a verified success or a verified
restore of the exact previous policies, with a complete audit trail."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mcp_lightning.adapters.store import Store
from mcp_lightning.execution.fake_node import Fault, FaultKind, NodeStep
from mcp_lightning.execution.model import Mode, StepStatus, TxStatus
from tests.adapters.execution_fixtures import (
    assert_all_at,
    assert_audit_complete,
    chan_ids,
    fake_node,
    make_executor,
    new_policy,
    old_policy,
    record_plan,
    sqlite_store_at,
)

N_CHANNELS = 6
FAULTS = [FaultKind.HTTP_5XX, FaultKind.TIMEOUT, FaultKind.SLOW, FaultKind.CONNECTION_RESET, FaultKind.NOT_APPLIED]
STEPS = [NodeStep.BACKUP_READ, NodeStep.APPLY, NodeStep.VERIFY, NodeStep.RESTORE]

@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    """An open store on a SQLite file (executor cases whose store part is also tested on PostgreSQL)."""
    yield from sqlite_store_at(tmp_path)



def _cases() -> list[object]:
    cases = []
    for step in STEPS:
        for kind in FAULTS:
            for scope in ("transient", "half_way"):
                if step is NodeStep.BACKUP_READ and kind is FaultKind.NOT_APPLIED:
                    continue  # a read before any write has nothing stale to show
                cases.append(pytest.param(step, kind, scope, id=f"{step.value}-{kind.value}-{scope}"))
    return cases


def expected_status(step: NodeStep, kind: FaultKind, scope: str) -> TxStatus:
    """How the batch must end: a fault the retries absorb succeeds; a lasting one rolls the batch back."""
    if step is NodeStep.RESTORE:
        return TxStatus.ROLLED_BACK  # the restores only happen because the last channel always fails
    if scope == "transient" or kind is FaultKind.SLOW:
        return TxStatus.SUCCESS
    if step is NodeStep.APPLY and kind is FaultKind.TIMEOUT:
        return TxStatus.SUCCESS  # the write landed before the timeout: the read-back proves it
    if step is NodeStep.VERIFY and kind is FaultKind.NOT_APPLIED:
        return TxStatus.SUCCESS  # a stale read shows the previous write: the second write's read matches
    if step is NodeStep.BACKUP_READ:
        return TxStatus.FAILED  # nothing was sent
    return TxStatus.ROLLED_BACK


def faults_for(step: NodeStep, kind: FaultKind, scope: str, chans: list[int]) -> list[Fault]:
    """The faults of one case: on the middle channel; for restores, the last channel's apply always fails."""
    middle, last = chans[N_CHANNELS // 2], chans[-1]
    if step is NodeStep.RESTORE:
        times = 1 if scope == "transient" else 2  # fewer than the 3 write attempts of a restore
        return [Fault(NodeStep.APPLY, FaultKind.HTTP_5XX, chan_id=last, times=None),
                Fault(NodeStep.RESTORE, kind, chan_id=chans[0], times=times)]
    return [Fault(step, kind, chan_id=middle, times=1 if scope == "transient" else None)]


@pytest.mark.parametrize(("step", "kind", "scope"), _cases())
def test_every_fault_at_every_step_ends_verified_with_a_complete_audit_trail(
        sqlite_store: Store, step: NodeStep, kind: FaultKind, scope: str) -> None:
    """Each fault x step ends SUCCESS with every channel at its target, or with every channel at its
    exact previous policy, and every write recorded."""
    chans = chan_ids(N_CHANNELS)
    run = record_plan(sqlite_store, chans)
    node = fake_node(chans, faults_for(step, kind, scope, chans))

    report = make_executor(sqlite_store, node).apply_run(run.run_id, mode=Mode.AUTO).report

    assert report is not None
    status = expected_status(step, kind, scope)
    assert report.tx.status is status, report.tx.reason
    if status is TxStatus.SUCCESS:
        assert_all_at(node, chans, {c: new_policy(c) for c in chans})
        assert report.count(StepStatus.VERIFIED) == N_CHANNELS
    else:
        assert_all_at(node, chans, {c: old_policy(c) for c in chans})
        assert report.count(StepStatus.VERIFIED) == 0
    assert_audit_complete(sqlite_store, node, report)
    assert sqlite_store.transaction(report.tx.tx_id).tx.status is status


@pytest.mark.parametrize("kind", [FaultKind.HTTP_5XX, FaultKind.NOT_APPLIED])
def test_fault_handling_is_the_same_on_both_databases(store: Store, kind: FaultKind) -> None:
    """A batch failing half way is rolled back and fully recorded on SQLite and PostgreSQL alike."""
    chans = chan_ids(N_CHANNELS)
    run = record_plan(store, chans)
    node = fake_node(chans, [Fault(NodeStep.APPLY, kind, chan_id=chans[3], times=None)])

    report = make_executor(store, node).apply_run(run.run_id, mode=Mode.AUTO).report

    assert report is not None and report.tx.status is TxStatus.ROLLED_BACK
    assert_all_at(node, chans, {c: old_policy(c) for c in chans})
    assert_audit_complete(store, node, report)


def test_a_restore_that_keeps_failing_leaves_the_transaction_open_until_recovery(sqlite_store: Store) -> None:
    """When a restore cannot be verified the transaction stays PENDING; recovery restores it later."""
    chans = chan_ids(4)
    run = record_plan(sqlite_store, chans)
    node = fake_node(chans, [Fault(NodeStep.APPLY, FaultKind.HTTP_5XX, chan_id=chans[-1], times=None),
                             Fault(NodeStep.RESTORE, FaultKind.HTTP_5XX, chan_id=chans[0], times=None)])
    report = make_executor(sqlite_store, node).apply_run(run.run_id, mode=Mode.AUTO).report
    assert report is not None and report.tx.status is TxStatus.PENDING
    assert "recovery retries" in (report.tx.reason or "")
    assert node.policies[chans[0]] == new_policy(chans[0])

    node.faults.clear()
    recovered = make_executor(sqlite_store, node).recover()

    assert [r.tx.status for r in recovered] == [TxStatus.ROLLED_BACK]
    assert_all_at(node, chans, {c: old_policy(c) for c in chans})
    assert_audit_complete(sqlite_store, node, recovered[0])
