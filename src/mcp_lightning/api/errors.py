"""The one error renderer and handler of the API: ``{"error": ..., "detail": ...}`` with ``http_status``.

``McplnError`` subclasses carry their status (``errors.py``); FastAPI's validation errors become 422
and Starlette's HTTP errors (unknown route, wrong method) keep their status, all in the same body.
Anything else is a 500 whose body names only the request id; the traceback goes to the log.
"""

from __future__ import annotations

import re
from typing import Any

import structlog
from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from mcp_lightning.errors import McplnError, RateLimitExceeded

_log = structlog.get_logger("mcp_lightning.api")
_HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 406: "not_acceptable", 413: "request_too_large",
               415: "unsupported_media_type", 429: "rate_limited", 503: "service_unavailable"}
_ERROR_CODES = {"RateLimitExceeded": "rate_limited", "NotFoundError": "not_found"}
ERROR_MEDIA_TYPE = "application/json"


def error_code(exc: McplnError) -> str:
    """snake_case of the error class (``StoreError`` -> ``store_error``), with a few short names."""
    name = type(exc).__name__
    return _ERROR_CODES.get(name) or re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _validation_errors(exc: RequestValidationError) -> tuple[str, list[dict[str, Any]]]:
    errors = [{"loc": [str(part) for part in e.get("loc", ())], "msg": str(e.get("msg", "")),
               "type": str(e.get("type", ""))} for e in exc.errors()]
    first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
    where = ".".join(first["loc"]) or "request"
    return f"{where}: {first['msg']}", errors


def render_error(exc: BaseException, request_id: str | None) -> tuple[int, dict[str, Any], dict[str, str]]:
    """The status, body and extra headers of the error response for ``exc``.

    Args:
        exc: any exception raised while handling a request.
        request_id: the request's id (shown in the body).

    Returns:
        ``(status, {"error", "detail", "hint", "request_id"[, "errors"]}, headers)``.
    """
    headers: dict[str, str] = {}
    body: dict[str, Any]
    if isinstance(exc, McplnError):
        status = exc.http_status
        body = {"error": error_code(exc), "detail": exc.message, "hint": exc.hint}
        if isinstance(exc, RateLimitExceeded):
            headers["Retry-After"] = str(exc.retry_after_s)
    elif isinstance(exc, RequestValidationError):
        status = 422
        detail, errors = _validation_errors(exc)
        body = {"error": "validation_error", "detail": detail, "hint": "see the endpoint's parameters in /docs",
                "errors": errors}
    elif isinstance(exc, StarletteHTTPException):
        status = exc.status_code
        body = {"error": _HTTP_CODES.get(status, f"http_{status}"), "detail": str(exc.detail), "hint": None}
        headers.update(dict(exc.headers or {}))
    else:
        status = 500
        body = {"error": "internal_error", "detail": "internal error: the server logs name it by the request id",
                "hint": "retry later; report the request id if it persists"}
    body["request_id"] = request_id
    return status, body, headers


async def handle_error(request: Request, exc: Exception) -> JSONResponse:
    """The API's one exception handler (registered for McplnError, validation and HTTP errors, Exception)."""
    request_id = getattr(request.state, "request_id", None)
    status, body, headers = render_error(exc, request_id)
    if status >= 500 and not isinstance(exc, McplnError):
        _log.error("http.unhandled_error", error_type=type(exc).__name__, exc_info=exc)
    return JSONResponse(body, status_code=status, headers=headers)
