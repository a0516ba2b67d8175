"""The one error tree of MCP Lightning.

::

    McplnError                      (exit 1, HTTP 500) base of everything we raise on purpose
    ├── InputError                  (exit 2, HTTP 400) bad user-supplied data
    │   ├── InputFileError          a graph or node file that cannot be read or parsed
    │   │                           (names the file, the field, the value and the fix)
    │   ├── ConfigError             a YAML config or profile that is invalid
    │   ├── NotFoundError           (HTTP 404) the node, channel, run or job asked for does not exist
    │   └── RequestTooLarge         (HTTP 413) a request body above the API's size limit
    ├── AuthenticationError         (exit 2, HTTP 401) an API key is missing, malformed, unknown or revoked
    ├── PermissionDeniedError       (exit 2, HTTP 403) the API key lacks the scope the endpoint needs
    ├── RateLimitExceeded           (HTTP 429) too many requests in the current minute (see retry_after_s)
    ├── ServiceUnavailable          (HTTP 503) the API cannot answer yet or right now (no graph snapshot loaded)
    ├── StoreError                  (exit 1, HTTP 503) the database could not be read or written
    ├── NodeError                   (exit 1, HTTP 502) a running node could not be read or written
    │   ├── NodeUnavailable         (HTTP 503) unreachable, timed out, reset, or 5xx after the retries
    │   │   └── NodeOutcomeUnknown  a write was sent but no answer came: re-read to learn if it applied
    │   ├── NodeAuthError           (exit 2) credentials missing or refused, or the TLS certificate
    │   │                           is not the pinned one
    │   ├── NodeRejected            the node answered and refused (unknown channel, bad value, failed update)
    │   └── NodeResponseError       the node answered with a shape its API documentation does not allow
    ├── ExecutionError              (exit 1, HTTP 409) the executor refused to write, or could not finish
    │   ├── KillSwitchEngaged       the kill switch is on: no policy is written until it is turned off
    │   └── BackupIntegrityError    a stored backup's sha256 does not match its content: it is not used
    └── SecretError                 (exit 1, HTTP 500) a secret could not be stored, decrypted or rotated
                                    (wrong or missing key, tampered row); never shows the secret

Every message says what failed, for which item, the values with their units, and the fix; it never
contains a secret. The CLI prints ``error: <message>`` and ``hint: <hint>`` and exits with
``exit_code``; the API renders ``{"error": ..., "detail": ...}`` with ``http_status``.
"""

from __future__ import annotations


class McplnError(Exception):
    """Base class: an expected failure with a message for users and an optional hint."""

    exit_code: int = 1
    http_status: int = 500

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class InputError(McplnError):
    """User-supplied input is invalid; nothing was changed."""

    exit_code = 2
    http_status = 400


class InputFileError(InputError):
    """A file could not be read or holds a field with a bad value.

    Args:
        path: the file (or file/member) that failed.
        problem: what is wrong, e.g. ``"field 'capacity' has value 'abc', expected an integer"``.
        hint: what the user should do.
    """

    def __init__(self, path: str, problem: str, *, hint: str | None = None) -> None:
        super().__init__(f"{path}: {problem}", hint=hint)
        self.path = path
        self.problem = problem


class ConfigError(InputError):
    """The configuration (YAML file, profile name, environment) is invalid."""


class StoreError(McplnError):
    """The store (SQLite or PostgreSQL) failed; the message names the operation and the URL without credentials."""

    http_status = 503


class NodeError(McplnError):
    """A running node (LND, Core Lightning, LNbits) failed a call; nothing in the message is a credential.

    Args:
        backend: ``"lnd"``, ``"cln"`` or ``"lnbits"``.
        operation: the RPC method or ``VERB /path`` that failed, e.g. ``"POST /v1/chanpolicy"``.
        problem: what went wrong, in words.
        ids: identifiers of the item concerned, e.g. ``{"chan_id": 1016034506059743233}``.
        hint: what the user should do.
    """

    http_status = 502

    def __init__(self, backend: str, operation: str, problem: str, *,
                 ids: dict[str, str | int] | None = None, hint: str | None = None) -> None:
        shown = ", ".join(f"{key}={value}" for key, value in (ids or {}).items())
        super().__init__(f"{backend} {operation} failed{f' for {shown}' if shown else ''}: {problem}", hint=hint)
        self.backend = backend
        self.operation = operation
        self.problem = problem
        self.ids = dict(ids or {})


class NodeUnavailable(NodeError):
    """The node could not be reached, timed out, reset the connection, or kept answering 5xx."""

    http_status = 503


class NodeOutcomeUnknown(NodeUnavailable):
    """A write reached the node (or may have) but no answer came back; re-read to learn whether it applied."""


class NodeAuthError(NodeError):
    """The node refused our credentials, none were given, or its TLS certificate is not the pinned one."""

    exit_code = 2


class NodeRejected(NodeError):
    """The node answered and refused the request (unknown channel, invalid value, failed policy update)."""


class NodeResponseError(NodeError):
    """The node answered with a body its API documentation does not allow (not JSON, missing field)."""


class ExecutionError(McplnError):
    """The executor refused to write a policy, or could not finish a batch safely (see the hint)."""

    http_status = 409


class KillSwitchEngaged(ExecutionError):
    """The kill switch is engaged: every policy write is refused until ``mcpln killswitch off``."""


class BackupIntegrityError(ExecutionError):
    """A stored policy backup does not hash to its recorded sha256: it was altered and is not used."""


class SecretError(McplnError):
    """A secret could not be stored, decrypted or re-encrypted (wrong key, missing key, tampered row)."""


# --- the scoring API (mcpln serve) ---


class NotFoundError(InputError):
    """The node, channel, run or job asked for does not exist (the message names it and where to look)."""

    http_status = 404


class RequestTooLarge(InputError):
    """A request body is larger than the API accepts (``MCPLN_MAX_BODY_BYTES``)."""

    http_status = 413


class AuthenticationError(McplnError):
    """An API key is required but missing, or the one given is malformed, unknown or revoked."""

    exit_code = 2
    http_status = 401


class PermissionDeniedError(McplnError):
    """The API key is valid but lacks the scope the endpoint needs (e.g. ``admin``)."""

    exit_code = 2
    http_status = 403


class RateLimitExceeded(McplnError):
    """Too many requests in the current window; ``retry_after_s`` says when the window resets."""

    http_status = 429

    def __init__(self, message: str, *, retry_after_s: int, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.retry_after_s = retry_after_s


class ServiceUnavailable(McplnError):
    """The API cannot answer right now (no graph snapshot loaded yet); retrying later may succeed."""

    http_status = 503
