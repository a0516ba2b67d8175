"""The API's outer ASGI middleware: request id, body size limit, security headers, metrics, access log.

One pure ASGI class (no per-request task or body copy for the usual GET):

* ``X-Request-ID``: taken from the request when it is 1–128 safe characters, else a new uuid4 hex;
  bound to the log context and returned on the response;
* body limit: a ``Content-Length`` above ``max_body_bytes`` gets 413 before the app runs; a body
  without length is read up to the limit (413 beyond it) and replayed;
* security headers on every response, ``Cache-Control: no-store`` unless the route set one, and the
  ``X-RateLimit-*`` headers the ``access`` dependency left in the request state;
* ``mcpln_http_requests_total`` / ``mcpln_http_request_duration_seconds`` by route template (never
  the raw path, so ids do not explode the label set), and one ``http.request`` log line;
* an exception the app did not handle becomes the standard 500 body (``api.errors.render_error``).
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import structlog

from mcp_lightning.api.errors import ERROR_MEDIA_TYPE, render_error
from mcp_lightning.errors import RequestTooLarge
from mcp_lightning.metrics import observe_http_request

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._\-]{1,128}$")
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
DOCS_CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
            "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
            "img-src 'self' data: https://fastapi.tiangolo.com; frame-ancestors 'none'")
_log = structlog.get_logger("mcp_lightning.api")


def security_headers(path: str) -> list[tuple[bytes, bytes]]:
    """The security headers of a response to ``path`` (the docs page gets a CSP that lets Swagger UI run)."""
    csp = DOCS_CSP if path.startswith("/docs") else API_CSP
    return [(b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"no-referrer"), (b"content-security-policy", csp.encode()),
            (b"cross-origin-opener-policy", b"same-origin")]


class ApiMiddleware:
    """See the module docstring.

    Args:
        app: the wrapped ASGI app.
        max_body_bytes: largest accepted request body, bytes.
    """

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        headers = dict(scope.get("headers") or [])
        given = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        structlog.contextvars.bind_contextvars(request_id=request_id)
        status = [500, 0]  # the response status, and 1 once the response has started
        send_wrapped = self._wrap_send(send, scope, request_id, status)
        try:
            receive = await self._limit_body(headers, receive)
            await self.app(scope, receive, send_wrapped)
        except RequestTooLarge as exc:
            await self._send_error(send_wrapped, exc, request_id)
        except Exception as exc:  # the boundary: the client gets the standard 500 body, the log the traceback
            _log.error("http.unhandled_error", error_type=type(exc).__name__, exc_info=exc)
            if not status[1]:
                await self._send_error(send_wrapped, exc, request_id)
        finally:
            self._observe(scope, status[0], time.perf_counter() - started, headers)
            structlog.contextvars.unbind_contextvars("request_id")

    def _wrap_send(self, send: Send, scope: Scope, request_id: str, status: list[int]) -> Send:
        extra = [(b"x-request-id", request_id.encode()), *security_headers(scope["path"])]

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0], status[1] = message["status"], 1
                present = {name.lower() for name, _ in message.get("headers", [])}
                added = [h for h in extra if h[0] not in present]
                if b"cache-control" not in present:
                    added.append((b"cache-control", b"no-store"))
                quota = scope.get("state", {}).get("rate_limit_headers") or {}
                added += [(k.lower().encode(), v.encode()) for k, v in quota.items()
                          if k.lower().encode() not in present]
                message["headers"] = [*message.get("headers", []), *added]
            await send(message)

        return wrapped

    async def _limit_body(self, headers: dict[bytes, bytes], receive: Receive) -> Receive:
        length = headers.get(b"content-length")
        if length is not None:
            if length.isdigit() and int(length) > self.max_body_bytes:
                raise RequestTooLarge(f"the request body has {int(length):,} bytes, above the limit of "
                                      f"{self.max_body_bytes:,} bytes", hint="send fewer items per request")
            return receive
        if b"chunked" not in headers.get(b"transfer-encoding", b""):
            return receive
        return await self._buffer(receive)

    async def _buffer(self, receive: Receive) -> Receive:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > self.max_body_bytes:
                raise RequestTooLarge(f"the request body exceeds the limit of {self.max_body_bytes:,} bytes",
                                      hint="send fewer items per request")
            if not message.get("more_body", False):
                break
        replay = [{"type": "http.request", "body": b"".join(chunks), "more_body": False}]

        async def replayed() -> Message:
            return replay.pop() if replay else {"type": "http.disconnect"}

        return replayed

    async def _send_error(self, send: Send, exc: BaseException, request_id: str) -> None:
        status, body, extra = render_error(exc, request_id)
        payload = json.dumps(body).encode()
        headers = [(b"content-type", ERROR_MEDIA_TYPE.encode()), (b"content-length", str(len(payload)).encode()),
                   *((k.lower().encode(), v.encode()) for k, v in extra.items())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})

    def _observe(self, scope: Scope, status: int, seconds: float, headers: dict[bytes, bytes]) -> None:
        route = scope.get("route")
        template = getattr(route, "path", None) or "unmatched"
        method = scope["method"]
        observe_http_request(method, template, status, seconds)
        client = scope.get("client")
        _log.info("http.request", method=method, route=template, path=scope["path"], status=status,
                  duration_s=round(seconds, 6), client_ip=client[0] if client else None,
                  key_id=scope.get("state", {}).get("key_id"),
                  user_agent=headers.get(b"user-agent", b"").decode("latin-1")[:200])
