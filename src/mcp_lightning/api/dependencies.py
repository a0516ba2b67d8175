"""FastAPI dependencies: the process state, and ``access(scope, heavy)`` (authentication + rate limits).

``access`` resolves who calls (an API key from ``X-API-Key`` or ``Authorization: Bearer``, or the
client's IP), checks the scope, counts the request in its bucket (and in the heavy bucket for
heavy endpoints) and leaves the ``X-RateLimit-*`` headers for the middleware to add to the response.
An invalid key is refused with 401 and still spends the IP's anonymous budget.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request

from mcp_lightning.api.rate_limit import Quota
from mcp_lightning.api.security import Principal, key_from_headers
from mcp_lightning.api.state import AppState
from mcp_lightning.errors import AuthenticationError, PermissionDeniedError

SECURITY_SCHEMES = {"ApiKeyHeader": {
    "type": "apiKey", "in": "header", "name": "X-API-Key",
    "description": "An API key `mcpln_<id>_<secret>` (or send `Authorization: Bearer <key>`)."}}
"""Documented in the OpenAPI document by ``app.create_app``; headers are read directly (no per-request DI)."""


def get_state(request: Request) -> AppState:
    """The process state built by the lifespan."""
    state: AppState = request.app.state.api
    return state


def _apply(request: Request, quota: Quota) -> None:
    request.scope.setdefault("state", {})["rate_limit_headers"] = quota.headers()
    if quota.exceeded:
        raise quota.refusal()


async def count_heavy(request: Request, principal: Principal) -> None:
    """Count a heavy request (batch, recalculate, force_recalculate) in the ``heavy`` bucket.

    Raises:
        RateLimitExceeded: over the heavy limit (429).
    """
    state = get_state(request)
    _apply(request, await state.limiter.hit("heavy", principal.identity, state.settings.rate_limit_heavy_per_min))


async def _principal(request: Request, state: AppState, presented: str | None, needs_key: bool) -> Principal:
    client_ip = request.client.host if request.client else "unknown"
    if presented is None:
        if needs_key:
            raise AuthenticationError("this endpoint needs an API key",
                                      hint="send it in X-API-Key; create one with `mcpln api-key create`")
        return Principal(None, None, frozenset(), client_ip)
    try:
        record = await state.verifier.verify(presented)
    except AuthenticationError:
        anonymous = state.settings.rate_limit_anonymous_per_min
        _apply(request, await state.limiter.hit("anonymous", f"ip:{client_ip}", anonymous))
        raise
    request.scope.setdefault("state", {})["key_id"] = record.key_id
    return Principal(record.key_id, record.name, frozenset(record.scopes), client_ip)


def access(scope: str | None = None, *, heavy: bool = False) -> Callable[..., Awaitable[Principal]]:
    """A dependency that authenticates, checks ``scope`` and applies the rate limits.

    Args:
        scope: ``"read"`` or ``"admin"`` when the endpoint needs a key with it; None for public reads
            (which still need a key when ``MCPLN_REQUIRE_API_KEY`` is set).
        heavy: also count the request in the heavy bucket.
    """

    async def dependency(request: Request) -> Principal:
        state = get_state(request)
        settings = state.settings
        headers = request.headers
        presented = key_from_headers(headers.get("x-api-key"), headers.get("authorization"))
        principal = await _principal(request, state, presented, scope is not None or settings.require_api_key)
        if scope is not None and not principal.has(scope):
            raise PermissionDeniedError(f"API key {principal.key_id} lacks the {scope!r} scope",
                                        hint=f"use a key created with --scope {scope}")
        bucket, limit = (("key", settings.rate_limit_key_per_min) if principal.key_id
                         else ("anonymous", settings.rate_limit_anonymous_per_min))
        _apply(request, await state.limiter.hit(bucket, principal.identity, limit))
        if heavy:
            await count_heavy(request, principal)
        return principal

    return dependency


PublicAccess = Annotated[Principal, Depends(access())]
"""A public read: anonymous or any key (a key is required when ``MCPLN_REQUIRE_API_KEY`` is set)."""
ReadHeavyAccess = Annotated[Principal, Depends(access("read", heavy=True))]
"""A heavy endpoint that needs a key with the ``read`` scope."""
AdminHeavyAccess = Annotated[Principal, Depends(access("admin", heavy=True))]
"""A heavy endpoint that needs a key with the ``admin`` scope."""
