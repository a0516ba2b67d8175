"""Fixtures that start node emulators on loopback, and adapters connected to them.

Import the fixtures you need into a test module (pytest finds fixtures by name)::

    from tests.adapters.emulator_fixtures import lnd_emulator, lnd_node, node_state  # noqa: F401

``node_state`` is a synthetic 20-channel node with 300 forwards; override it in a module (define a
fixture of the same name, e.g. returning ``NodeState.from_snapshot(loudtoll_snapshot)``) to serve
another node. Each ``*_emulator`` fixture starts in well under a second, serves ``node_state``,
and stops at the end of the test; each ``*_node`` fixture is the matching adapter with test
settings (1 s timeout, 3 tries, 10 ms backoff, no effective rate limit). Faults: ``emulator.faults``
(``set(Fault.SERVER_ERROR, times=2)``...); exchanges: ``emulator.recorder.exchanges()``.

Outside fixtures, :func:`running_lnd`, :func:`running_cln` and :func:`running_lnbits` are context
managers over the same objects; :func:`lnd_config` and friends build adapter configs.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from mcp_lightning.adapters.cln import ClnConfig, ClnNode, RpcSettings
from mcp_lightning.adapters.files.node_export import load_node_export
from mcp_lightning.adapters.lnbits import LnbitsConfig, LnbitsNode
from mcp_lightning.adapters.lnd import HttpSettings, LndRestConfig, LndRestNode
from mcp_lightning.domain.node import NodeSnapshot
from mcp_lightning.emulators.cln_rpc import ClnEmulator
from mcp_lightning.emulators.lnbits_api import LnbitsEmulator
from mcp_lightning.emulators.lnd_rest import LndEmulator
from mcp_lightning.emulators.state import NodeState
from mcp_lightning.emulators.synthetic import synthetic_state

LOUDTOLL = Path(__file__).resolve().parents[2] / "data" / "nodes" / "cln-loudtoll"
FAST_HTTP = HttpSettings(timeout_s=1.0, connect_timeout_s=1.0, max_attempts=3, backoff_initial_s=0.01,
                         backoff_max_s=0.05, requests_per_minute=1_000_000, burst=1_000)
FAST_RPC = RpcSettings(timeout_s=1.0, max_attempts=3, backoff_initial_s=0.01, backoff_max_s=0.05)
HANG_S = 3.0  # the timeout fault holds a request this long: longer than the 1 s test timeout


def lnd_config(emulator: LndEmulator, **overrides: Any) -> LndRestConfig:
    """An adapter config for ``emulator`` with the admin macaroon and ``FAST_HTTP``; fields overridable."""
    base = LndRestConfig(url=emulator.url, macaroon_hex=emulator.macaroons.admin_hex,
                         tls_cert_pem=emulator.tls.cert_pem, tls_cert_source=str(emulator.tls.cert_path),
                         http=FAST_HTTP)
    return replace(base, **overrides)


def cln_config(emulator: ClnEmulator, **overrides: Any) -> ClnConfig:
    """An adapter config for ``emulator`` with ``FAST_RPC``; fields overridable."""
    return replace(ClnConfig(emulator.socket_path, rpc=FAST_RPC), **overrides)


def lnbits_config(emulator: LnbitsEmulator, **overrides: Any) -> LnbitsConfig:
    """An adapter config for ``emulator`` with its admin key and ``FAST_HTTP``; fields overridable."""
    return replace(LnbitsConfig(url=emulator.url, api_key=emulator.admin_key, http=FAST_HTTP), **overrides)


@contextmanager
def running_lnd(state: NodeState, folder: Path, **options: Any) -> Iterator[LndEmulator]:
    """An LND emulator serving ``state`` (credentials in ``folder``) until the block ends."""
    emulator = LndEmulator(state, folder, hang_s=HANG_S, **options).start()
    try:
        yield emulator
    finally:
        emulator.stop()


@contextmanager
def running_cln(state: NodeState, folder: Path, **options: Any) -> Iterator[ClnEmulator]:
    """A Core Lightning emulator on ``folder/lightning-rpc`` (keep ``folder`` short) until the block ends."""
    emulator = ClnEmulator(state, folder / "lightning-rpc", hang_s=HANG_S, **options).start()
    try:
        yield emulator
    finally:
        emulator.stop()


@contextmanager
def running_lnbits(state: NodeState, folder: Path, **options: Any) -> Iterator[LnbitsEmulator]:
    """An LNbits emulator serving ``state`` (admin key in ``folder``) until the block ends."""
    emulator = LnbitsEmulator(state, folder, hang_s=HANG_S, **options).start()
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture(scope="session")
def loudtoll_snapshot() -> NodeSnapshot:
    """The bundled LOUDTOLL Core Lightning export (85 channels, ~12.9k forwards), read once per session."""
    return load_node_export(LOUDTOLL)


@pytest.fixture
def node_state() -> NodeState:
    """A synthetic node: 20 channels (one private, two without a peer policy), 300 forwards, one pending."""
    return synthetic_state(20, n_forwards=300, seed=7)


@pytest.fixture
def lnd_emulator(node_state: NodeState, tmp_path: Path) -> Iterator[LndEmulator]:
    """An LND REST emulator over HTTPS serving ``node_state``."""
    with running_lnd(node_state, tmp_path / "lnd") as emulator:
        yield emulator


@pytest.fixture
def lnd_node(lnd_emulator: LndEmulator) -> Iterator[LndRestNode]:
    """The LND adapter connected to ``lnd_emulator`` with the admin macaroon."""
    node = LndRestNode(lnd_config(lnd_emulator))
    yield node
    node.close()


@pytest.fixture
def cln_emulator(node_state: NodeState, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClnEmulator]:
    """A Core Lightning emulator serving ``node_state`` on a unix socket under a short pytest temp folder."""
    with running_cln(node_state, tmp_path_factory.mktemp("cln")) as emulator:
        yield emulator


@pytest.fixture
def cln_node(cln_emulator: ClnEmulator) -> ClnNode:
    """The Core Lightning adapter connected to ``cln_emulator``."""
    return ClnNode(cln_config(cln_emulator))


@pytest.fixture
def lnbits_emulator(node_state: NodeState, tmp_path: Path) -> Iterator[LnbitsEmulator]:
    """An LNbits node-API emulator over HTTP serving ``node_state``."""
    with running_lnbits(node_state, tmp_path / "lnbits") as emulator:
        yield emulator


@pytest.fixture
def lnbits_node(lnbits_emulator: LnbitsEmulator) -> Iterator[LnbitsNode]:
    """The LNbits adapter connected to ``lnbits_emulator`` with the admin key."""
    node = LnbitsNode(lnbits_config(lnbits_emulator))
    yield node
    node.close()
