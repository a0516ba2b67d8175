"""Executor modes (shadow, approve, auto), the kill switch, the rollout allow-list and the cooldown."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from mcp_lightning.adapters.store import Store, open_store
from mcp_lightning.domain.channel import Policy
from mcp_lightning.errors import ExecutionError, KillSwitchEngaged
from mcp_lightning.execution import approvals as queue
from mcp_lightning.execution.fake_node import FakeCapabilities
from mcp_lightning.execution.model import ApprovalStatus, ChangeStatus, Mode, StepStatus, TxStatus
from mcp_lightning.execution.selection import Rollout
from mcp_lightning.units import Msat, Ppm
from tests.adapters.execution_fixtures import (
    NEW_PPM,
    Clock,
    assert_all_at,
    assert_audit_complete,
    chan_ids,
    change_statuses,
    fake_node,
    make_executor,
    new_policy,
    old_policy,
    record_plan,
    sqlite_store_at,
)


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    """An open store on a SQLite file (executor cases whose store part is also tested on PostgreSQL)."""
    yield from sqlite_store_at(tmp_path)



def test_shadow_mode_sends_no_write_and_records_no_transaction(store: Store) -> None:
    """Shadow (the default) reports what would change without one set_policy call or transaction row."""
    chans = chan_ids(3)
    run = record_plan(store, chans)
    node = fake_node(chans)

    outcome = make_executor(store, node).apply_run(run.run_id)

    assert outcome.mode is Mode.SHADOW and outcome.report is None
    assert [t.chan_id for t in outcome.selected] == chans
    assert [c for c in node.calls if c.method == "set_policy"] == [] and node.writes == []
    assert store.list_transactions() == []
    assert_all_at(node, chans, {c: old_policy(c) for c in chans})


def test_auto_mode_applies_verifies_and_records_every_change(store: Store) -> None:
    """Auto mode sends each target once, reads it back, and stores transaction, steps, backup and changes."""
    chans = chan_ids(4)
    run = record_plan(store, chans)
    node = fake_node(chans)

    report = make_executor(store, node).apply_run(run.run_id, mode=Mode.AUTO).report

    assert report is not None and report.tx.status is TxStatus.SUCCESS and report.tx.run_id == run.run_id
    assert_all_at(node, chans, {c: new_policy(c) for c in chans})
    assert [c for c, _ in node.writes] == chans
    stored = store.transaction(report.tx.tx_id[:10])
    assert [s.status for s in stored.steps] == [StepStatus.VERIFIED] * 4
    assert all(s.backup == old_policy(s.chan_id) for s in stored.steps)
    backup = store.load_backup(stored.tx.backup_id or 0)
    assert backup.policies == {c: old_policy(c) for c in chans}
    changes = store.policy_changes_since(run.evaluated_at)
    assert [(c.chan_id, c.old, c.new, c.run_id) for c in changes] == [
        (c, old_policy(c), new_policy(c), run.run_id) for c in chans]
    assert set(change_statuses(store).values()) == {ChangeStatus.APPLIED.value}
    assert_audit_complete(store, node, report)


def test_the_transaction_and_its_steps_are_stored_before_the_first_write(sqlite_store: Store) -> None:
    """When the first write happens, the transaction, every planned channel and the backup are already stored."""
    chans = chan_ids(3)
    run = record_plan(sqlite_store, chans)
    node = fake_node(chans)
    seen: list[list[StepStatus]] = []
    original = node.set_policy

    def spying_set_policy(chan_id: int, policy: object) -> None:
        if not seen:
            reports = sqlite_store.list_transactions()
            seen.append([s.status for s in reports[0].steps])
            assert reports[0].tx.status is TxStatus.PENDING and reports[0].tx.backup_id is not None
        original(chan_id, policy)  # type: ignore[arg-type]

    node.set_policy = spying_set_policy  # type: ignore[method-assign]
    make_executor(sqlite_store, node).apply_run(run.run_id, mode=Mode.AUTO)

    assert seen == [[StepStatus.BACKED_UP] * 3]


def test_approve_mode_applies_only_what_was_approved(store: Store) -> None:
    """Queued changes wait; only the approved one is sent, the rejected one never is."""
    chans = chan_ids(3)
    run = record_plan(store, chans)
    node = fake_node(chans)
    clock = Clock()
    executor = make_executor(store, node, clock)

    queued = executor.apply_run(run.run_id, mode=Mode.APPROVE).approvals
    assert [a.status for a in queued] == [ApprovalStatus.PENDING] * 3 and node.writes == []
    queue.decide(store, [queued[1].approval_id], True, clock())
    queue.decide(store, [queued[2].approval_id], False, clock(), reason="too steep")
    reports = executor.apply_approved()

    assert [r.tx.status for r in reports] == [TxStatus.SUCCESS] and reports[0].tx.mode is Mode.APPROVE
    assert node.writes == [(chans[1], new_policy(chans[1]))]
    by_id = {a.approval_id: a for a in store.approvals()}
    assert by_id[queued[1].approval_id].status is ApprovalStatus.APPLIED
    assert by_id[queued[1].approval_id].tx_id == reports[0].tx.tx_id
    assert by_id[queued[2].approval_id].status is ApprovalStatus.REJECTED
    assert by_id[queued[0].approval_id].status is ApprovalStatus.PENDING


def test_approvals_expire_after_24_hours_and_are_skipped_with_a_record(sqlite_store: Store) -> None:
    """An approval older than 24 h is marked expired with the reason and is never sent, even if approved."""
    chans = chan_ids(2)
    run = record_plan(sqlite_store, chans)
    node = fake_node(chans)
    clock = Clock()
    executor = make_executor(sqlite_store, node, clock)
    queued = executor.apply_run(run.run_id, mode=Mode.APPROVE).approvals
    queue.decide(sqlite_store, [queued[0].approval_id], True, clock())

    clock.advance(timedelta(hours=24))
    assert executor.apply_approved() == []
    decided = queue.decide(sqlite_store, [queued[1].approval_id], True, clock())

    assert node.writes == []
    assert [a.status for a in sqlite_store.approvals()] == [ApprovalStatus.EXPIRED] * 2
    assert all("not applied within 24 h" in (a.reason or "") for a in sqlite_store.approvals())
    assert decided.refused == ((queued[1].approval_id, "it is expired, not pending"),)


def test_the_kill_switch_refuses_a_batch_before_anything_is_recorded_or_sent(store: Store) -> None:
    """With the switch engaged, auto mode raises KillSwitchEngaged, writes nothing and records nothing."""
    chans = chan_ids(2)
    run = record_plan(store, chans)
    node = fake_node(chans)
    store.set_kill_switch(True, "incident 42", Clock()())

    with pytest.raises(KillSwitchEngaged, match="incident 42"):
        make_executor(store, node).apply_run(run.run_id, mode=Mode.AUTO)

    assert node.writes == [] and store.list_transactions() == []
    store.set_kill_switch(False, None, Clock()())
    assert make_executor(store, node).apply_run(run.run_id, mode=Mode.AUTO).report is not None


def test_the_kill_switch_stops_a_running_batch_before_its_next_write(sqlite_store: Store, tmp_path: Path) -> None:
    """Engaged mid-batch (by another process), no further write is sent and every channel is recorded."""
    chans = chan_ids(5)
    run = record_plan(sqlite_store, chans)
    node = fake_node(chans)
    original = node.set_policy

    def set_then_engage(chan_id: int, policy: object) -> None:
        original(chan_id, policy)  # type: ignore[arg-type]
        if len(node.writes) == 2:
            with open_store(sqlite_store.url, default_dir=tmp_path) as other:
                other.set_kill_switch(True, "operator stop", Clock()())

    node.set_policy = set_then_engage  # type: ignore[method-assign]
    report = make_executor(sqlite_store, node).apply_run(run.run_id, mode=Mode.AUTO).report

    assert report is not None and report.tx.status is TxStatus.PARTIAL
    assert "operator stop" in (report.tx.reason or "")
    assert len(node.writes) == 2
    assert [s.status for s in report.steps] == [StepStatus.VERIFIED] * 2 + [StepStatus.SKIPPED] * 3
    assert_audit_complete(sqlite_store, node, report)


def test_a_gradual_rollout_changes_one_then_three_then_five_then_all_channels(sqlite_store: Store) -> None:
    """Stages 1, 3, 5 and all of the allow-list let exactly that many channels change; the rest are skipped."""
    chans = chan_ids(7)
    node = fake_node(chans)
    clock = Clock()
    executor = make_executor(sqlite_store, node, clock, cooldown_s=0, max_changes_per_day=100)
    allow = tuple(reversed(chans[:6]))
    changed = []
    for stage, ppm in ((1, 600), (3, 610), (5, 620), (None, 630)):
        run = record_plan(sqlite_store, chans, ppm=ppm)
        node.policies = {c: old_policy(c) for c in chans}
        node.writes.clear()
        report = executor.apply_run(run.run_id, mode=Mode.AUTO, rollout=Rollout(allow, stage)).report
        assert report is not None and report.tx.status is TxStatus.SUCCESS
        changed.append(sorted(c for c, _ in node.writes))
        assert all("allow-list" in (s.reason or "") for s in report.steps if s.chan_id == chans[6])

    assert [len(c) for c in changed] == [1, 3, 5, 6]
    assert changed[0] == [allow[0]] and set(changed[1]) == set(allow[:3])


def test_no_channel_changes_more_often_than_its_cooldown_across_restarts(database_url: str, tmp_path: Path) -> None:
    """A second apply within the cooldown, by a new store and executor on the same database, is skipped."""
    chans = chan_ids(2)
    node = fake_node(chans)
    clock = Clock()
    with open_store(database_url, default_dir=tmp_path) as first:
        run = record_plan(first, chans, ppm=600)
        make_executor(first, node, clock, cooldown_s=3600).apply_run(run.run_id, mode=Mode.AUTO)
    node.rearm()

    clock.advance(timedelta(minutes=30))
    with open_store(database_url, default_dir=tmp_path) as second:
        run2 = record_plan(second, chans, ppm=700, current_ppm=600)
        report = make_executor(second, node, clock, cooldown_s=3600).apply_run(run2.run_id, mode=Mode.AUTO).report
        assert report is not None and [s.status for s in report.steps] == [StepStatus.SKIPPED] * 2
        assert all((s.reason or "").startswith("cooldown:") for s in report.steps)
    assert {p.fee_rate_ppm for p in node.policies.values()} == {600}

    clock.advance(timedelta(minutes=31))
    with open_store(database_url, default_dir=tmp_path) as third:
        run3 = record_plan(third, chans, ppm=700, current_ppm=600)
        later = make_executor(third, node, clock, cooldown_s=3600).apply_run(run3.run_id, mode=Mode.AUTO).report
        assert later is not None and later.tx.status is TxStatus.SUCCESS
    assert {p.fee_rate_ppm for p in node.policies.values()} == {700}


def test_a_run_planned_for_another_node_is_refused(sqlite_store: Store) -> None:
    """Applying a run whose node_pubkey is not the connected node raises before anything is sent."""
    chans = chan_ids(1)
    run = record_plan(sqlite_store, chans)
    node = fake_node(chans)
    executor = make_executor(sqlite_store, node)
    executor.link.node_pubkey = "03" + "11" * 32

    with pytest.raises(ExecutionError, match="planned for node"):
        executor.apply_run(run.run_id, mode=Mode.AUTO)
    assert node.writes == []


def test_a_channel_changed_by_hand_since_the_plan_is_skipped_as_drifted(sqlite_store: Store) -> None:
    """When the node no longer shows the plan's current policy, that channel is skipped, the others applied."""
    chans = chan_ids(3)
    run = record_plan(sqlite_store, chans)
    node = fake_node(chans)
    node.policies[chans[1]] = new_policy(chans[1], 555)

    report = make_executor(sqlite_store, node).apply_run(run.run_id, mode=Mode.AUTO).report

    assert report is not None and report.tx.status is TxStatus.SUCCESS
    assert [s.status for s in report.steps] == [StepStatus.VERIFIED, StepStatus.SKIPPED, StepStatus.VERIFIED]
    assert "policy changed since the plan: node shows 555 ppm" in (report.steps[1].reason or "")
    assert node.policies[chans[1]].fee_rate_ppm == 555


def test_inbound_fees_are_not_compared_on_a_node_that_cannot_set_them(sqlite_store: Store) -> None:
    """A node without inbound fees that reports none still verifies a target carrying an inbound discount."""
    chans = chan_ids(1)
    run = record_plan(sqlite_store, chans)
    node = fake_node(chans)
    node.capabilities = FakeCapabilities(supports_inbound_fees=False)
    original = node.set_policy

    def set_without_inbound(chan_id: int, policy: Policy) -> None:
        original(chan_id, replace(policy, inbound_fee_rate_ppm=Ppm(0), inbound_base_fee_msat=Msat(0)))

    node.set_policy = set_without_inbound  # type: ignore[method-assign]

    report = make_executor(sqlite_store, node).apply_run(run.run_id, mode=Mode.AUTO).report

    assert report is not None and report.tx.status is TxStatus.SUCCESS
    assert node.policies[chans[0]].fee_rate_ppm == NEW_PPM

