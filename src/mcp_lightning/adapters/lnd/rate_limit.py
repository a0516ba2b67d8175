"""A client-side token bucket, so the fee manager never floods the node's API.

Shared by the LND and LNbits adapters.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

SECONDS_PER_MINUTE = 60.0


class TokenBucket:
    """Allow ``requests_per_minute`` on average, with bursts of up to ``burst`` requests.

    Thread-safe: callers block in :meth:`acquire` until a token is free.

    Args:
        requests_per_minute: sustained rate, requests/min (> 0); 100 by default in the adapters.
        burst: bucket size, requests (>= 1); the bucket starts full.
        clock: monotonic seconds (injected in tests).
        sleep: how to wait, seconds (injected in tests).

    Raises:
        ValueError: when the rate is not positive or the burst is below 1.
    """

    def __init__(self, requests_per_minute: float, *, burst: int = 10,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep) -> None:
        if requests_per_minute <= 0 or burst < 1:
            raise ValueError(f"rate limit needs requests_per_minute > 0 and burst >= 1, got "
                             f"{requests_per_minute} req/min and burst {burst}")
        self.rate_per_s = requests_per_minute / SECONDS_PER_MINUTE
        self.burst = burst
        self._clock = clock
        self._sleep = sleep
        self._tokens = float(burst)
        self._updated_s = clock()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Take one token, waiting as long as needed.

        Returns:
            The time waited, seconds (0.0 when a token was free).
        """
        waited_s = 0.0
        while True:
            with self._lock:
                now_s = self._clock()
                self._tokens = min(float(self.burst), self._tokens + (now_s - self._updated_s) * self.rate_per_s)
                self._updated_s = now_s
                if self._tokens >= 1.0:
                    self._tokens -= 1.0
                    return waited_s
                wait_s = (1.0 - self._tokens) / self.rate_per_s
            self._sleep(wait_s)
            waited_s += wait_s
