"""Core Lightning JSON-RPC over its unix socket (``pyln.client.LightningRpc``), with timeouts, retries and our errors.

``pyln-client`` has no timeout: a node that never answers would block forever. ``_TimeoutRpc``
sets one on each call's socket. Reads are retried (tenacity, exponential backoff) when the socket
cannot be opened, times out, is dropped, or the node answers -32603 (internal error). Writes are
retried only when the socket could not be opened; a lost answer to ``setchannel`` raises
``NodeOutcomeUnknown`` (re-read to learn what happened). Any other JSON-RPC error is the node
refusing: ``NodeRejected`` with its code and message.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import structlog
from pyln.client import LightningRpc, RpcError
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from mcp_lightning.errors import NodeError, NodeOutcomeUnknown, NodeRejected, NodeResponseError, NodeUnavailable

BACKEND = "cln"
INTERNAL_ERROR = -32603
Json = dict[str, object]
_log = structlog.get_logger("mcp_lightning.adapters.node")
_pyln_log = logging.getLogger("mcp_lightning.adapters.cln.pyln")


@dataclass(frozen=True, slots=True)
class RpcSettings:
    """Timeout and retries of Core Lightning calls.

    Attributes:
        timeout_s: longest wait for one answer, seconds.
        max_attempts: tries per read (1 = no retry).
        backoff_initial_s: first wait between tries, seconds; doubles each time.
        backoff_max_s: longest wait between tries, seconds.
    """

    timeout_s: float = 30.0
    max_attempts: int = 3
    backoff_initial_s: float = 0.5
    backoff_max_s: float = 8.0


class _TimeoutRpc(LightningRpc):  # type: ignore[misc]  # pyln-client ships no type information
    """``LightningRpc`` whose per-call socket gives up after ``timeout_s``."""

    def __init__(self, socket_path: str, timeout_s: float) -> None:
        super().__init__(socket_path, logger=_pyln_log)
        self._timeout_s = timeout_s

    def _writeobj(self, sock: object, obj: object) -> None:
        raw = getattr(sock, "sock", None)
        if raw is not None:
            raw.settimeout(self._timeout_s)
        super()._writeobj(sock, obj)


class _Transient(Exception):
    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


class _Unsent(_Transient):
    """The socket could not be opened: nothing reached the node."""


class ClnRpc:
    """Calls to one Core Lightning node.

    Args:
        socket_path: the node's ``lightning-rpc`` socket.
        settings: timeout and retries.
    """

    def __init__(self, socket_path: Path, settings: RpcSettings = RpcSettings()) -> None:
        self.socket_path = socket_path
        self.settings = settings
        self._rpc = _TimeoutRpc(str(socket_path), settings.timeout_s)

    def read(self, method: str, **params: object) -> Json:
        """Call a method that changes nothing, retrying transient failures.

        Raises:
            NodeUnavailable: the socket is missing or refused, the call timed out or was dropped,
                or the node answered -32603, on every try.
            NodeRejected: the node answered with another JSON-RPC error.
            NodeResponseError: the answer is not a JSON object.
        """
        return self._with_retries(_Transient, method, params, write=False)

    def write(self, method: str, **params: object) -> Json:
        """Call a method that changes the node; retried only when the socket could not be opened.

        Raises:
            NodeOutcomeUnknown: the call was sent but its answer was lost.
            NodeUnavailable, NodeRejected, NodeResponseError: as for :meth:`read`.
        """
        return self._with_retries(_Unsent, method, params, write=True)

    def _with_retries(self, retry_on: type[_Transient], method: str, params: Json, *, write: bool) -> Json:
        retrying = Retrying(
            stop=stop_after_attempt(max(1, self.settings.max_attempts)), reraise=True,
            wait=wait_exponential(multiplier=self.settings.backoff_initial_s, max=self.settings.backoff_max_s),
            retry=retry_if_exception_type(retry_on), before_sleep=_log_retry(method))
        try:
            return retrying(self._call_once, method, params, write)
        except _Transient as exc:
            raise NodeUnavailable(BACKEND, method, f"{exc.problem} (gave up after {self.settings.max_attempts} "
                                  "tries)", hint=f"check that lightningd is running and owns {self.socket_path}"
                                  ) from exc.__cause__

    def _call_once(self, method: str, params: Json, write: bool) -> Json:
        try:
            result = self._rpc.call(method, {k: v for k, v in params.items() if v is not None})
        except RpcError as exc:
            raise self._rpc_error(method, exc, write) from exc
        except (FileNotFoundError, ConnectionRefusedError) as exc:
            raise _Unsent(f"cannot connect to {self.socket_path} ({type(exc).__name__})") from exc
        except OSError as exc:
            raise self._lost(method, f"no answer within {self.settings.timeout_s} s" if isinstance(exc, TimeoutError)
                             else f"connection lost ({type(exc).__name__}: {exc})", write) from exc
        except ValueError as exc:
            raise NodeResponseError(BACKEND, method, f"malformed answer: {exc}") from exc
        if not isinstance(result, dict):
            raise NodeResponseError(BACKEND, method, f"the result is not a JSON object: {str(result)[:80]!r}")
        return result

    def _rpc_error(self, method: str, exc: RpcError, write: bool) -> Exception:
        error = exc.error
        if not isinstance(error, dict):  # pyln's "Connection to RPC server lost."
            return self._lost(method, str(error), write)
        code, message = error.get("code"), str(error.get("message", ""))[:300]
        if code == INTERNAL_ERROR:
            return self._lost(method, f"internal error {code}: {message}", write)
        return NodeRejected(BACKEND, method, f"error {code}: {message}", ids=_ids(exc.payload))

    def _lost(self, method: str, problem: str, write: bool) -> Exception:
        if write:
            return NodeOutcomeUnknown(BACKEND, method, f"{problem}; it may or may not have been applied",
                                      hint="re-read the channel to learn whether it was applied")
        return _Transient(problem)


def _ids(payload: object) -> dict[str, str | int]:
    if isinstance(payload, dict) and isinstance(payload.get("id"), str | int):
        return {"id": payload["id"]}
    return {}


def _log_retry(method: str) -> Callable[[RetryCallState], None]:
    def log(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        _log.warning("node.request.retry", backend=BACKEND, operation=method, attempt=state.attempt_number,
                     wait_s=round(state.upcoming_sleep, 3), problem=str(error))
    return log


def is_unknown_parameter(error: NodeError) -> bool:
    """True when the node refused a parameter it does not know (an older Core Lightning)."""
    return isinstance(error, NodeRejected) and "-32602" in error.problem and "unknown parameter" in error.problem
