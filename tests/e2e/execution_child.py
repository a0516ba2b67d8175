"""Child process of the crash tests: apply a recorded run in auto mode, then exit (unless killed first).

Usage::

    python -m tests.e2e.execution_child fake DB_URL RUN_ID STATE_PATH MARKER_PATH [STEP:KIND:CHAN[:TIMES]]...
    python -m tests.e2e.execution_child lnd DB_URL RUN_ID URL MACAROON_FILE CERT_FILE

``fake``: a file-backed fake node; each fault is ``step:kind:chan_id[:times]`` (``times`` omitted:
every matching call); a ``hang`` fault writes MARKER_PATH and blocks until the parent's ``kill -9``.
``lnd``: the LND REST adapter against an emulator the parent runs (over HTTPS, macaroon and pinned cert).
"""

from __future__ import annotations

import sys
from pathlib import Path

from mcp_lightning.adapters.lnd.node import LndRestConfig, LndRestNode
from mcp_lightning.adapters.store import open_store
from mcp_lightning.engine.ports import NodePort
from mcp_lightning.execution.channel_ops import RetryPolicy
from mcp_lightning.execution.executor import Executor, ExecutorOptions
from mcp_lightning.execution.fake_node import Fault, FaultKind, NodeStep, load_state
from mcp_lightning.execution.model import Mode
from tests.adapters.emulator_fixtures import FAST_HTTP


def parse_fault(text: str) -> Fault:
    """``step:kind:chan_id[:times]`` -> Fault."""
    parts = text.split(":")
    times = int(parts[3]) if len(parts) > 3 else None
    return Fault(NodeStep(parts[0]), FaultKind(parts[1]), chan_id=int(parts[2]), times=times, delay_s=0.05)


def node_from(kind: str, args: list[str]) -> tuple[NodePort, str]:
    """The node to write and its pubkey, from the command line."""
    if kind == "fake":
        state, marker, *faults = args
        fake = load_state(Path(state), hang_marker=Path(marker), faults=[parse_fault(f) for f in faults])
        return fake, fake.pubkey
    url, macaroon_file, cert_file = args
    lnd = LndRestNode(LndRestConfig(url=url, macaroon_hex=Path(macaroon_file).read_bytes().hex(),
                                    tls_cert_pem=Path(cert_file).read_text(), http=FAST_HTTP))
    return lnd, lnd.identity().pubkey


def main(argv: list[str]) -> int:
    """Run the batch; exit 0 when it ends (the tests usually kill it first)."""
    kind, db_url, run_id, *rest = argv
    node, pubkey = node_from(kind, rest)
    with open_store(db_url, default_dir=Path.cwd()) as store:
        executor = Executor(store, node, pubkey, options=ExecutorOptions(retry=RetryPolicy(delay_s=0)))
        executor.apply_run(run_id, mode=Mode.AUTO)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
