"""The executor against the Core Lightning emulator (JSON-RPC on a unix socket; no inbound fees)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from mcp_lightning.adapters.cln import ClnNode
from mcp_lightning.adapters.store import open_store
from mcp_lightning.emulators.synthetic import synthetic_state
from mcp_lightning.execution.channel_ops import RetryPolicy, comparable
from mcp_lightning.execution.executor import Executor, ExecutorOptions
from mcp_lightning.execution.model import Mode, TxStatus
from mcp_lightning.units import Ppm
from tests.adapters.emulator_fixtures import cln_config, running_cln
from tests.adapters.execution_fixtures import record_changes


def test_apply_then_rollback_on_core_lightning_ends_at_the_exact_previous_policies(
        tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    """A 6-channel batch is applied and verified over the Core Lightning RPC, then rolled back exactly."""
    with running_cln(synthetic_state(6, n_forwards=0, seed=5), tmp_path_factory.mktemp("cln")) as emulator, \
            open_store(f"sqlite:///{tmp_path / 'cln.sqlite3'}", default_dir=tmp_path) as store:
        node = ClnNode(cln_config(emulator))
        before = {c.chan_id: emulator.state.local_policy(c.chan_id) for c in emulator.state.channels()}
        pubkey = node.snapshot(forwards_since=None).pubkey
        run = record_changes(store, pubkey, {c: (p, replace(p, fee_rate_ppm=Ppm(p.fee_rate_ppm + 40)))
                                             for c, p in before.items()})
        executor = Executor(store, node, pubkey, options=ExecutorOptions(retry=RetryPolicy(delay_s=0)))

        report = executor.apply_run(run.run_id, mode=Mode.AUTO).report
        assert report is not None and report.tx.status is TxStatus.SUCCESS, report.tx.reason
        assert all(emulator.state.local_policy(c).fee_rate_ppm == p.fee_rate_ppm + 40 for c, p in before.items())

        assert executor.rollback_tx(report.tx.tx_id).tx.status is TxStatus.SUCCESS
        for chan_id, policy in before.items():
            assert comparable(emulator.state.local_policy(chan_id), inbound=False) == comparable(policy, inbound=False)
