"""What every route shares: documented error responses, JSON responses, cached and stale-safe reads."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Response

from mcp_lightning.api.database import is_connectivity_failure
from mcp_lightning.api.schemas.common import ErrorBody
from mcp_lightning.api.state import STALE_TTL_S, AppState
from mcp_lightning.errors import StoreError

_DESCRIPTIONS = {
    400: "Bad input (e.g. a chan_id that is not a uint64).",
    401: "API key missing, malformed, unknown or revoked.",
    403: "The API key lacks the scope this endpoint needs.",
    404: "Not found: the message names what and where to look.",
    413: "Request body above the size limit.",
    422: "A parameter or the body failed validation.",
    429: "Rate limit reached; see Retry-After and X-RateLimit-*.",
    503: "A dependency is unavailable (database in degraded mode, or no snapshot loaded yet).",
}
_RATE_HEADERS = {name: {"description": text, "schema": {"type": "string"}} for name, text in (
    ("X-RateLimit-Limit", "Requests allowed per minute in this bucket."),
    ("X-RateLimit-Remaining", "Requests left in the current window."),
    ("X-RateLimit-Reset", "Seconds until the window resets."),
    ("X-Request-ID", "The request id (echoed, or generated)."),
)}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for these error statuses (plus 401, 422, 429 and 503, which every route can return)."""
    wanted = sorted({401, 422, 429, 503, *statuses})
    return {status: {"model": ErrorBody, "description": _DESCRIPTIONS[status], "headers": _RATE_HEADERS}
            for status in wanted}


def json_response(body: bytes, *, status_code: int = 200, cache: str | None = None,
                  headers: dict[str, str] | None = None) -> Response:
    """A JSON response of ready bytes; ``cache`` becomes ``X-Cache`` (hit, miss, bypass, stale)."""
    extra = dict(headers or {})
    if cache is not None:
        extra["X-Cache"] = cache
    if cache == "stale":
        extra["X-Degraded"] = "database"
    return Response(content=body, status_code=status_code, media_type="application/json", headers=extra)


async def cached(state: AppState, kind: str, key: str, build: Callable[[], bytes]) -> tuple[bytes, str]:
    """The cached body of ``key``, else ``build()`` cached under ``kind``.

    Returns:
        ``(body, "hit" | "miss")``.
    """
    body = await state.cache.get(kind, key)
    if body is not None:
        return body, "hit"
    body = build()
    await state.cache.set(kind, key, body)
    return body, "miss"


async def cached_from_store(state: AppState, kind: str, key: str,
                            build: Callable[[], Awaitable[bytes]]) -> tuple[bytes, str]:
    """Like ``cached`` for answers read from the database, with a stale fallback for degraded mode.

    When the database is unavailable, the last good body of ``key`` is served (``"stale"``).

    Raises:
        StoreError: the database is unavailable and this answer was never served before (503), or
            the read failed for another reason.
    """
    body = await state.cache.get(kind, key)
    if body is not None:
        return body, "hit"
    try:
        body = await build()
    except StoreError as exc:
        stale = state.stale.get(key)
        if stale is not None and is_connectivity_failure(exc):
            return stale, "stale"
        raise
    await state.cache.set(kind, key, body)
    state.stale.set(key, body, STALE_TTL_S)
    return body, "miss"
