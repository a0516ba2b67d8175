"""A circuit breaker per dependency: after N failures in a row, skip it for a while, then try once.

States: ``closed`` (calls go through), ``open`` (calls are skipped until ``open_s`` has passed),
``half_open`` (one trial call: success closes the circuit, failure opens it again). The clock is
injected so the rule is tested without sleeping.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from mcp_lightning.metrics import CIRCUIT_OPEN, DEPENDENCY_UP


@dataclass
class CircuitBreaker:
    """Counts consecutive failures of one dependency and decides whether to call it.

    Attributes:
        name: the dependency (``"database"``, ``"redis"``), used in metrics and messages.
        failures_to_open: consecutive failures that open the circuit (default 5).
        open_s: how long the circuit stays open before a trial call, s (default 30).
        clock: monotonic time source, s.
    """

    name: str
    failures_to_open: int = 5
    open_s: float = 30.0
    clock: Callable[[], float] = time.monotonic
    _failures: int = 0
    _opened_at: float | None = None
    _trial_running: bool = False
    _trial_at: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def state(self) -> str:
        """``"closed"``, ``"open"`` or ``"half_open"``."""
        if self._opened_at is None:
            return "closed"
        return "open" if self.clock() - self._opened_at < self.open_s else "half_open"

    def seconds_until_retry(self) -> float:
        """Seconds until the next trial call (0 when closed or half open)."""
        if self._opened_at is None:
            return 0.0
        return max(0.0, self.open_s - (self.clock() - self._opened_at))

    def allow(self) -> bool:
        """True when a call may be made now (closed, or the one trial call of a half-open circuit)."""
        with self._lock:
            state = self.state
            if state == "closed":
                return True
            stuck = self._trial_running and self.clock() - self._trial_at > self.open_s  # never reported
            if state == "half_open" and (not self._trial_running or stuck):
                self._trial_running, self._trial_at = True, self.clock()
                return True
            return False

    def record_success(self) -> None:
        """A call succeeded: close the circuit."""
        with self._lock:
            self._failures, self._opened_at, self._trial_running = 0, None, False
        CIRCUIT_OPEN.labels(dependency=self.name).set(0)
        DEPENDENCY_UP.labels(dependency=self.name).set(1)

    def record_failure(self) -> None:
        """A call failed: count it; open (or re-open) the circuit at the threshold or after a failed trial."""
        with self._lock:
            self._failures += 1
            if self._trial_running or self._failures >= self.failures_to_open:
                self._opened_at = self.clock()
            self._trial_running = False
            opened = self._opened_at is not None
        CIRCUIT_OPEN.labels(dependency=self.name).set(1 if opened else 0)
        DEPENDENCY_UP.labels(dependency=self.name).set(0)
