"""LND's error answers mapped to our error classes.

LND answers most failures through grpc-gateway as HTTP 500 with ``{"code": 2, "message": ...}``
(gRPC ``Unknown``), including a missing or refused macaroon ("expected 1 macaroon, got 0",
"verification failed: signature mismatch after caveat verification", "permission denied") and an
unknown channel ("edge not found"). Those are answers, not outages: they must not be retried.
"""

from __future__ import annotations

from mcp_lightning.errors import NodeAuthError, NodeError, NodeRejected

_AUTH_PHRASES = ("macaroon", "verification failed", "permission denied", "signature mismatch")
_NOT_FOUND_PHRASES = ("edge not found", "unable to find", "not found", "invalid channel id")
_REFUSAL_PHRASES = ("too small", "too large", "not supported", "invalid", "cannot set", "must be")


def classify_lnd_error(http_status: int, body: object, message: str) -> type[NodeError] | None:
    """Map one LND error answer to an error class, or None for the transport's default mapping.

    Args:
        http_status: the HTTP status of the answer.
        body: the parsed JSON body (a gRPC status ``{"code", "message", "details"}``) or None.
        message: the body's message, already scrubbed of secrets.

    Returns:
        ``NodeAuthError`` for credential refusals, ``NodeRejected`` for a 5xx that is LND refusing
        the request (unknown channel, invalid value), None otherwise.

    Source: ``rpcStatus`` in ``lightning.swagger.json``; LND ``macaroons/service.go`` and
    ``rpcserver.go`` error texts.
    """
    lower = message.lower()
    if any(phrase in lower for phrase in _AUTH_PHRASES):
        return NodeAuthError
    if http_status >= 500 and isinstance(body, dict) and any(
            phrase in lower for phrase in _NOT_FOUND_PHRASES + _REFUSAL_PHRASES):
        return NodeRejected
    return None
