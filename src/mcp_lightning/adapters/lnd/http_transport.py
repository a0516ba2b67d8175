"""JSON over HTTP(S) to a node's API: timeouts, a rate limit, retries for reads, errors wrapped at the border.

Shared by the LND REST and LNbits adapters.

Retry policy (tenacity, ``max_attempts`` tries with exponential backoff):

* reads (GET, and POSTs that only read, such as LND's ``/v1/switch``) retry on connection errors,
  timeouts, resets and 5xx answers;
* writes retry only when the connection could not be opened (nothing was sent). Once the request
  may have reached the node, a lost answer raises ``NodeOutcomeUnknown`` instead of sending again:
  a second ``POST /v1/chanpolicy`` could race with the first or hide what really happened, and the
  executor finds out by re-reading the policy.

No credential ever reaches a message: headers are never rendered, and any text taken from the
node's answer is scrubbed of the known secrets.
"""

from __future__ import annotations

import json
import ssl
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import httpx
import structlog
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from mcp_lightning.adapters.lnd.rate_limit import TokenBucket
from mcp_lightning.errors import (
    NodeAuthError,
    NodeError,
    NodeOutcomeUnknown,
    NodeRejected,
    NodeResponseError,
    NodeUnavailable,
)

JsonObject = Mapping[str, object]
Ids = dict[str, str | int]
ErrorClassifier = Callable[[int, object, str], type[NodeError] | None]
"""``(http_status, parsed_body_or_None, message) -> error class``, or None for the default mapping."""

_MAX_MESSAGE_CHARS = 300
_log = structlog.get_logger("mcp_lightning.adapters.node")


@dataclass(frozen=True, slots=True)
class HttpSettings:
    """Timeouts, retries and rate limit of one node connection.

    Attributes:
        timeout_s: read/write timeout per request, seconds.
        connect_timeout_s: TCP + TLS connect timeout, seconds.
        max_attempts: tries per read (1 = no retry).
        backoff_initial_s: first wait between tries, seconds; doubles each time.
        backoff_max_s: longest wait between tries, seconds.
        requests_per_minute: client-side rate limit, requests/min.
        burst: requests allowed at once before the rate limit spaces them.
    """

    timeout_s: float = 10.0
    connect_timeout_s: float = 5.0
    max_attempts: int = 3
    backoff_initial_s: float = 0.5
    backoff_max_s: float = 8.0
    requests_per_minute: float = 100.0
    burst: int = 10


class _Transient(Exception):
    """A failure worth another try; ``kind`` and ``problem`` build the error raised when tries run out."""

    def __init__(self, kind: type[NodeError], problem: str) -> None:
        super().__init__(problem)
        self.kind = kind
        self.problem = problem


class _Unsent(_Transient):
    """The connection could not be opened: the request never reached the node (safe to retry a write)."""


class JsonHttpTransport:
    """A synchronous JSON client for one node API.

    Args:
        backend: ``"lnd"`` or ``"lnbits"`` (names the backend in errors and logs).
        base_url: ``https://127.0.0.1:8080`` and the like, without credentials.
        headers: headers sent on every request (the credential header among them).
        verify: an SSL context pinning the node's certificate, or False for plain HTTP.
        settings: timeouts, retries and rate limit.
        secrets: credential strings that must never appear in a message.
        classify: maps node-specific error answers (e.g. LND's HTTP 500 for a bad macaroon).
        auth_hint: the hint given with ``NodeAuthError`` for refused credentials.
        tls_hint: the hint given when the server's certificate is refused.
        limiter: a shared rate limiter; one is made from ``settings`` when None.
        refusals_in_5xx: a 5xx answer with a JSON body to a write is the node refusing it
            (LND: its gRPC status, nothing applied). False for a gateway like LNbits, whose 5xx may
            come after the node behind it applied the change: then it is ``NodeOutcomeUnknown``.
        transport: an httpx transport (tests only).
    """

    def __init__(self, *, backend: str, base_url: str, headers: Mapping[str, str], verify: ssl.SSLContext | bool,
                 settings: HttpSettings, secrets: Sequence[str] = (), classify: ErrorClassifier | None = None,
                 auth_hint: str | None = None, tls_hint: str | None = None, limiter: TokenBucket | None = None,
                 refusals_in_5xx: bool = True, transport: httpx.BaseTransport | None = None) -> None:
        self.backend = backend
        self.base_url = base_url
        self.settings = settings
        self._secrets = tuple(secret for secret in secrets if secret)
        self._classify = classify
        self._auth_hint = auth_hint
        self._tls_hint = tls_hint
        self._refusals_in_5xx = refusals_in_5xx
        self.limiter = limiter or TokenBucket(settings.requests_per_minute, burst=settings.burst)
        self._client = httpx.Client(
            base_url=base_url, headers=dict(headers), verify=verify, transport=transport,
            timeout=httpx.Timeout(settings.timeout_s, connect=settings.connect_timeout_s))

    def read(self, method: str, path: str, *, params: Mapping[str, str] | None = None,
             body: object = None, ids: Ids | None = None) -> JsonObject:
        """Send a request that changes nothing, retrying transient failures.

        Returns:
            The JSON object answered.

        Raises:
            NodeUnavailable: unreachable, timed out, reset or 5xx on every try.
            NodeAuthError: credentials refused, or the TLS certificate is not the pinned one.
            NodeRejected: a 4xx answer (or a node-specific refusal).
            NodeResponseError: the answer is not a JSON object.
        """
        return _json_object(self._with_retries(_Transient, method, path, params, body, ids or {}, write=False),
                            self.backend, f"{method} {path}", ids or {}, self._redact)

    def read_list(self, method: str, path: str, *, params: Mapping[str, str] | None = None) -> list[object]:
        """Like :meth:`read`, for an answer that is a JSON array (LNbits lists).

        Raises:
            NodeResponseError: the answer is not a JSON array.
        """
        response = self._with_retries(_Transient, method, path, params, None, {}, write=False)
        body = _json_or_none(response)
        if not isinstance(body, list):
            raise NodeResponseError(self.backend, f"{method} {path}", f"HTTP {response.status_code} answer is not "
                                    f"a JSON array: {self._redact(response.text[:80])!r}")
        return body

    def read_bytes(self, method: str, path: str, *, params: Mapping[str, str] | None = None) -> bytes:
        """Like :meth:`read`, but return the answer's bytes unparsed (for large documents saved to disk)."""
        return self._with_retries(_Transient, method, path, params, None, {}, write=False).content

    def write(self, method: str, path: str, *, body: object, ids: Ids | None = None) -> object:
        """Send a request that changes the node; retried only when the connection could not be opened.

        Returns:
            The JSON value answered (None for an empty answer or ``null``).

        Raises:
            NodeOutcomeUnknown: the request may have reached the node but no usable answer came back.
            NodeUnavailable: the node could not be reached at all (nothing was sent).
            NodeAuthError, NodeRejected, NodeResponseError: as for :meth:`read`.
        """
        return _json_or_none(self._with_retries(_Unsent, method, path, None, body, ids or {}, write=True))

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def _with_retries(self, retry_on: type[_Transient], method: str, path: str, params: Mapping[str, str] | None,
                      body: object, ids: Ids, *, write: bool) -> httpx.Response:
        operation = f"{method} {path}"
        retrying = Retrying(
            stop=stop_after_attempt(max(1, self.settings.max_attempts)), reraise=True,
            wait=wait_exponential(multiplier=self.settings.backoff_initial_s, max=self.settings.backoff_max_s),
            retry=retry_if_exception_type(retry_on), before_sleep=self._log_retry(operation))
        try:
            return retrying(self._send_once, method, path, params, body, ids, write)
        except _Transient as exc:
            tries = self.settings.max_attempts if isinstance(exc, retry_on) else 1
            raise exc.kind(self.backend, operation, f"{exc.problem} (gave up after {tries} tries)",
                           ids=ids, hint=f"check that the node at {self.base_url} is running and reachable"
                           ) from exc.__cause__

    def _log_retry(self, operation: str) -> Callable[[RetryCallState], None]:
        def log(state: RetryCallState) -> None:
            error = state.outcome.exception() if state.outcome else None
            _log.warning("node.request.retry", backend=self.backend, operation=operation,
                         attempt=state.attempt_number, wait_s=round(state.upcoming_sleep, 3),
                         problem=self._redact(str(error)))
        return log

    def _send_once(self, method: str, path: str, params: Mapping[str, str] | None, body: object, ids: Ids,
                   write: bool) -> httpx.Response:
        operation = f"{method} {path}"
        self.limiter.acquire()
        try:
            response = self._client.request(method, path, params=params, json=body)
        except httpx.TransportError as exc:
            raise self._transport_error(exc, operation, ids, write) from exc
        return self._answer(response, operation, ids, write)

    def _transport_error(self, exc: httpx.TransportError, operation: str, ids: Ids, write: bool) -> Exception:
        text = self._redact(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)
        if _is_certificate_error(exc):
            return NodeAuthError(self.backend, operation, f"the TLS certificate of {self.base_url} is not the "
                                 f"trusted one ({text})", ids=ids, hint=self._tls_hint)
        if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
            return _Unsent(NodeUnavailable, f"cannot connect to {self.base_url} ({text})")
        if write:
            return NodeOutcomeUnknown(self.backend, operation, f"the request was sent but no answer came back "
                                      f"({text}); it may or may not have been applied", ids=ids,
                                      hint="re-read the policy to learn whether it was applied")
        timed_out = isinstance(exc, httpx.TimeoutException)
        return _Transient(NodeUnavailable, f"no answer within {self.settings.timeout_s} s ({text})"
                          if timed_out else f"connection lost ({text})")

    def _answer(self, response: httpx.Response, operation: str, ids: Ids, write: bool) -> httpx.Response:
        status = response.status_code
        if 200 <= status < 300:
            return response
        body = _json_or_none(response)
        message = self._redact(_error_message(body, response.text))
        problem = f"HTTP {status}: {message}"
        special = self._classify(status, body, message) if self._classify else None
        if special is None and status in (401, 403):
            special = NodeAuthError
        if special is NodeAuthError:
            raise NodeAuthError(self.backend, operation, problem, ids=ids, hint=self._auth_hint)
        if special is not None:
            raise special(self.backend, operation, problem, ids=ids)
        if status < 500:
            raise NodeRejected(self.backend, operation, problem, ids=ids)
        if write:
            # The node itself answered with an error (a JSON body): it refused. No body: a proxy or a
            # crash answered, and whether the node applied the change is unknown.
            if self._refusals_in_5xx and isinstance(body, dict):
                raise NodeRejected(self.backend, operation, problem, ids=ids)
            raise NodeOutcomeUnknown(self.backend, operation, f"{problem}; it may or may not have been applied",
                                     ids=ids, hint="re-read the policy to learn whether it was applied")
        raise _Transient(NodeUnavailable, problem)

    def _redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "<redacted>")
        return text


def _json_object(response: httpx.Response, backend: str, operation: str, ids: Ids,
                 redact: Callable[[str], str]) -> JsonObject:
    body = _json_or_none(response)
    if not isinstance(body, dict):
        raise NodeResponseError(backend, operation, f"HTTP {response.status_code} answer is not a JSON object: "
                                f"{redact(response.text[:80])!r}", ids=ids)
    return body


def _json_or_none(response: httpx.Response) -> object:
    try:
        return json.loads(response.content) if response.content else None
    except (ValueError, UnicodeDecodeError):
        return None


def _error_message(body: object, text: str) -> str:
    """The node's own error text: LND's ``message``, LNbits/FastAPI's ``detail``, else the raw text."""
    if isinstance(body, dict):
        for key in ("message", "detail", "error"):
            value = body.get(key)
            if isinstance(value, str) and value:
                return value[:_MAX_MESSAGE_CHARS]
            if value:
                return json.dumps(value)[:_MAX_MESSAGE_CHARS]
    return text.strip()[:_MAX_MESSAGE_CHARS] or "(empty answer)"


def _is_certificate_error(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
