"""An LNbits node-API emulator (``LNBITS_NODE_UI=true``, an LND funding source) over plain HTTP.

Endpoints: ``GET /node/api/v1/info``, ``GET /node/api/v1/channels``, ``GET`` and ``PUT
/node/api/v1/channels/{channel_id}``, plus the control endpoints of ``http_faults``. Auth: the
admin key in ``X-API-KEY`` (401 without, 403 with another key).

Like LNbits on LND (``lnbits/nodes/lndrest.py``): a channel's ``id`` and ``short_id`` are LND's
uint64 chan_id as text; the channel list carries no fees (only ``GET …/channels/{id}`` does);
``PUT`` sets ``fee_ppm`` and ``fee_base_msat`` and, as LNbits does, resets the CLTV delta to 80.
There is no forwarding history and no graph.
"""

from __future__ import annotations

import secrets
from dataclasses import replace
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from mcp_lightning.domain.channel import Channel
from mcp_lightning.emulators.faults import Fault, FaultPlan
from mcp_lightning.emulators.http_faults import add_control_routes, add_fault_gate
from mcp_lightning.emulators.http_server import LOOPBACK, BackgroundServer
from mcp_lightning.emulators.recorder import Recorder, RecordingMiddleware, parse_json
from mcp_lightning.emulators.state import NodeState
from mcp_lightning.units import Msat, Ppm

LNBITS_TIME_LOCK_DELTA = 80  # what LNbits' LND node sends with every fee update
_PREFIX = "/node/api/v1"


def is_lnbits_write(method: str, path: str) -> bool:
    """True for ``PUT /node/api/v1/channels/{id}``."""
    return method == "PUT" and path.startswith(f"{_PREFIX}/channels/")


def _detail(status: int, message: str) -> JSONResponse:
    return JSONResponse({"detail": message}, status_code=status)


def _node_channel(channel: Channel, *, with_fees: bool) -> dict[str, object]:
    txid, vout = (channel.chan_point or f"{'0' * 64}:0").split(":")
    body: dict[str, object] = {
        "peer_id": channel.peer_pubkey, "state": "active" if channel.active else "inactive",
        "balance": {"local_msat": channel.local_balance_sat * 1000, "remote_msat": channel.remote_balance_sat * 1000,
                    "total_msat": channel.capacity_sat * 1000},
        "id": str(channel.chan_id), "short_id": str(channel.chan_id),
        "point": {"funding_txid": txid, "output_index": int(vout)}, "name": channel.peer_alias or "",
        "color": "000000"}
    if with_fees and channel.local_policy is not None:
        body["fee_ppm"] = channel.local_policy.fee_rate_ppm
        body["fee_base_msat"] = channel.local_policy.base_fee_msat
    return body


def _info(state: NodeState) -> dict[str, object]:
    channels = state.channels()
    sizes: list[int] = [c.capacity_sat for c in channels] or [0]
    n_active = sum(1 for c in channels if c.active)
    fees_msat = sum(f.fee_msat for f in state.forwards())
    return {
        "id": state.pubkey, "backend_name": "LND", "alias": state.alias, "color": "3399ff",
        "num_peers": len({c.peer_pubkey for c in channels}), "blockheight": state.block_height,
        "channel_stats": {"counts": {"active": n_active, "inactive": len(channels) - n_active,
                                     "pending": len(state.pending)},
                          "avg_size": sum(sizes) // len(sizes), "biggest_size": max(sizes),
                          "smallest_size": min(sizes), "total_capacity": sum(sizes)},
        "addresses": [], "onchain_balance_sat": 0, "onchain_confirmed_sat": 0,
        "fees": {"total_msat": fees_msat}, "balance_msat": sum(c.local_balance_sat for c in channels) * 1000}


def create_lnbits_app(state: NodeState, faults: FaultPlan, recorder: Recorder, *, admin_key: str,
                      invoice_key: str) -> RecordingMiddleware:
    """The emulator's ASGI app, recording every exchange into ``recorder``."""
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    def auth(request: Request) -> JSONResponse | None:
        given = request.headers.get("x-api-key", "")
        if not given:
            return _detail(401, "Missing API key: send the admin key in X-API-KEY.")
        if given == invoice_key:
            return _detail(403, "The node API needs the admin key.")
        return None if given == admin_key else _detail(403, "Invalid API key.")

    add_fault_gate(app, faults, is_write=is_lnbits_write, auth=auth, error=_detail)
    add_control_routes(app, faults)

    @app.get(f"{_PREFIX}/info")
    def info() -> JSONResponse:
        return JSONResponse(_info(state))

    @app.get(f"{_PREFIX}/channels")
    def channels() -> JSONResponse:
        return JSONResponse([_node_channel(c, with_fees=False) for c in state.channels()])

    @app.get(f"{_PREFIX}/channels/{{channel_id}}")
    def channel(channel_id: str) -> JSONResponse:
        found = state.channel(int(channel_id)) if channel_id.isdigit() else None
        return JSONResponse(_node_channel(found, with_fees=True)) if found else _detail(404, "Channel not found")

    @app.put(f"{_PREFIX}/channels/{{channel_id}}")
    async def set_fees(channel_id: str, request: Request) -> JSONResponse:
        found = state.channel(int(channel_id)) if channel_id.isdigit() else None
        body = parse_json(await request.body())
        if found is None:
            return _detail(404, "Channel not found")
        if not isinstance(body, dict) or not all(isinstance(body.get(k), int) for k in ("fee_ppm", "fee_base_msat")):
            return JSONResponse({"detail": [{"loc": ["body"], "msg": "fee_ppm and fee_base_msat are required integers",
                                             "type": "value_error"}]}, status_code=422)
        injection = request.state.injection
        if injection is not None and injection.fault is Fault.WRITE_FAILS:
            return _detail(500, "emulated failure: this write fails")
        if injection is None or injection.fault is not Fault.NOT_APPLIED:
            policy = replace(state.local_policy(found.chan_id), fee_rate_ppm=Ppm(body["fee_ppm"]),
                             base_fee_msat=Msat(body["fee_base_msat"]), time_lock_delta=LNBITS_TIME_LOCK_DELTA)
            state.apply_policy(found.chan_id, policy)
        return JSONResponse(None)

    return RecordingMiddleware(app, recorder)


class LnbitsEmulator:
    """An LNbits node-API emulator to start in a background thread (tests) or serve by hand (demos).

    Args:
        state: the node served.
        folder: where ``admin.key`` is written (the key to give the adapter).
        port: 0 for an ephemeral port.
        hang_s: how long the ``timeout`` fault holds a request, seconds.
    """

    def __init__(self, state: NodeState, folder: Path, *, port: int = 0, host: str = LOOPBACK,
                 hang_s: float = 5.0) -> None:
        self.state = state
        self.faults = FaultPlan(hang_s=hang_s)
        self.recorder = Recorder()
        self.admin_key = secrets.token_hex(16)
        self.invoice_key = secrets.token_hex(16)
        folder.mkdir(parents=True, exist_ok=True)
        self.admin_key_path = folder / "admin.key"
        self.admin_key_path.touch(mode=0o600)
        self.admin_key_path.write_text(self.admin_key + "\n")
        app = create_lnbits_app(state, self.faults, self.recorder, admin_key=self.admin_key,
                                invoice_key=self.invoice_key)
        self.server = BackgroundServer(app, faults=self.faults, is_write=is_lnbits_write, host=host, port=port)

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return self.server.url

    def start(self) -> LnbitsEmulator:
        """Serve in a background thread; return once listening."""
        self.server.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        self.server.stop()
