"""``mcpln emulate lnd|cln|lnbits``: serve a node emulator by hand, for demos and manual tests.

The lead wires :data:`app` (a Typer sub-app) or :func:`emulate` into ``cli.py``. The emulator
listens on loopback only and prints the URL and the ``export`` lines that point the adapters at its
credential files (the secrets themselves are never printed).
"""

from __future__ import annotations

import ipaddress
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

from mcp_lightning.emulators.cln_rpc import ClnEmulator
from mcp_lightning.emulators.lnbits_api import LnbitsEmulator
from mcp_lightning.emulators.lnd_rest import LndEmulator
from mcp_lightning.emulators.state import NodeState
from mcp_lightning.emulators.synthetic import synthetic_state
from mcp_lightning.errors import ConfigError

BACKENDS = ("lnd", "cln", "lnbits")
DEFAULT_PORTS = {"lnd": 8080, "lnbits": 5000}


@dataclass
class RunningEmulator:
    """A started emulator: how to reach it (``url``), the lines to export, and how to stop it."""

    backend: str
    url: str
    exports: tuple[str, ...]
    stop: Callable[[], None]


def load_state(state_source: Path | None, *, n_channels: int = 100, seed: int = 1) -> NodeState:
    """The node to serve: a node export folder (e.g. ``data/nodes/cln-loudtoll``) or a synthetic node.

    Raises:
        InputFileError: the export folder cannot be read.
    """
    if state_source is not None:
        return NodeState.from_export(state_source)
    return synthetic_state(n_channels, seed=seed)


def start_emulator(backend: str, state: NodeState, *, folder: Path, host: str = "127.0.0.1", port: int = 0,
                   socket_path: Path | None = None) -> RunningEmulator:
    """Start one emulator in a background thread.

    Args:
        backend: ``"lnd"``, ``"cln"`` or ``"lnbits"``.
        state: the node to serve.
        folder: where the TLS certificate, macaroons or key are written.
        host: a loopback address.
        port: TCP port (0: any free one); unused for ``cln``.
        socket_path: the unix socket for ``cln`` (default ``folder/lightning-rpc``).

    Raises:
        ConfigError: unknown backend, a host that is not loopback, or the port or socket is taken.
    """
    if backend not in BACKENDS:
        raise ConfigError(f"unknown emulator backend {backend!r} (known: {', '.join(BACKENDS)})")
    if not _is_loopback(host):
        raise ConfigError(f"the emulator listens on loopback only, not {host!r}", hint="use 127.0.0.1")
    try:
        return _start(backend, state, folder=folder, host=host, port=port, socket_path=socket_path)
    except OSError as exc:
        where = socket_path or folder / "lightning-rpc" if backend == "cln" else f"{host}:{port}"
        raise ConfigError(f"the {backend} emulator cannot listen on {where}: {exc.strerror or exc}",
                          hint="pass another --port (0 picks a free one) or --socket") from exc


def _start(backend: str, state: NodeState, *, folder: Path, host: str, port: int,
           socket_path: Path | None) -> RunningEmulator:
    if backend == "cln":
        cln = ClnEmulator(state, socket_path or folder / "lightning-rpc").start()
        return RunningEmulator("cln", cln.url, (), cln.stop)
    if backend == "lnd":
        lnd = LndEmulator(state, folder, host=host, port=port).start()
        return RunningEmulator("lnd", f"lnd+rest://{host}:{lnd.server.port}", (
            f"export MCPLN_LND_MACAROON_PATH={lnd.admin_macaroon_path}",
            f"export MCPLN_LND_TLS_CERT_PATH={lnd.tls.cert_path}"), lnd.stop)
    lnbits = LnbitsEmulator(state, folder, host=host, port=port).start()
    return RunningEmulator("lnbits", f"lnbits://{host}:{lnbits.server.port}",
                           (f"export MCPLN_LNBITS_API_KEY_FILE={lnbits.admin_key_path}",), lnbits.stop)


def _is_loopback(host: str) -> bool:
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def emulate(backend: str, host: str = "127.0.0.1", port: int | None = None, socket_path: Path | None = None,
            state_source: Path | None = None, *, n_channels: int = 100, seed: int = 1, folder: Path | None = None,
            echo: Callable[[str], None] = print, until: threading.Event | None = None) -> None:
    """Serve an emulator until interrupted (or until ``until`` is set), printing how to connect.

    Args:
        backend: ``"lnd"``, ``"cln"`` or ``"lnbits"``.
        host: a loopback address.
        port: TCP port (default 8080 for LND, 5000 for LNbits).
        socket_path: the unix socket for ``cln``.
        state_source: a node export folder; None serves a synthetic node of ``n_channels``.
        n_channels: size of the synthetic node.
        seed: seed of the synthetic node.
        folder: where credentials are written (a new temporary folder when None).
        echo: where to print.
        until: stop when this event is set (tests); None waits for Ctrl-C.

    Raises:
        ConfigError: unknown backend or non-loopback host.
        InputFileError: the export folder cannot be read.
    """
    state = load_state(state_source, n_channels=n_channels, seed=seed)
    where = folder or Path(tempfile.mkdtemp(prefix=f"mcpln-emulate-{backend}-"))
    running = start_emulator(backend, state, folder=where, host=host, port=DEFAULT_PORTS.get(backend, 0)
                             if port is None else port, socket_path=socket_path)
    echo(f"{backend} emulator serving {state.alias} ({len(state.channels())} channels, "
         f"{len(state.forwards())} forwards) at {running.url}")
    for line in running.exports:
        echo(line)
    echo(f"then: mcpln ... --node {running.url}   (Ctrl-C stops)")
    try:
        (until or threading.Event()).wait()
    except KeyboardInterrupt:
        pass
    finally:
        running.stop()


app = typer.Typer(help="Serve an emulated Lightning node on loopback (for demos and tests).", no_args_is_help=True)


@app.command()
def run(backend: Annotated[str, typer.Argument(help="lnd, cln or lnbits")],
        host: Annotated[str, typer.Option(help="Loopback address to listen on.")] = "127.0.0.1",
        port: Annotated[int | None, typer.Option(help="TCP port (LND 8080, LNbits 5000 by default).")] = None,
        socket: Annotated[Path | None, typer.Option(help="Unix socket path for cln.")] = None,
        state: Annotated[Path | None, typer.Option(help="Node export folder to serve (default: synthetic).")] = None,
        channels: Annotated[int, typer.Option(help="Channels of the synthetic node.")] = 100,
        seed: Annotated[int, typer.Option(help="Seed of the synthetic node.")] = 1) -> None:
    """Serve BACKEND until Ctrl-C."""
    emulate(backend, host, port, socket, state, n_channels=channels, seed=seed, echo=typer.echo)
