"""Crash recovery with a real ``kill -9``: a child process applies a batch to a file-backed fake node
and is killed mid-batch; a restart leaves every channel at its verified new policy with a record, or
restored to the exact previous policy."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mcp_lightning.adapters.store import Store, open_store
from mcp_lightning.execution.channel_ops import RetryPolicy
from mcp_lightning.execution.executor import Executor, ExecutorOptions
from mcp_lightning.execution.fake_node import FakeNode, load_state, save_state
from mcp_lightning.execution.model import ChangeStatus, StepStatus, TxReport, TxStatus
from tests.adapters.execution_fixtures import chan_ids, change_statuses, new_policy, old_policy, record_plan
from tests.factories import OUR_PUBKEY

ROOT = Path(__file__).resolve().parents[2]
N_CHANNELS = 6
CHANS = chan_ids(N_CHANNELS)


def start_child(db_url: str, tmp_path: Path, run_id: str, faults: list[str]) -> subprocess.Popen[bytes]:
    """Start the child that applies ``run_id`` against the fake node stored in tmp_path/node.json."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "tests.e2e.execution_child", "fake", db_url, run_id,
                             str(tmp_path / "node.json"), str(tmp_path / "hanging"), *faults], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def wait_for(condition, child: subprocess.Popen[bytes], timeout_s: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    """Poll until ``condition()`` holds; fail with the child's stderr if it exits first."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if child.poll() is not None:
            stderr = child.stderr.read().decode()[-2000:] if child.stderr else ""
            pytest.fail(f"child exited {child.returncode} before the crash point: {stderr}")
        assert time.monotonic() < deadline, "timed out waiting for the child"
        time.sleep(0.02)


def kill_9(child: subprocess.Popen[bytes]) -> None:
    """SIGKILL the child and reap it."""
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL


def restart(db_url: str, tmp_path: Path) -> tuple[Store, FakeNode, list[TxReport]]:
    """A new store and executor on the same database and node state: run recovery."""
    store = open_store(db_url, default_dir=tmp_path)
    node = load_state(tmp_path / "node.json")
    recovered = Executor(store, node, OUR_PUBKEY, options=ExecutorOptions(retry=RetryPolicy(delay_s=0))).recover()
    return store, node, recovered


def assert_every_channel_verified_or_restored(store: Store, node: FakeNode, report: TxReport) -> None:
    """Each channel is at its verified target with an applied record, or exactly at its previous policy."""
    statuses = change_statuses(store)
    for step in report.steps:
        policy = node.policies[step.chan_id]
        if step.status is StepStatus.VERIFIED:
            assert policy == new_policy(step.chan_id)
            assert step.policy_change_id is not None
            assert statuses[step.policy_change_id] == ChangeStatus.APPLIED.value
        else:
            assert policy == old_policy(step.chan_id), (step.chan_id, step.status, policy)
            if step.sent:
                assert statuses[step.policy_change_id or 0] == ChangeStatus.ROLLED_BACK.value
    assert store.open_transactions(OUR_PUBKEY) == []


def prepare(db_url: str, tmp_path: Path) -> str:
    """Record the plan and write the node's initial state; returns the run id."""
    with open_store(db_url, default_dir=tmp_path) as store:
        run = record_plan(store, CHANS)
    policies = {c: old_policy(c) for c in CHANS}
    save_state(tmp_path / "node.json", OUR_PUBKEY, policies, policies)
    return run.run_id


CRASH_POINTS = [
    pytest.param([f"apply:hang:{CHANS[3]}"], TxStatus.ROLLED_BACK, id="after-a-write-landed-before-it-was-recorded"),
    pytest.param([f"verify:hang:{CHANS[2]}"], TxStatus.ROLLED_BACK, id="while-reading-back-a-write"),
    pytest.param([f"backup_read:hang:{CHANS[4]}"], TxStatus.FAILED, id="during-the-backup-nothing-sent"),
    pytest.param([f"verify:hang:{CHANS[-1]}"], TxStatus.SUCCESS, id="reading-back-the-last-write-completes"),
    pytest.param([f"apply:http_5xx:{CHANS[-1]}", f"restore:hang:{CHANS[1]}"], TxStatus.ROLLED_BACK,
                 id="in-the-middle-of-a-rollback"),
]


@pytest.mark.parametrize(("faults", "expected"), CRASH_POINTS)
def test_a_batch_killed_at_a_crash_point_is_finished_by_the_next_start(tmp_path: Path, faults: list[str],
                                                                        expected: TxStatus) -> None:
    """kill -9 at the crash point, restart: the open transaction ends as expected, every channel verified."""
    db_url = f"sqlite:///{tmp_path / 'crash.sqlite3'}"
    run_id = prepare(db_url, tmp_path)
    child = start_child(db_url, tmp_path, run_id, faults)
    wait_for((tmp_path / "hanging").exists, child)
    kill_9(child)

    store, node, recovered = restart(db_url, tmp_path)
    try:
        assert [r.tx.status for r in recovered] == [expected], [r.tx.reason for r in recovered]
        assert_every_channel_verified_or_restored(store, node, recovered[0])
        if expected is TxStatus.SUCCESS:
            assert all(node.policies[c] == new_policy(c) for c in CHANS)
        else:
            assert all(node.policies[c] == old_policy(c) for c in CHANS)
    finally:
        store.close()


@pytest.mark.parametrize("n_writes", [1, 4])
def test_a_batch_killed_after_n_channels_on_either_database_leaves_no_channel_unaccounted(
        database_url: str, tmp_path: Path, n_writes: int) -> None:
    """With slow writes, kill -9 once the node has taken N writes; recovery settles every channel."""
    run_id = prepare(database_url, tmp_path)
    slow = [f"apply:slow:{c}" for c in CHANS]
    child = start_child(database_url, tmp_path, run_id, slow)

    def written() -> bool:
        node = load_state(tmp_path / "node.json")
        return sum(node.policies[c] != old_policy(c) for c in CHANS) >= n_writes

    wait_for(written, child)
    kill_9(child)

    store, node, recovered = restart(database_url, tmp_path)
    try:
        assert len(recovered) == 1 and recovered[0].tx.status in (TxStatus.ROLLED_BACK, TxStatus.SUCCESS)
        assert_every_channel_verified_or_restored(store, node, recovered[0])
        again = Executor(store, node, OUR_PUBKEY).recover()
        assert again == []
    finally:
        store.close()
