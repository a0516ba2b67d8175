"""The store as the API uses it: opened lazily, called in worker threads, behind a circuit breaker.

When the database cannot be reached the API keeps serving scores from its in-memory snapshot:
``read`` and ``write`` raise ``StoreError`` (503) at once while the circuit is open, with a message
that says so; connection failures count towards opening it, other store errors (a constraint, a bad
row) do not.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import anyio.to_thread
import structlog
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from mcp_lightning.adapters.store import Store
from mcp_lightning.adapters.store.store import PoolOptions, open_store
from mcp_lightning.adapters.store.store_api import ApiStore
from mcp_lightning.api.circuit import CircuitBreaker
from mcp_lightning.errors import StoreError
from mcp_lightning.metrics import timed_db

T = TypeVar("T")
_CONNECTIVITY = (OperationalError, InterfaceError, PoolTimeoutError, OSError)
_log = structlog.get_logger("mcp_lightning.api")


def is_connectivity_failure(exc: StoreError) -> bool:
    """True when the store error comes from the database being unreachable (not from the data)."""
    cause = exc.__cause__
    if isinstance(cause, DBAPIError) and cause.connection_invalidated:
        return True
    return cause is None or isinstance(cause, _CONNECTIVITY)


class Database:
    """The store of the API.

    Args:
        url: ``MCPLN_DATABASE_URL`` (None: the SQLite file under ``default_dir``).
        default_dir: directory of the default SQLite file.
        pool: PostgreSQL pool options.
        breaker: the database circuit breaker.
    """

    def __init__(self, url: str | None, *, default_dir: Path, pool: PoolOptions, breaker: CircuitBreaker) -> None:
        self._url = url
        self._default_dir = default_dir
        self._pool = pool
        self.breaker = breaker
        self._store: Store | None = None
        self._api: ApiStore | None = None
        self._open_lock = threading.Lock()

    @property
    def url(self) -> str:
        """The URL without password, or a placeholder before the store was opened once."""
        return self._store.url if self._store is not None else "(not opened yet)"

    def _opened(self) -> tuple[Store, ApiStore]:
        with self._open_lock:
            if self._store is None or self._api is None:
                self._store = open_store(self._url, default_dir=self._default_dir, pool=self._pool)
                self._api = ApiStore(self._store)
                _log.info("database.opened", url=self._store.url)
            return self._store, self._api

    def open_now(self) -> bool:
        """Try to open the store (and migrate it); False when it is unreachable (logged, counted)."""
        try:
            self._call("opening the store", lambda store, api: None)
        except StoreError as exc:
            _log.warning("database.unavailable", error=exc.message)
            return False
        return True

    def _call(self, operation: str, action: Callable[[Store, ApiStore], T]) -> T:
        with timed_db(operation):
            try:
                result = action(*self._opened())
            except StoreError as exc:
                if is_connectivity_failure(exc):
                    self.breaker.record_failure()
                raise
        self.breaker.record_success()
        return result

    def _check_circuit(self, writing: bool) -> None:
        if self.breaker.allow():
            return
        wait_s = self.breaker.seconds_until_retry()
        what = "writes are refused" if writing else "reads that need it are refused"
        raise StoreError(f"the database is unavailable (degraded mode): {what} for {wait_s:.0f} more s "
                         "after repeated connection failures",
                         hint="scores are still served from the in-memory snapshot; retry later")

    async def read(self, operation: str, action: Callable[[Store, ApiStore], T]) -> T:
        """Run a reading ``action(store, api_store)`` in a worker thread.

        Raises:
            StoreError: the database is unavailable (circuit open or connection failure), or the read failed.
        """
        self._check_circuit(writing=False)
        return await anyio.to_thread.run_sync(self._call, operation, action)

    async def write(self, operation: str, action: Callable[[Store, ApiStore], T]) -> T:
        """Run a writing ``action(store, api_store)`` in a worker thread.

        Raises:
            StoreError: the database is unavailable (writes refused, 503) or the write failed.
        """
        self._check_circuit(writing=True)
        try:
            return await anyio.to_thread.run_sync(self._call, operation, action)
        except StoreError as exc:
            if is_connectivity_failure(exc):
                raise StoreError(f"the database is unavailable (degraded mode): writes are refused ({exc.message})",
                                 hint="retry when /health reports the database up") from exc
            raise

    async def ping(self) -> bool:
        """``SELECT 1`` through the breaker's rules; False when unreachable or the circuit is open."""
        if not self.breaker.allow():
            return False
        try:
            await anyio.to_thread.run_sync(self._call, "ping", lambda store, api: api.ping())
        except StoreError:
            return False
        return True

    def close(self) -> None:
        """Release the pool."""
        if self._store is not None:
            self._store.close()
