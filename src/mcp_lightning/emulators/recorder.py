"""Every request an emulator receives and every answer it gives, kept for contract tests.

The HTTP emulators record through :class:`RecordingMiddleware` (pure ASGI, so error answers are
recorded too); the Core Lightning emulator records each JSON-RPC call itself.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
AsgiApp = Callable[[Scope, Receive, Send], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Exchange:
    """One request and its answer.

    Attributes:
        method: HTTP verb, or ``"RPC"`` for a JSON-RPC call.
        path: URL path, or the JSON-RPC method name.
        query: the URL query string ("" when none).
        request: the JSON request body / JSON-RPC ``params``; None when empty or not JSON.
        status: the HTTP status; for JSON-RPC 200 with a ``result``, 500 with an ``error``.
        response: the JSON answer (``result`` or ``error`` for JSON-RPC); None when empty or not JSON.
    """

    method: str
    path: str
    query: str
    request: object
    status: int
    response: object


class Recorder:
    """A thread-safe list of exchanges."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._exchanges: list[Exchange] = []

    def add(self, exchange: Exchange) -> None:
        """Keep one exchange."""
        with self._lock:
            self._exchanges.append(exchange)
            self._lock.notify_all()

    def wait_for(self, count: int, timeout_s: float = 2.0) -> list[Exchange]:
        """Every exchange so far, once at least ``count`` are recorded (or ``timeout_s`` passed).

        An exchange is recorded once its answer is complete, before the client can read it; an
        answer the client stopped waiting for (a timeout, a reset) is recorded later, so tests that
        count such exchanges wait here.
        """
        with self._lock:
            self._lock.wait_for(lambda: len(self._exchanges) >= count, timeout=timeout_s)
            return list(self._exchanges)

    def exchanges(self) -> list[Exchange]:
        """Every exchange so far, in order."""
        with self._lock:
            return list(self._exchanges)

    def clear(self) -> None:
        """Forget every exchange."""
        with self._lock:
            self._exchanges.clear()


def parse_json(data: bytes) -> object:
    """The JSON value of ``data``, or None when it is empty or not JSON."""
    try:
        return json.loads(data) if data else None
    except (ValueError, UnicodeDecodeError):
        return None


class RecordingMiddleware:
    """ASGI middleware that records each HTTP request body and answer into a :class:`Recorder`."""

    def __init__(self, app: AsgiApp, recorder: Recorder) -> None:
        self.app = app
        self.recorder = recorder

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request through, keeping copies of both bodies."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_body = bytearray()
        response_body = bytearray()
        status = [0]
        content_length = [-1]  # from the response headers; -1 when absent
        recorded = [False]

        async def receive_copy() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                request_body.extend(message.get("body", b""))
            return message

        def record() -> None:
            recorded[0] = True
            self.recorder.add(Exchange(
                scope["method"], scope["path"], scope.get("query_string", b"").decode(),
                parse_json(bytes(request_body)), status[0], parse_json(bytes(response_body))))

        async def send_copy(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = int(message["status"])
                for name, value in message.get("headers", ()):
                    if name.lower() == b"content-length":
                        content_length[0] = int(value)
            elif message["type"] == "http.response.body" and not recorded[0]:
                response_body.extend(message.get("body", b""))
                # Record before the client can see the whole answer: a streamed body (Starlette's
                # http middleware) ends with an empty chunk the client does not wait for.
                complete = 0 <= content_length[0] <= len(response_body)
                if complete or not message.get("more_body", False):
                    record()
            await send(message)

        await self.app(scope, receive_copy, send_copy)
