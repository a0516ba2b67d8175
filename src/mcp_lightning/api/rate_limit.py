"""Fixed-window rate limits per key and per IP, in Redis when available, in-process otherwise.

Buckets (per minute): ``anonymous`` 100 per IP, ``key`` 1,000 per key, ``heavy`` 10 per key or IP
for batch, recalculate and force_recalculate (counted in addition to the general bucket). Redis
counters are shared by every server process; the in-process fallback (no Redis, or Redis down)
counts per process.

Shared counting does not cost a Redis round trip per request: each process counts locally and adds
its pending hits to Redis (``INCRBY``) when they reach a twentieth of the estimated remaining budget,
or every ``SYNC_S`` seconds, whichever comes first. Far from the limit that is a few calls a
second; near it, every request is synchronised, so the limit holds exactly where it matters (a
process may admit at most a few requests more than the limit in the window it is reached, while
another process's pending hits are not yet added). Responses carry ``X-RateLimit-Limit``, ``X-RateLimit-Remaining`` and
``X-RateLimit-Reset`` (seconds until the window resets); a refused request gets 429 with
``Retry-After``.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from mcp_lightning.adapters.cache import TwoLevelCache
from mcp_lightning.errors import RateLimitExceeded
from mcp_lightning.metrics import RATE_LIMITED

WINDOW_S = 60
SYNC_S = 0.25
"""Longest time a process keeps hits of a bucket before adding them to Redis, s."""


@dataclass(frozen=True, slots=True)
class Quota:
    """A bucket's state after counting a request."""

    bucket: str
    limit: int
    remaining: int
    reset_s: int
    exceeded: bool = False

    def headers(self) -> dict[str, str]:
        """The ``X-RateLimit-*`` headers."""
        return {"X-RateLimit-Limit": str(self.limit), "X-RateLimit-Remaining": str(self.remaining),
                "X-RateLimit-Reset": str(self.reset_s)}

    def refusal(self) -> RateLimitExceeded:
        """The 429 error of an exceeded quota."""
        return RateLimitExceeded(f"rate limit of {self.limit} requests per minute reached ({self.bucket} bucket)",
                                 retry_after_s=self.reset_s, hint=f"retry in {self.reset_s} s")


class LocalCounters:
    """In-process fixed-window counters (the fallback when Redis is not available)."""

    def __init__(self) -> None:
        self._counts: dict[str, int] = {}
        self._window = -1
        self._lock = threading.Lock()

    def incr(self, key: str, window: int) -> int:
        """Count one hit of ``key`` in ``window`` (older windows are forgotten)."""
        with self._lock:
            if window != self._window:
                self._counts.clear()
                self._window = window
            self._counts[key] = self._counts.get(key, 0) + 1
            return self._counts[key]


@dataclass(slots=True)
class _Pending:
    """A process's view of one shared counter: the last total read from Redis and the hits not yet added."""

    synced_total: int = 0
    delta: int = 0
    synced_at: float = float("-inf")


class RateLimiter:
    """Counts requests per bucket and identity and refuses those over the limit.

    Args:
        cache: the shared cache (its Redis counters); in-process counters when it has none or it fails.
        clock: wall-clock time source, s (windows are aligned on minutes).
    """

    def __init__(self, cache: TwoLevelCache, clock: Callable[[], float] = time.time,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._cache = cache
        self._clock = clock
        self._monotonic = monotonic
        self._local = LocalCounters()
        self._pending: dict[str, _Pending] = {}
        self._pending_window = -1

    async def hit(self, bucket: str, identity: str, limit: int) -> Quota:
        """Count a request of ``identity`` in ``bucket``.

        Returns:
            The bucket's quota after this request; ``exceeded`` when it is over ``limit`` in the
            current window (raise ``quota.refusal()`` after attaching the headers).
        """
        now = self._clock()
        window = int(now // WINDOW_S)
        key = f"{bucket}:{identity}:{window}"
        count = await self._shared_count(key, window, limit) if self._cache.redis_configured else None
        if count is None:
            count = self._local.incr(key, window)
        reset_s = max(1, math.ceil((window + 1) * WINDOW_S - now))
        exceeded = count > limit
        if exceeded:
            RATE_LIMITED.labels(bucket=bucket).inc()
        return Quota(bucket=bucket, limit=limit, remaining=max(0, limit - count), reset_s=reset_s, exceeded=exceeded)

    async def _shared_count(self, key: str, window: int, limit: int) -> int | None:
        """This request counted in the shared counter (see the module docstring); None when Redis fails."""
        if window != self._pending_window:  # a new minute: the pending hits of the last one are moot
            self._pending, self._pending_window = {}, window
        pending = self._pending.get(key)
        if pending is None:
            pending = self._pending[key] = _Pending()
        pending.delta += 1
        estimate = pending.synced_total + pending.delta
        now = self._monotonic()
        if pending.delta < max(1, (limit - estimate) // 20) and now - pending.synced_at < SYNC_S:
            return estimate
        amount, pending.delta, pending.synced_at = pending.delta, 0, now  # taken before awaiting: no double count
        total = await self._cache.count_in_window(key, WINDOW_S + 1, amount)
        if total is None:  # Redis is unavailable: from now on the caller counts in-process, request by request
            self._pending.pop(key, None)
            return None
        pending.synced_total = max(pending.synced_total, total)
        return total
