"""A Core Lightning emulator: JSON-RPC 2.0 on a unix socket, framed like ``lightningd``.

Requests are JSON objects back to back on the stream; each answer is one JSON object followed by
``"\\n\\n"`` — what ``pyln.client.LightningRpc`` reads, so it talks to this server unchanged.
Faults: ``server_error`` answers JSON-RPC error -32603, ``timeout`` holds the call then closes,
``reset`` closes without answering, ``slow`` answers late; ``not_applied``/``write_fails`` hit
``setchannel``. Set them in-process (``emulator.faults``) or by hand with the extra method
``emulator-fault`` (``lightning-cli --rpc-file=… emulator-fault -k fault=reset times=1``).
"""

from __future__ import annotations

import codecs
import json
import socket
import socketserver
import threading
import time
from pathlib import Path

from mcp_lightning.emulators import cln_methods as methods
from mcp_lightning.emulators.faults import Fault, FaultPlan
from mcp_lightning.emulators.recorder import Exchange, Recorder
from mcp_lightning.emulators.state import NodeState

INTERNAL_ERROR = -32603
CONTROL_METHOD = "emulator-fault"
"""Set a fault by hand: ``lightning-cli emulator-fault -k fault=server_error times=2``; ``fault=none`` clears."""
_MAX_UNIX_PATH = 107
_READ_CHUNK = 65_536


class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    allow_reuse_address = True
    emulator: ClnEmulator


class _Handler(socketserver.BaseRequestHandler):
    """One client connection: read requests until EOF, answer each."""

    server: _Server

    def handle(self) -> None:
        decoder, text, buffer = json.JSONDecoder(), codecs.getincrementaldecoder("utf-8")(), ""
        while True:
            try:
                request, end = decoder.raw_decode(buffer.lstrip())
            except ValueError:
                chunk = self.request.recv(_READ_CHUNK)
                if not chunk:
                    return
                buffer += text.decode(chunk)
                continue
            buffer = buffer.lstrip()[end:]
            answer = self.server.emulator.answer(request)
            if answer is None:  # a reset or a timeout: drop the connection without answering
                return
            self.request.sendall(json.dumps(answer).encode() + b"\n\n")


class ClnEmulator:
    """A Core Lightning node behind a unix socket (``lightning-rpc``), in a background thread.

    Args:
        state: the node served.
        socket_path: where to create the socket (at most 107 bytes long, Linux's limit).
        hang_s: how long the ``timeout`` fault holds a call, seconds.
        legacy: answer like a pre-v23.11 node: no ``listforwards`` paging, no ``listpeerchannels``
            filter, no ``updates`` in ``listpeerchannels`` (our fees only at top level).

    Raises:
        ValueError: the socket path is too long.
    """

    def __init__(self, state: NodeState, socket_path: Path, *, hang_s: float = 5.0, legacy: bool = False) -> None:
        if len(str(socket_path).encode()) > _MAX_UNIX_PATH:
            raise ValueError(f"unix socket path is {len(str(socket_path))} bytes, the limit is {_MAX_UNIX_PATH}: "
                             f"{socket_path}")
        self.state = state
        self.legacy = legacy
        self.socket_path = socket_path
        self.faults = FaultPlan(hang_s=hang_s)
        self.recorder = Recorder()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """``cln://<socket path>``, the form ``node_url`` takes."""
        return f"cln://{self.socket_path}"

    def start(self) -> ClnEmulator:
        """Create the socket and serve in a daemon thread."""
        self.socket_path.unlink(missing_ok=True)
        self._server = _Server(str(self.socket_path), _Handler)
        self._server.emulator = self
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="cln-emulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Release hung calls, stop serving and remove the socket."""
        self.faults.release()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.socket_path.unlink(missing_ok=True)

    def serve_forever(self) -> None:
        """Serve in this thread until interrupted (demos)."""
        self.start()
        try:
            while True:
                time.sleep(3600)
        finally:
            self.stop()

    def _control(self, params: object) -> dict[str, object]:
        """Handle ``emulator-fault`` (not a Core Lightning method, never recorded)."""
        settings = dict(params) if isinstance(params, dict) else {}
        if settings.get("fault") in (None, "none"):
            self.faults.clear()
            return {"result": {"fault": None}}
        try:
            self.faults.set(**settings)
        except (TypeError, ValueError) as exc:
            return {"error": {"code": methods.INVALID_PARAMS, "message": str(exc)}}
        return {"result": {"fault": str(settings["fault"])}}

    def answer(self, request: object) -> dict[str, object] | None:
        """The JSON-RPC answer to one request, or None to drop the connection (reset/timeout fault)."""
        if not isinstance(request, dict):
            return {"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": "Invalid request"}}
        method, request_id = str(request.get("method")), request.get("id")
        if method == CONTROL_METHOD:
            return {"jsonrpc": "2.0", "id": request_id, **self._control(request.get("params"))}
        is_write = method == "setchannel"
        if self.faults.take(is_write=is_write, resets=True) is not None:
            return None
        injection = self.faults.take(is_write=is_write)
        if injection is not None and injection.fault is Fault.TIMEOUT:
            self.faults.hang()
            return None
        if injection is not None and injection.fault is Fault.SLOW:
            time.sleep(injection.delay_s)
        try:
            if injection is not None and injection.fault is Fault.SERVER_ERROR:
                raise methods.RpcFailure(INTERNAL_ERROR, "emulated: internal error")
            params = methods.named_params(method, request.get("params", {}), legacy=self.legacy)
            result: dict[str, object] = (methods.setchannel(self.state, params, injection) if is_write
                                         else getattr(methods, method)(self.state, params))
            if self.legacy and method == "listpeerchannels":
                result = {"channels": [_without_updates(c) for c in methods.listpeerchannels(self.state, params)
                                       ["channels"]]}
        except methods.RpcFailure as exc:
            error = {"code": exc.code, "message": exc.message}
            self.recorder.add(Exchange("RPC", method, "", request.get("params"), 500, error))
            return {"jsonrpc": "2.0", "id": request_id, "error": error}
        self.recorder.add(Exchange("RPC", method, "", request.get("params"), 200, result))
        return {"jsonrpc": "2.0", "id": request_id, "result": result}


def _without_updates(channel: object) -> object:
    """A ``listpeerchannels`` entry as a node before v24.02 wrote it (no ``updates``)."""
    return {k: v for k, v in channel.items() if k != "updates"} if isinstance(channel, dict) else channel


def connect_raw(socket_path: Path) -> socket.socket:
    """A plain client socket to the emulator (for protocol-level tests)."""
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    client.connect(str(socket_path))
    return client
