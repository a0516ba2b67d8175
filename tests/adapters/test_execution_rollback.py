"""Rollback: manual (a transaction, channels, a subset, a backup), automatic on triggers, and recovery."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from mcp_lightning.adapters.store import Store
from mcp_lightning.errors import BackupIntegrityError, InputError
from mcp_lightning.execution.fake_node import Fault, FaultKind, NodeStep
from mcp_lightning.execution.model import ChannelTarget, Mode, StepStatus, TxKind, TxStatus
from mcp_lightning.execution.triggers import MetricsWindow
from mcp_lightning.units import Msat, Ppm
from tests.adapters.execution_fixtures import (
    Clock,
    assert_all_at,
    assert_audit_complete,
    chan_ids,
    fake_node,
    make_executor,
    new_policy,
    old_policy,
    record_changes,
    record_plan,
    sqlite_store_at,
)
from tests.factories import OUR_PUBKEY


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    """An open store on a SQLite file (executor cases whose store part is also tested on PostgreSQL)."""
    yield from sqlite_store_at(tmp_path)


def applied(store: Store, n: int = 4, clock: Clock | None = None):  # type: ignore[no-untyped-def]
    """``n`` channels raised by a successful auto apply: (chans, node, executor, report)."""
    chans = chan_ids(n)
    run = record_plan(store, chans)
    node = fake_node(chans)
    executor = make_executor(store, node, clock)
    report = executor.apply_run(run.run_id, mode=Mode.AUTO).report
    assert report is not None and report.tx.status is TxStatus.SUCCESS
    node.rearm()
    return chans, node, executor, report


def test_rolling_back_a_transaction_restores_every_channel_and_records_why(store: Store) -> None:
    """rollback_tx puts each changed channel back to the exact backed-up policy; both transactions say so."""
    chans, node, executor, parent = applied(store)

    report = executor.rollback_tx(parent.tx.tx_id[:8], reason="operator asked")

    assert report.tx.kind is TxKind.ROLLBACK and report.tx.parent_tx_id == parent.tx.tx_id
    assert report.tx.status is TxStatus.SUCCESS and report.tx.reason == "operator asked"
    assert_all_at(node, chans, {c: old_policy(c) for c in chans})
    undone = store.transaction(parent.tx.tx_id)
    assert undone.tx.status is TxStatus.ROLLED_BACK and "operator asked" in (undone.tx.reason or "")
    assert_audit_complete(store, node, report)
    assert len(store.policy_changes_since(parent.tx.created_at)) == 2 * len(chans)


def test_rolling_back_a_subset_of_a_transaction_marks_it_partial(sqlite_store: Store) -> None:
    """Only the named channels go back; the others keep the new policy; the parent becomes PARTIAL."""
    chans, node, executor, parent = applied(sqlite_store)

    executor.rollback_tx(parent.tx.tx_id, chan_ids=[chans[1], chans[3]])

    assert_all_at(node, chans, {c: old_policy(c) if c in (chans[1], chans[3]) else new_policy(c) for c in chans})
    assert sqlite_store.transaction(parent.tx.tx_id).tx.status is TxStatus.PARTIAL


def test_rolling_back_channels_finds_their_latest_applied_change(sqlite_store: Store) -> None:
    """rollback_channels undoes each channel's most recent applied change; unknown channels are refused."""
    chans, node, executor, _ = applied(sqlite_store)

    reports = executor.rollback_channels([chans[0]])

    assert [r.tx.status for r in reports] == [TxStatus.SUCCESS]
    assert node.policies[chans[0]] == old_policy(chans[0]) and node.policies[chans[1]] == new_policy(chans[1])
    with pytest.raises(InputError, match="no applied change on record for channel"):
        executor.rollback_channels([12345])


def test_a_channel_changed_by_hand_after_the_change_is_not_overwritten_unless_forced(sqlite_store: Store) -> None:
    """Rollback skips a drifted channel with the reason; --force restores it."""
    chans, node, executor, parent = applied(sqlite_store, n=2)
    node.policies[chans[0]] = new_policy(chans[0], 999)

    report = executor.rollback_tx(parent.tx.tx_id)
    assert [s.status for s in report.steps] == [StepStatus.SKIPPED, StepStatus.VERIFIED]
    assert node.policies[chans[0]].fee_rate_ppm == 999

    forced = executor.rollback_tx(parent.tx.tx_id, chan_ids=[chans[0]], force=True)
    assert forced.tx.status is TxStatus.SUCCESS and node.policies[chans[0]] == old_policy(chans[0])


def test_a_tampered_backup_is_never_used_for_a_restore(sqlite_store: Store) -> None:
    """When the stored backup no longer matches its sha256, rollback raises and writes nothing."""
    _, node, executor, parent = applied(sqlite_store, n=2)
    with sqlite_store._engine.begin() as conn:
        conn.execute(text("UPDATE backups SET payload = replace(payload, :old, :new) WHERE backup_id = :b"),
                     {"old": '"fee_rate_ppm": 500', "new": '"fee_rate_ppm": 1', "b": parent.tx.backup_id})
        assert '"fee_rate_ppm": 1,' in conn.execute(text("SELECT payload FROM backups")).scalar_one()
    n_writes = len(node.writes)

    with pytest.raises(BackupIntegrityError, match="fails its checksum"):
        executor.rollback_tx(parent.tx.tx_id)
    assert len(node.writes) == n_writes


def test_restoring_an_imported_backup_puts_its_policies_back(sqlite_store: Store) -> None:
    """rollback_backup writes every channel of a backup (disaster recovery) and verifies each."""
    chans, node, executor, parent = applied(sqlite_store, n=3)

    report = executor.rollback_backup(parent.tx.backup_id or 0)

    assert report.tx.status is TxStatus.SUCCESS
    assert_all_at(node, chans, {c: old_policy(c) for c in chans})


def test_a_success_rate_drop_after_a_change_rolls_it_back_with_the_reason(sqlite_store: Store) -> None:
    """When the trigger fires 5 minutes after the change, the transaction is rolled back and the rule recorded."""
    clock = Clock()
    chans, node, executor, parent = applied(sqlite_store, n=2, clock=clock)
    changed_at = max(s.updated_at for s in parent.steps)
    before = MetricsWindow(changed_at - timedelta(minutes=5), changed_at, 200, 180, 20)
    after = MetricsWindow(changed_at, changed_at + timedelta(minutes=5), 200, 100, 20)

    early, none = executor.rollback_if_triggered(parent.tx.tx_id, before, after, changed_at + timedelta(minutes=2))
    assert early.action.value == "wait" and none is None

    verdict, report = executor.rollback_if_triggered(parent.tx.tx_id, before, after,
                                                     changed_at + timedelta(minutes=5))
    assert verdict.rule == "success_drop" and report is not None
    assert report.tx.reason is not None and report.tx.reason.startswith("automatic (success_drop): forward success")
    assert_all_at(node, chans, {c: old_policy(c) for c in chans})
    assert sqlite_store.transaction(parent.tx.tx_id).tx.status is TxStatus.ROLLED_BACK


def test_recovery_completes_a_transaction_whose_channels_were_all_verified(sqlite_store: Store) -> None:
    """An open transaction with every channel verified on the node is closed SUCCESS, nothing rewritten."""
    chans = chan_ids(3)
    run = record_plan(sqlite_store, chans)
    node = fake_node(chans)
    executor = make_executor(sqlite_store, node)
    report = executor.apply_run(run.run_id, mode=Mode.AUTO).report
    assert report is not None
    sqlite_store.close_transaction(report.tx.tx_id, TxStatus.PENDING, None, Clock()())
    n_writes = len(node.writes)

    recovered = make_executor(sqlite_store, node).recover()

    assert [r.tx.status for r in recovered] == [TxStatus.SUCCESS] and len(node.writes) == n_writes


def test_recovery_runs_before_a_new_batch_writes_anything(sqlite_store: Store) -> None:
    """A new executor finishes an open transaction (restoring its half-applied channels) before its own batch."""
    chans = chan_ids(4)
    run = record_plan(sqlite_store, chans)
    node = fake_node(chans, [Fault(NodeStep.APPLY, FaultKind.HTTP_5XX, chan_id=chans[2], times=None),
                             Fault(NodeStep.RESTORE, FaultKind.HTTP_5XX, times=None)])
    first = make_executor(sqlite_store, node).apply_run(run.run_id, mode=Mode.AUTO).report
    assert first is not None and first.tx.status is TxStatus.PENDING
    node.faults.clear()

    executor = make_executor(sqlite_store, node)
    executor.execute(run.run_id, [ChannelTarget(chans[3], new_policy(chans[3], 700), old_policy(chans[3]))])

    assert sqlite_store.transaction(first.tx.tx_id).tx.status is TxStatus.ROLLED_BACK
    assert_all_at(node, chans[:3], {c: old_policy(c) for c in chans[:3]})
    assert node.policies[chans[3]].fee_rate_ppm == 700


def test_recovery_leaves_alone_a_transaction_whose_process_is_still_running(sqlite_store: Store) -> None:
    """An open transaction owned by a live process on this host is not touched; once it dies, it is recovered."""
    chans = chan_ids(3)
    run = record_plan(sqlite_store, chans)
    node = fake_node(chans, [Fault(NodeStep.APPLY, FaultKind.HTTP_5XX, chan_id=chans[2], times=None),
                             Fault(NodeStep.RESTORE, FaultKind.HTTP_5XX, times=None)])
    report = make_executor(sqlite_store, node).apply_run(run.run_id, mode=Mode.AUTO).report
    assert report is not None and report.tx.status is TxStatus.PENDING
    node.faults.clear()
    owner = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        with sqlite_store._engine.begin() as conn:
            conn.execute(text("UPDATE transactions SET owner = :o"), {"o": f"{socket.gethostname()}:{owner.pid}"})
        assert make_executor(sqlite_store, node).recover() == []
    finally:
        owner.kill()
        owner.wait()

    assert [r.tx.status for r in make_executor(sqlite_store, node).recover()] == [TxStatus.ROLLED_BACK]
    assert_all_at(node, chans, {c: old_policy(c) for c in chans})


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, 5000), st.integers(0, 10_000), st.integers(-100, 0)), min_size=1,
                max_size=4))
def test_apply_then_rollback_is_the_identity(sqlite_store: Store, fees: list[tuple[int, int, int]]) -> None:
    """Whatever the new fees, applying a plan and rolling it back leaves every policy exactly as it was."""
    chans = chan_ids(len(fees), first_tx=500 + len(sqlite_store.list_runs(limit=1000)) * 10)
    node = fake_node(chans)
    changes = {c: (old_policy(c), replace(old_policy(c), fee_rate_ppm=Ppm(ppm), base_fee_msat=Msat(base),
                                          inbound_fee_rate_ppm=Ppm(inbound)))
               for c, (ppm, base, inbound) in zip(chans, fees, strict=True)}
    run = record_changes(sqlite_store, OUR_PUBKEY, changes)
    executor = make_executor(sqlite_store, node, cooldown_s=0, max_changes_per_day=1000)

    report = executor.apply_run(run.run_id, mode=Mode.AUTO).report
    assert report is not None and report.tx.status is TxStatus.SUCCESS
    executor.rollback_tx(report.tx.tx_id)

    assert node.policies == {c: old_policy(c) for c in chans}
