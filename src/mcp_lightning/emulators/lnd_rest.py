"""An LND REST emulator: HTTPS with a fresh self-signed ``tls.cert``, macaroon checks, faults on demand.

Endpoints: ``GET /v1/getinfo``, ``/v1/channels``, ``/v1/channels/pending``, ``/v1/fees``,
``/v1/graph``, ``/v1/graph/edge/{chan_id}``, ``/v1/graph/node/{pub_key}``; ``POST /v1/switch``,
``/v1/chanpolicy``; and the control endpoints of ``http_faults``.

Auth errors: by default 401 (no macaroon) and 403 (wrong one, or the read-only macaroon on a
write) with a gRPC status body; ``auth_error_style="lnd"`` answers like a real LND instead: HTTP
500, gRPC code 2 and LND's messages.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from mcp_lightning.emulators import lnd_render as render
from mcp_lightning.emulators.faults import FaultPlan
from mcp_lightning.emulators.http_faults import add_control_routes, add_fault_gate
from mcp_lightning.emulators.http_server import LOOPBACK, BackgroundServer
from mcp_lightning.emulators.lnd_chanpolicy import update_channel_policy
from mcp_lightning.emulators.recorder import Recorder, RecordingMiddleware, parse_json
from mcp_lightning.emulators.state import NodeState
from mcp_lightning.emulators.tls import CertificateFiles, make_self_signed

AuthStyle = Literal["http", "lnd"]
_WRITES = frozenset({("POST", "/v1/chanpolicy")})
_GRPC_CODES = {503: 14, 504: 4}  # Unavailable, DeadlineExceeded
_SWITCH_FIELDS = frozenset({"start_time", "end_time", "index_offset", "num_max_events", "peer_alias_lookup",
                            "incoming_chan_ids", "outgoing_chan_ids"})
_DEFAULT_EVENTS, _MAX_EVENTS = 100, 50_000


def is_lnd_write(method: str, path: str) -> bool:
    """True for the requests that change the node (``POST /v1/chanpolicy``)."""
    return (method, path) in _WRITES


@dataclass(frozen=True)
class Macaroons:
    """The macaroons the emulator accepts, hex (random by default); ``readonly_hex`` cannot write."""

    admin_hex: str = field(default_factory=lambda: secrets.token_hex(64), repr=False)
    readonly_hex: str = field(default_factory=lambda: secrets.token_hex(64), repr=False)


def _status(http_status: int, code: int, message: str) -> JSONResponse:
    return JSONResponse(render.rpc_status(code, message), status_code=http_status)


def _auth_failure(request: Request, macaroons: Macaroons, style: AuthStyle) -> JSONResponse | None:
    given = request.headers.get("grpc-metadata-macaroon", "").lower()
    write = is_lnd_write(request.method, request.url.path)
    if not given:
        status, code, message = 401, 16, "expected 1 macaroon, got 0"
    elif given == macaroons.admin_hex or (given == macaroons.readonly_hex and not write):
        return None
    elif given == macaroons.readonly_hex:
        status, code, message = 403, 7, "permission denied"
    else:
        status, code, message = 403, 7, "verification failed: signature mismatch after caveat verification"
    return _status(500, 2, message) if style == "lnd" else _status(status, code, message)


def create_lnd_app(state: NodeState, faults: FaultPlan, recorder: Recorder, macaroons: Macaroons, *,
                   auth_error_style: AuthStyle = "http") -> RecordingMiddleware:
    """The emulator's ASGI app, recording every exchange into ``recorder``."""
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    add_fault_gate(app, faults, is_write=is_lnd_write,
                   auth=lambda request: _auth_failure(request, macaroons, auth_error_style),
                   error=lambda status, message: _status(status, _GRPC_CODES[status], message))
    _add_read_routes(app, state)
    _add_write_routes(app, state)
    add_control_routes(app, faults)
    return RecordingMiddleware(app, recorder)


async def _json_body(request: Request) -> object:
    return parse_json(await request.body())


def _add_read_routes(app: FastAPI, state: NodeState) -> None:
    @app.get("/v1/getinfo")
    def getinfo() -> JSONResponse:
        return JSONResponse(render.getinfo(state))

    @app.get("/v1/channels")
    def channels() -> JSONResponse:
        return JSONResponse({"channels": [render.channel(c) for c in state.channels()]})

    @app.get("/v1/channels/pending")
    def pending() -> JSONResponse:
        return JSONResponse(render.pending_channels(state))

    @app.get("/v1/fees")
    def fees() -> JSONResponse:
        return JSONResponse(render.fee_report(state))

    @app.get("/v1/graph")
    def graph() -> JSONResponse:
        return JSONResponse(render.graph(state))

    @app.get("/v1/graph/edge/{chan_id}")
    def edge(chan_id: str) -> JSONResponse:
        channel = state.channel(int(chan_id)) if chan_id.isdigit() else None
        if channel is None:
            return _status(500, 2, "edge not found")
        return JSONResponse(render.edge(state, channel))

    @app.get("/v1/graph/node/{pub_key}")
    def node(pub_key: str) -> JSONResponse:
        if pub_key != state.pubkey:
            return _status(404, 5, "unable to find node")
        return JSONResponse(render.node_info(state))


def _switch(state: NodeState, body: object) -> JSONResponse:
    if not isinstance(body, dict) or set(body) - _SWITCH_FIELDS:
        return _status(400, 3, f"bad ForwardingHistoryRequest: {json.dumps(body)[:80]}")
    start_s, end_s = int(body.get("start_time", 0) or 0), int(body.get("end_time", 0) or 0)
    offset, wanted = int(body.get("index_offset", 0) or 0), int(body.get("num_max_events", 0) or _DEFAULT_EVENTS)
    end_s = end_s or int(state.now().timestamp())
    series = [f for f in state.forwards() if start_s <= f.resolved_at.timestamp() <= end_s]
    page = series[offset:offset + min(wanted, _MAX_EVENTS)]
    return JSONResponse({"forwarding_events": [render.forwarding_event(f, offset + i) for i, f in enumerate(page)],
                         "last_offset_index": offset + len(page)})


def _add_write_routes(app: FastAPI, state: NodeState) -> None:
    @app.post("/v1/switch")
    async def switch(request: Request) -> JSONResponse:
        return _switch(state, await _json_body(request))

    @app.post("/v1/chanpolicy")
    async def chanpolicy(request: Request) -> JSONResponse:
        answer = update_channel_policy(state, await _json_body(request), request.state.injection)
        return JSONResponse(answer.body, status_code=answer.status)


class LndEmulator:
    """An LND REST emulator to start in a background thread (tests) or serve by hand (demos).

    Args:
        state: the node served.
        folder: where ``tls.cert``/``tls.key`` and ``admin.macaroon``/``readonly.macaroon`` are written.
        port: 0 for an ephemeral port.
        auth_error_style: ``"http"`` (401/403) or ``"lnd"`` (HTTP 500 with LND's messages).
        hang_s: how long the ``timeout`` fault holds a request, seconds.
    """

    def __init__(self, state: NodeState, folder: Path, *, port: int = 0, host: str = LOOPBACK,
                 auth_error_style: AuthStyle = "http", hang_s: float = 5.0) -> None:
        self.state = state
        self.faults = FaultPlan(hang_s=hang_s)
        self.recorder = Recorder()
        self.macaroons = Macaroons()
        self.tls: CertificateFiles = make_self_signed(folder)
        self.admin_macaroon_path = folder / "admin.macaroon"
        self.readonly_macaroon_path = folder / "readonly.macaroon"
        self.admin_macaroon_path.write_bytes(bytes.fromhex(self.macaroons.admin_hex))
        self.readonly_macaroon_path.write_bytes(bytes.fromhex(self.macaroons.readonly_hex))
        app = create_lnd_app(state, self.faults, self.recorder, self.macaroons, auth_error_style=auth_error_style)
        self.server = BackgroundServer(app, faults=self.faults, is_write=is_lnd_write, host=host, port=port,
                                       tls=(self.tls.cert_path, self.tls.key_path))

    @property
    def url(self) -> str:
        """``https://127.0.0.1:<port>``."""
        return self.server.url

    def start(self) -> LndEmulator:
        """Serve in a background thread; return once listening."""
        self.server.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        self.server.stop()
