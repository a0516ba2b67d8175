"""Serve an ASGI app with uvicorn in a background thread on a loopback port, with connection resets on demand.

A ``reset`` fault is shown at the connection layer: a custom h11 protocol reads the request line,
asks the :class:`FaultPlan`, and aborts the TCP connection with ``SO_LINGER 0`` (a real RST) before
the app sees the request.
"""

from __future__ import annotations

import asyncio
import socket
import struct
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from mcp_lightning.emulators.faults import FaultPlan
from mcp_lightning.emulators.recorder import AsgiApp

WriteClassifier = Callable[[str, str], bool]
"""``(http_method, path) -> True`` when the request changes the node."""

LOOPBACK = "127.0.0.1"
_START_TIMEOUT_S = 5.0


def _protocol_class(faults: FaultPlan, is_write: WriteClassifier) -> type[H11Protocol]:
    class ResettingH11Protocol(H11Protocol):
        """uvicorn's h11 protocol that drops the connection when the fault plan says ``reset``."""

        def data_received(self, data: bytes) -> None:
            if self.conn.their_state is h11.IDLE and self._should_reset(data):
                sock = self.transport.get_extra_info("socket")
                if sock is not None:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.transport.abort()
                return
            super().data_received(data)

        @staticmethod
        def _should_reset(data: bytes) -> bool:
            parts = data.split(b" ", 2)
            if len(parts) < 2:
                return False
            method, path = parts[0].decode("latin-1"), parts[1].decode("latin-1").split("?", 1)[0]
            return faults.take(is_write=is_write(method, path), resets=True) is not None

    return ResettingH11Protocol


class _QuickServer(uvicorn.Server):
    """uvicorn's server, noticing ``should_exit`` every 10 ms instead of 100 ms (tests stop many servers)."""

    async def main_loop(self) -> None:
        counter = 0
        while not await self.on_tick(counter):
            counter = (counter + 1) % 864_000
            await asyncio.sleep(0.01)


class BackgroundServer:
    """One uvicorn server on ``host:port`` (0 = an ephemeral port), in a daemon thread.

    Args:
        app: the ASGI app.
        faults: consulted for ``reset`` on every new request.
        is_write: tells writes from reads, for faults limited to writes.
        host: the loopback address to bind.
        port: the port; 0 picks a free one (see :attr:`port` after :meth:`start`).
        tls: ``(cert_path, key_path)`` to serve HTTPS, or None for plain HTTP.
    """

    def __init__(self, app: AsgiApp, *, faults: FaultPlan, is_write: WriteClassifier, host: str = LOOPBACK,
                 port: int = 0, tls: tuple[Path, Path] | None = None) -> None:
        self.faults = faults
        # proto=IPPROTO_TCP matters: asyncio sets TCP_NODELAY on accepted sockets only when the listening
        # socket says TCP; without it every answer waits ~40 ms for a delayed ACK (Nagle).
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, port))
        self.host, self.port = self._socket.getsockname()[:2]
        self.scheme = "https" if tls else "http"
        config = uvicorn.Config(
            app, http=_protocol_class(faults, is_write), lifespan="off", log_level="warning", access_log=False,
            ssl_certfile=str(tls[0]) if tls else None, ssl_keyfile=str(tls[1]) if tls else None,
            timeout_graceful_shutdown=1, ws="none")
        self._server = _QuickServer(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._socket]},
                                        name=f"emulator-{self.port}", daemon=True)

    @property
    def url(self) -> str:
        """``http(s)://127.0.0.1:<port>``."""
        return f"{self.scheme}://{self.host}:{self.port}"

    def start(self) -> BackgroundServer:
        """Start serving; return once the server accepts connections.

        Raises:
            RuntimeError: the server did not start within 5 s.
        """
        self._thread.start()
        deadline = time.monotonic() + _START_TIMEOUT_S
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError(f"emulator on {self.url} did not start")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        """Release hung requests, stop the server and wait for its thread."""
        self.faults.release()
        self._server.should_exit = True
        self._thread.join(timeout=_START_TIMEOUT_S)
        self._socket.close()

    def serve_forever(self) -> None:
        """Serve in this thread until interrupted (for demos started by hand)."""
        self._server.run(sockets=[self._socket])

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()
