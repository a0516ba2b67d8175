"""Execution benchmarks: apply-and-verify throughput and the time to roll back a 100-channel run.

Usage: .venv/bin/python bench/bench_execution.py [--channels 100] [--repeat 3] [--node lnd|fake|both]

``lnd``: the LND REST emulator (``mcp_lightning.emulators``) over real HTTPS on loopback, with the
LND adapter (macaroon header, pinned certificate) and a client rate limit of 60,000 requests/min;
``fake``: the in-memory ``FakeNode`` (executor and store cost alone). The store is a fresh SQLite
file per repeat. Every channel is backed up, written, read back and recorded (about 3 node calls and
4 database commits per channel); the rollback restores every channel from the checksummed backup.
Prints a table of the median over the repeats.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import structlog

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from mcp_lightning.adapters.lnd.http_transport import HttpSettings  # noqa: E402
from mcp_lightning.adapters.lnd.node import LndRestConfig, LndRestNode  # noqa: E402
from mcp_lightning.adapters.store import Store, open_store  # noqa: E402
from mcp_lightning.domain.channel import Policy  # noqa: E402
from mcp_lightning.domain.decision import Decision, DecisionType  # noqa: E402
from mcp_lightning.emulators.lnd_rest import LndEmulator  # noqa: E402
from mcp_lightning.emulators.synthetic import synthetic_state  # noqa: E402
from mcp_lightning.engine.plan import ChannelFacts, PlannedDecision, RunSummary, SafetyResult, Verdict  # noqa: E402
from mcp_lightning.engine.ports import NodePort  # noqa: E402
from mcp_lightning.execution.channel_ops import RetryPolicy  # noqa: E402
from mcp_lightning.execution.executor import Executor, ExecutorOptions  # noqa: E402
from mcp_lightning.execution.fake_node import FakeNode  # noqa: E402
from mcp_lightning.execution.model import Mode, TxStatus  # noqa: E402
from mcp_lightning.units import Ppm  # noqa: E402

HTTP = HttpSettings(timeout_s=10.0, requests_per_minute=60_000, burst=1_000)


class _Quiet:
    """A logger that drops events (the benchmark times the executor, not the console)."""

    def info(self, event: str, **fields: object) -> None:
        """Drop."""

    warning = error = info


def record_changes(store: Store, pubkey: str, changes: dict[int, tuple[Policy, Policy]]) -> RunSummary:
    """Record a run that moves each channel from its current to its target policy (all allowed)."""
    now = datetime.now(UTC)
    facts = ChannelFacts(capacity_sat=5_000_000, local_ratio=0.5, n_forwards_7d=0, fee_7d_msat=0, peer_alias=None,
                         active=True, in_graph=True)
    planned = [PlannedDecision(Decision(c, None, "03" + "00" * 32, DecisionType.INCREASE_FEES, 0.9, 0.5, (), ("bench",),
                                        cur, new), SafetyResult(Verdict.ALLOWED, proposed=new), facts, "00" * 32)
               for c, (cur, new) in changes.items()]
    run = RunSummary(uuid.uuid4().hex, now, now, now, "auto", "bench", pubkey, "bench", "emulator", "-", "-", "-",
                     len(planned), 0, {"INCREASE_FEES": len(planned)})
    store.record_run(run, planned)
    return run


def one_round(node: NodePort, pubkey: str, before: dict[int, Policy], folder: Path) -> tuple[float, float]:
    """Apply +25 ppm to every channel, then roll it back; returns (apply_s, rollback_s)."""
    changes = {c: (p, replace(p, fee_rate_ppm=Ppm(p.fee_rate_ppm + 25))) for c, p in before.items()}
    with open_store(f"sqlite:///{folder / 'bench.sqlite3'}", default_dir=folder) as store:
        run = record_changes(store, pubkey, changes)
        executor = Executor(store, node, pubkey, options=ExecutorOptions(retry=RetryPolicy(delay_s=0)), log=_Quiet())
        started = time.perf_counter()
        report = executor.apply_run(run.run_id, mode=Mode.AUTO).report
        apply_s = time.perf_counter() - started
        assert report is not None and report.tx.status is TxStatus.SUCCESS, report and report.tx.reason
        started = time.perf_counter()
        undone = executor.rollback_tx(report.tx.tx_id)
        rollback_s = time.perf_counter() - started
        assert undone.tx.status is TxStatus.SUCCESS, undone.tx.reason
    return apply_s, rollback_s


def bench(name: str, make: Callable[[Path], tuple[NodePort, str, dict[int, Policy], Callable[[], None]]],
          repeat: int) -> tuple[str, int, float, float]:
    """Median apply and rollback times over ``repeat`` fresh nodes and stores."""
    applies, rollbacks, n = [], [], 0
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as tmp:
            node, pubkey, before, close = make(Path(tmp))
            try:
                apply_s, rollback_s = one_round(node, pubkey, before, Path(tmp))
            finally:
                close()
            applies.append(apply_s)
            rollbacks.append(rollback_s)
            n = len(before)
    return name, n, statistics.median(applies), statistics.median(rollbacks)


def lnd_node(n_channels: int) -> Callable[[Path], tuple[NodePort, str, dict[int, Policy], Callable[[], None]]]:
    """A factory of emulated LND nodes with ``n_channels`` channels."""
    def make(folder: Path) -> tuple[NodePort, str, dict[int, Policy], Callable[[], None]]:
        emulator = LndEmulator(synthetic_state(n_channels, n_forwards=0, seed=9), folder).start()
        node = LndRestNode(LndRestConfig(url=emulator.url, macaroon_hex=emulator.macaroons.admin_hex,
                                         tls_cert_pem=emulator.tls.cert_pem, http=HTTP))
        before = {c.chan_id: emulator.state.local_policy(c.chan_id) for c in emulator.state.channels()}

        def close() -> None:
            node.close()
            emulator.stop()
        return node, node.identity().pubkey, before, close
    return make


def fake_node(n_channels: int) -> Callable[[Path], tuple[NodePort, str, dict[int, Policy], Callable[[], None]]]:
    """A factory of in-memory fake nodes with ``n_channels`` channels."""
    def make(_folder: Path) -> tuple[NodePort, str, dict[int, Policy], Callable[[], None]]:
        state = synthetic_state(n_channels, n_forwards=0, seed=9)
        before = {c.chan_id: state.local_policy(c.chan_id) for c in state.channels()}
        return FakeNode(state.pubkey, dict(before)), state.pubkey, before, lambda: None
    return make


def main() -> None:
    """Run the benchmarks and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channels", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--node", choices=("lnd", "fake", "both"), default="both")
    args = parser.parse_args()
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(file=sys.stderr))
    rows = []
    if args.node in ("lnd", "both"):
        rows.append(bench("LND emulator (HTTPS)", lnd_node(args.channels), args.repeat))
    if args.node in ("fake", "both"):
        rows.append(bench("in-memory fake", fake_node(args.channels), args.repeat))
    print(f"{'node':<22} {'channels':>8} {'apply+verify s':>15} {'channels/s':>11} {'rollback s':>11}")
    for name, n, apply_s, rollback_s in rows:
        print(f"{name:<22} {n:>8} {apply_s:>15.2f} {n / apply_s:>11.1f} {rollback_s:>11.2f}")
    print(f"(median of {args.repeat}; SQLite store; rollback target < 30 s for 100 channels)")


if __name__ == "__main__":
    main()
