"""The executor end to end against the LND REST emulator over real HTTPS (macaroon, pinned certificate):
apply and verify, faults the emulator injects, rollback, and a real kill -9 of a child mid-batch."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from mcp_lightning.adapters.lnd.node import LndRestNode
from mcp_lightning.adapters.store import Store, open_store
from mcp_lightning.domain.channel import Policy
from mcp_lightning.emulators.lnd_rest import LndEmulator
from mcp_lightning.emulators.synthetic import synthetic_state
from mcp_lightning.engine.plan import RunSummary
from mcp_lightning.execution.channel_ops import RetryPolicy, comparable
from mcp_lightning.execution.executor import Executor, ExecutorOptions
from mcp_lightning.execution.model import ChangeStatus, Mode, StepStatus, TxStatus
from mcp_lightning.units import Ppm
from tests.adapters.emulator_fixtures import lnd_config, running_lnd
from tests.adapters.execution_fixtures import change_statuses, record_changes

ROOT = Path(__file__).resolve().parents[2]
N_CHANNELS = 8


@dataclass
class Emulated:
    """A running emulator, the adapter talking to it, and the node's policies before any change."""

    emulator: LndEmulator
    node: LndRestNode
    before: dict[int, Policy]

    @property
    def chans(self) -> list[int]:
        """Channel ids, in order."""
        return sorted(self.before)

    def now_policy(self, chan_id: int) -> Policy:
        """The emulator's own record of our policy (not read through the adapter)."""
        return self.emulator.state.local_policy(chan_id)

    def targets(self, ppm_delta: int = 25) -> dict[int, tuple[Policy, Policy]]:
        """(current, target) per channel: every fee rate raised by ``ppm_delta``."""
        return {c: (p, replace(p, fee_rate_ppm=Ppm(p.fee_rate_ppm + ppm_delta))) for c, p in self.before.items()}


@pytest.fixture
def lnd(tmp_path: Path) -> Iterator[Emulated]:
    """A fresh emulated LND node with 8 channels over HTTPS on loopback, and the adapter (admin macaroon)."""
    with running_lnd(synthetic_state(N_CHANNELS, n_forwards=0, seed=4), tmp_path / "lnd") as emulator:
        node = LndRestNode(lnd_config(emulator))
        before = {c.chan_id: emulator.state.local_policy(c.chan_id) for c in emulator.state.channels()}
        try:
            yield Emulated(emulator, node, before)
        finally:
            node.close()


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Store]:
    """A SQLite store for the test."""
    with open_store(f"sqlite:///{tmp_path / 'lnd.sqlite3'}", default_dir=tmp_path) as store:
        yield store


def executor(store: Store, lnd: Emulated) -> Executor:
    """An executor on the emulated node (no retry pauses)."""
    return Executor(store, lnd.node, lnd.node.identity().pubkey, options=ExecutorOptions(retry=RetryPolicy(delay_s=0)))


def plan(store: Store, lnd: Emulated) -> RunSummary:
    """Record a run raising every channel's fee rate by 25 ppm."""
    return record_changes(store, lnd.node.identity().pubkey, lnd.targets())


def assert_node_shows(lnd: Emulated, expected: dict[int, Policy]) -> None:
    """The emulator holds exactly the expected policies (its own update timestamp aside)."""
    for chan_id, policy in expected.items():
        assert comparable(lnd.now_policy(chan_id), inbound=True) == comparable(policy, inbound=True), chan_id


def test_auto_apply_over_https_verifies_each_channel_then_rollback_restores_them(db: Store, lnd: Emulated) -> None:
    """Every channel is written once, read back, recorded; rolling back restores the exact previous policies."""
    run = plan(db, lnd)
    ex = executor(db, lnd)

    report = ex.apply_run(run.run_id, mode=Mode.AUTO).report

    assert report is not None and report.tx.status is TxStatus.SUCCESS
    assert_node_shows(lnd, {c: t for c, (_, t) in lnd.targets().items()})
    assert lnd.emulator.state.n_policy_writes == N_CHANNELS
    assert set(change_statuses(db).values()) == {ChangeStatus.APPLIED.value}

    rollback = ex.rollback_tx(report.tx.tx_id)
    assert rollback.tx.status is TxStatus.SUCCESS
    assert_node_shows(lnd, lnd.before)


@pytest.mark.parametrize(("fault", "options", "expected"), [
    ("server_error", {"times": 1}, TxStatus.SUCCESS),
    ("reset", {"times": 1}, TxStatus.SUCCESS),
    ("not_applied", {"times": 1}, TxStatus.SUCCESS),
    ("slow", {"times": 3, "delay_s": 0.2}, TxStatus.SUCCESS),
    ("timeout", {"times": 1, "writes_only": True}, TxStatus.SUCCESS),
    ("write_fails", {"times": 3, "from_write": 4}, TxStatus.ROLLED_BACK),
])
def test_emulator_faults_end_in_a_verified_success_or_a_verified_restore(db: Store, lnd: Emulated, fault: str,
                                                                         options: dict[str, object],
                                                                         expected: TxStatus) -> None:
    """A transient fault is absorbed; a channel whose writes keep failing rolls the whole batch back."""
    run = plan(db, lnd)
    lnd.emulator.faults.set(fault, **options)  # type: ignore[arg-type]

    report = executor(db, lnd).apply_run(run.run_id, mode=Mode.AUTO).report

    assert report is not None and report.tx.status is expected, report.tx.reason
    final = {c: t for c, (_, t) in lnd.targets().items()} if expected is TxStatus.SUCCESS else lnd.before
    assert_node_shows(lnd, final)
    assert all(s.status in (StepStatus.VERIFIED, StepStatus.RESTORED, StepStatus.SKIPPED) for s in report.steps)


def test_a_child_killed_mid_batch_against_the_emulator_is_settled_by_the_next_start(db: Store, lnd: Emulated,
                                                                                    tmp_path: Path) -> None:
    """kill -9 of a child applying over HTTPS after 3 slow writes; recovery leaves no channel unaccounted."""
    run = plan(db, lnd)
    (tmp_path / "admin.hex").write_bytes(bytes.fromhex(lnd.emulator.macaroons.admin_hex))
    lnd.emulator.faults.set("slow", writes_only=True, delay_s=0.3)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    args = ["lnd", f"sqlite:///{tmp_path / 'lnd.sqlite3'}", run.run_id, lnd.emulator.url, str(tmp_path / "admin.hex"),
            str(lnd.emulator.tls.cert_path)]
    child = subprocess.Popen([sys.executable, "-m", "tests.e2e.execution_child", *args], cwd=ROOT, env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while lnd.emulator.state.n_policy_writes < 3:
        assert child.poll() is None, (child.stderr.read() if child.stderr else b"").decode()[-2000:]
        assert time.monotonic() < deadline
        time.sleep(0.01)
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)
    lnd.emulator.faults.clear()

    recovered = executor(db, lnd).recover()

    assert [r.tx.status for r in recovered] == [TxStatus.ROLLED_BACK]
    assert_node_shows(lnd, lnd.before)
    statuses = change_statuses(db)
    assert all(statuses[s.policy_change_id] == ChangeStatus.ROLLED_BACK.value for s in recovered[0].steps if s.sent)
    assert db.open_transactions(lnd.node.identity().pubkey) == []


@pytest.mark.slow
def test_rolling_back_a_100_channel_run_over_https_takes_less_than_30_seconds(tmp_path: Path, db: Store) -> None:
    """The seed's bound: a verified rollback of 100 channels against the emulator completes in < 30 s."""
    with running_lnd(synthetic_state(100, n_forwards=0, seed=12), tmp_path / "lnd100") as emulator:
        node = LndRestNode(lnd_config(emulator))
        before = {c.chan_id: emulator.state.local_policy(c.chan_id) for c in emulator.state.channels()}
        try:
            run = record_changes(db, node.identity().pubkey,
                                 {c: (p, replace(p, fee_rate_ppm=Ppm(p.fee_rate_ppm + 5))) for c, p in before.items()})
            ex = Executor(db, node, node.identity().pubkey, options=ExecutorOptions(retry=RetryPolicy(delay_s=0)))
            report = ex.apply_run(run.run_id, mode=Mode.AUTO).report
            assert report is not None and report.tx.status is TxStatus.SUCCESS
            started = time.perf_counter()
            rollback = ex.rollback_tx(report.tx.tx_id)
            elapsed_s = time.perf_counter() - started
        finally:
            node.close()
        assert rollback.tx.status is TxStatus.SUCCESS and rollback.count(StepStatus.VERIFIED) == 100
        assert elapsed_s < 30.0
        assert all(comparable(emulator.state.local_policy(c), inbound=True) == comparable(p, inbound=True)
                   for c, p in before.items())
