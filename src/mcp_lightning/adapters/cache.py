"""Two-level cache: an in-process LRU in front of Redis, with a TTL per kind of value.

| kind | TTL | holds |
|---|---|---|
| ``node`` | 5 min | a node's data from the store (recommendations, its decisions) |
| ``channel`` | 10 min | a channel's score and decisions |
| ``metrics`` | 1 min | fast-moving figures (runs list, policy changes) |
| ``scores`` | 15 min | a node's scores |
| ``heavy`` | 30 min | heavy queries (rankings pages) |

Values are bytes (the API caches finished JSON bodies); ``encode_json`` turns any value with
datetimes into JSON with ISO-8601 times. Keys carry a *generation*: ``invalidate_all`` (a policy was
applied, the graph was re-synced) increments it in Redis, so every process stops reading the old
entries; each process re-reads the generation at most once per ``generation_check_s`` and clears
its LRU when it moved. Without Redis (``MCPLN_REDIS_URL`` unset) the LRU alone is used; when Redis
fails, calls are skipped by a circuit breaker and the LRU keeps serving. Every look-up is counted
in ``mcpln_cache_requests_total`` and ``mcpln_cache_hit_ratio``.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Protocol

import msgspec
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from mcp_lightning.metrics import record_cache_lookup, record_cache_outcome

TTL_S: dict[str, int] = {"node": 300, "channel": 600, "metrics": 60, "scores": 900, "heavy": 1800}
"""Time to live of each kind of cached value, s."""
_REDIS_ERRORS = (RedisError, OSError, TimeoutError)


class Breaker(Protocol):
    """What the cache needs from a circuit breaker (``api.circuit.CircuitBreaker``)."""

    def allow(self) -> bool: ...
    def record_success(self) -> None: ...
    def record_failure(self) -> None: ...


def encode_json(value: Any) -> bytes:
    """JSON bytes of ``value``; datetimes become ISO-8601 text, dataclasses objects (never a TypeError)."""
    return msgspec.json.encode(value)


def decode_json(data: bytes) -> Any:
    """The inverse of ``encode_json`` (datetimes stay ISO-8601 text)."""
    return msgspec.json.decode(data)


class LruCache:
    """A thread-safe LRU of bytes with a TTL per entry.

    Args:
        max_entries: entries kept; the least recently used goes first.
        clock: monotonic time source, s.
    """

    def __init__(self, max_entries: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._entries: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._max = max_entries
        self._clock = clock
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        """The value when present and not expired, else None."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry[0] <= self._clock():
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return entry[1]

    def set(self, key: str, value: bytes, ttl_s: float) -> None:
        """Store ``value`` for ``ttl_s`` seconds."""
        with self._lock:
            self._entries[key] = (self._clock() + ttl_s, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        """Drop every entry."""
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


def connect_redis(url: str, *, timeout_s: float) -> Redis:
    """A Redis client that fails fast: no retries, ``timeout_s`` to connect and per command.

    Connections are opened lazily; an unreachable server shows at the first command.
    """
    client: Redis = Redis.from_url(url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s,
                                   retry=Retry(NoBackoff(), 0), health_check_interval=15)
    return client


class TwoLevelCache:
    """The LRU, and Redis behind it when configured.

    Args:
        redis: an async Redis client, or None for in-process only.
        breaker: the Redis circuit breaker.
        prefix: prefix of every Redis key (e.g. ``"mcpln:"``).
        lru_size: entries of the in-process LRU.
        generation_check_s: how often the generation is re-read from Redis, s.
        clock: monotonic time source, s.
    """

    def __init__(self, redis: Redis | None, breaker: Breaker, *, prefix: str = "mcpln:", lru_size: int = 4096,
                 generation_check_s: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.redis = redis
        self.breaker = breaker
        self.prefix = prefix
        self.lru = LruCache(lru_size, clock)
        self._clock = clock
        self._generation = 0
        self._generation_checked_at = float("-inf")
        self._generation_check_s = generation_check_s

    @property
    def redis_configured(self) -> bool:
        """True when a Redis URL was given."""
        return self.redis is not None

    def _key(self, kind: str, key: str) -> str:
        return f"{self.prefix}c:{self._generation}:{kind}:{key}"

    async def _redis_call(self, call: Callable[[Redis], Any]) -> Any:
        """Run ``await call(redis)`` through the breaker; None when skipped or failed."""
        if self.redis is None or not self.breaker.allow():
            return None
        try:
            result = await call(self.redis)
        except _REDIS_ERRORS:
            self.breaker.record_failure()
            return None
        self.breaker.record_success()
        return result

    async def get(self, kind: str, key: str) -> bytes | None:
        """The cached value of ``key`` of ``kind``: from the LRU, else from Redis (then kept in the LRU)."""
        await self._sync_generation()
        full = self._key(kind, key)
        value = self.lru.get(full)
        record_cache_lookup(kind, "lru", value is not None)
        if value is None and self.redis is not None:
            stored = await self._redis_call(lambda r: r.get(full))
            record_cache_lookup(kind, "redis", stored is not None)
            if stored is not None:
                value = bytes(stored)
                self.lru.set(full, value, TTL_S[kind])
        record_cache_outcome(kind, value is not None)
        return value

    async def set(self, kind: str, key: str, value: bytes) -> None:
        """Cache ``value`` in both layers for the kind's TTL."""
        full = self._key(kind, key)
        ttl = TTL_S[kind]
        self.lru.set(full, value, ttl)
        await self._redis_call(lambda r: r.set(full, value, ex=ttl))

    async def invalidate_all(self) -> None:
        """Forget every cached value in every process (new generation) and in this process's LRU."""
        self.lru.clear()
        generation = await self._redis_call(lambda r: r.incr(f"{self.prefix}generation"))
        self._generation = int(generation) if generation is not None else self._generation + 1
        self._generation_checked_at = self._clock()

    async def _sync_generation(self) -> None:
        if self.redis is None or self._clock() - self._generation_checked_at < self._generation_check_s:
            return
        self._generation_checked_at = self._clock()
        stored = await self._redis_call(lambda r: r.get(f"{self.prefix}generation"))
        if stored is not None and int(stored) != self._generation:
            self._generation = int(stored)
            self.lru.clear()

    async def count_in_window(self, bucket: str, window_s: int, amount: int = 1) -> int | None:
        """Add ``amount`` to the shared counter of ``bucket`` for the current window; None when Redis is unavailable.

        Returns:
            The counter after the addition (fixed window: the key expires with the window).
        """
        key = f"{self.prefix}rl:{bucket}"

        async def incr(r: Redis) -> int:
            async with r.pipeline(transaction=False) as pipe:
                pipe.incrby(key, amount)
                pipe.expire(key, window_s, nx=True)
                count, _ = await pipe.execute()
            return int(count)

        result = await self._redis_call(incr)
        return None if result is None else int(result)

    async def ping(self) -> bool | None:
        """True when Redis answers, False when not, None when no Redis is configured (bypasses the breaker)."""
        if self.redis is None:
            return None
        try:
            await self.redis.ping()
        except _REDIS_ERRORS:
            self.breaker.record_failure()
            return False
        self.breaker.record_success()
        return True

    async def close(self) -> None:
        """Close the Redis connections."""
        if self.redis is not None:
            await self.redis.aclose()
