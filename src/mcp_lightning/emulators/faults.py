"""Faults an emulator can be told to show, switched at run time (in-process or through a control endpoint).

One fault is active at a time; ``times`` limits how many requests it hits (None: until cleared).

=================  =================================================================================
fault              what the client sees
=================  =================================================================================
``server_error``   HTTP 503 (LND, LNbits) or a JSON-RPC internal error (Core Lightning)
``timeout``        no answer for ``hang_s`` seconds (longer than any client timeout), then the close
``slow``           the normal answer, ``delay_s`` seconds late
``reset``          the connection dropped without an answer (TCP RST; closed unix socket)
``not_applied``    writes answer success but change nothing
``write_fails``    writes refused, from the ``from_write``-th write after the fault was set
=================  =================================================================================
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from enum import StrEnum


class Fault(StrEnum):
    """The kinds of fault an emulator can show."""

    SERVER_ERROR = "server_error"
    TIMEOUT = "timeout"
    SLOW = "slow"
    RESET = "reset"
    NOT_APPLIED = "not_applied"
    WRITE_FAILS = "write_fails"


_WRITE_ONLY = frozenset({Fault.NOT_APPLIED, Fault.WRITE_FAILS})


@dataclass(frozen=True, slots=True)
class Injection:
    """The active fault: which, how many more requests (None: all), on writes only, and from which write."""

    fault: Fault
    times: int | None = None
    writes_only: bool = False
    delay_s: float = 0.5
    from_write: int = 1


class FaultPlan:
    """The switchboard an emulator consults on every request; thread-safe.

    Args:
        hang_s: how long ``timeout`` holds a request, seconds.
    """

    def __init__(self, *, hang_s: float = 5.0) -> None:
        self.hang_s = hang_s
        self._lock = threading.Lock()
        self._active: Injection | None = None
        self._n_writes = 0
        self._released = threading.Event()

    def set(self, fault: Fault | str, *, times: int | None = None, writes_only: bool = False,
            delay_s: float = 0.5, from_write: int = 1) -> None:
        """Make ``fault`` active (replacing any other) and restart the write count.

        Raises:
            ValueError: unknown fault name, ``times`` < 1 or ``from_write`` < 1.
        """
        if (times is not None and times < 1) or from_write < 1:
            raise ValueError(f"times must be >= 1 (or None) and from_write >= 1, got {times} and {from_write}")
        kind = Fault(fault)
        with self._lock:
            self._active = Injection(kind, times, writes_only or kind in _WRITE_ONLY, delay_s, from_write)
            self._n_writes = 0
            self._released.clear()

    def clear(self) -> None:
        """No fault from now on."""
        with self._lock:
            self._active = None
            self._n_writes = 0

    @property
    def active(self) -> Injection | None:
        """The active fault, or None."""
        return self._active

    def take(self, *, is_write: bool, resets: bool = False) -> Injection | None:
        """The fault to show on this request, if any, counting it against ``times``.

        Args:
            is_write: the request changes the node.
            resets: ask only about ``reset`` (the connection layer), or only about the others (False).
        """
        with self._lock:
            active = self._active
            if active is None or (active.fault is Fault.RESET) != resets or (active.writes_only and not is_write):
                return None
            if is_write:
                self._n_writes += 1
                if self._n_writes < active.from_write:
                    return None
            if active.times is not None:
                left = active.times - 1
                self._active = Injection(active.fault, left, active.writes_only, active.delay_s,
                                         active.from_write) if left else None
            return active

    def hang(self) -> None:
        """Block this thread for ``hang_s`` or until :meth:`release`."""
        self._released.wait(self.hang_s)

    async def hang_async(self) -> None:
        """Hold this request for ``hang_s`` or until :meth:`release`, without blocking the event loop."""
        steps = max(1, int(self.hang_s / 0.05))
        for _ in range(steps):
            if self._released.is_set():
                return
            await asyncio.sleep(0.05)

    def release(self) -> None:
        """End every hang now (the server is stopping)."""
        self._released.set()
