"""The fault gate and the control endpoints shared by the HTTP emulators (LND REST, LNbits).

Control endpoints (no credential; the emulators listen on loopback only):
``POST /emulator/faults`` ``{"fault": "server_error", "times": 2}`` sets a fault (the keyword
arguments of ``FaultPlan.set``); ``DELETE /emulator/faults`` clears it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from mcp_lightning.emulators.faults import Fault, FaultPlan
from mcp_lightning.emulators.http_server import WriteClassifier
from mcp_lightning.emulators.recorder import parse_json

CONTROL_PREFIX = "/emulator/"
ErrorResponse = Callable[[int, str], Response]
"""``(http_status, message) -> response`` in the emulated API's error shape."""
AuthCheck = Callable[[Request], Response | None]
"""The refusal for a request with missing or wrong credentials, or None to let it through."""
_Next = Callable[[Request], Awaitable[Response]]


def add_fault_gate(app: FastAPI, faults: FaultPlan, *, is_write: WriteClassifier, error: ErrorResponse,
                   auth: AuthCheck) -> None:
    """Consult ``faults`` on each request (``request.state.injection`` keeps the fault for handlers), then ``auth``.

    ``timeout`` holds the request then answers 504 (the client has gone); ``server_error`` answers
    503; ``slow`` waits ``delay_s`` and goes on; write faults are left to the handlers.
    """

    @app.middleware("http")
    async def gate(request: Request, call_next: _Next) -> Response:
        if request.url.path.startswith(CONTROL_PREFIX):
            return await call_next(request)
        injection = faults.take(is_write=is_write(request.method, request.url.path))
        request.state.injection = injection
        if injection is not None and injection.fault is Fault.TIMEOUT:
            await faults.hang_async()
            return error(504, "emulated: deadline exceeded")
        if injection is not None and injection.fault is Fault.SERVER_ERROR:
            return error(503, "emulated: the server is unavailable")
        if injection is not None and injection.fault is Fault.SLOW:
            await asyncio.sleep(injection.delay_s)
        return auth(request) or await call_next(request)


def add_control_routes(app: FastAPI, faults: FaultPlan) -> None:
    """``POST``/``DELETE /emulator/faults``."""

    @app.post("/emulator/faults")
    async def set_fault(request: Request) -> JSONResponse:
        body = parse_json(await request.body())
        if not isinstance(body, dict) or "fault" not in body:
            return JSONResponse({"error": 'send {"fault": <name>, "times": <n>}'}, status_code=400)
        try:
            faults.set(**body)
        except (TypeError, ValueError) as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse({"fault": str(body["fault"])})

    @app.delete("/emulator/faults")
    def clear_faults() -> JSONResponse:
        faults.clear()
        return JSONResponse({"fault": None})
