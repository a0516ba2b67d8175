"""What one API process holds: settings, the snapshot, the store, the cache, limits, keys, tasks.

Built in the app's lifespan (``build_state``) and reached by the routes through
``dependencies.get_state``; nothing here is created at import time.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mcp_lightning.adapters.cache import LruCache, TwoLevelCache, connect_redis
from mcp_lightning.adapters.store.store import PoolOptions
from mcp_lightning.adapters.store.store_api import ApiKeyRecord
from mcp_lightning.api.circuit import CircuitBreaker
from mcp_lightning.api.database import Database
from mcp_lightning.api.rate_limit import RateLimiter
from mcp_lightning.api.security import KeyVerifier
from mcp_lightning.api.settings import ServeSettings
from mcp_lightning.api.snapshot import SnapshotHolder

STALE_ENTRIES = 2048
STALE_TTL_S = 7 * 86_400.0
"""How long the last good answer of a database read is kept for degraded mode, s."""


@dataclass
class AppState:
    """Everything the routes of one process share.

    Attributes:
        settings: the process settings.
        snapshots: the scored graph snapshot being served.
        db: the store behind its circuit breaker.
        cache: LRU + Redis.
        limiter: rate limits.
        verifier: API key verification.
        redis_breaker: the Redis circuit breaker (also held by the cache).
        stale: the last good body of each database-backed answer (served when the database is down).
        started_at: monotonic start time, s.
        seen_recalculations: recalculate jobs this process has already applied.
        tasks: background tasks to cancel at shutdown.
    """

    settings: ServeSettings
    snapshots: SnapshotHolder
    db: Database
    cache: TwoLevelCache
    limiter: RateLimiter
    verifier: KeyVerifier
    redis_breaker: CircuitBreaker
    stale: LruCache = field(default_factory=lambda: LruCache(STALE_ENTRIES))
    started_at: float = field(default_factory=time.monotonic)
    seen_recalculations: set[str] = field(default_factory=set)
    tasks: set[asyncio.Task[object]] = field(default_factory=set)

    def spawn(self, coroutine: Coroutine[Any, Any, object]) -> None:
        """Run a coroutine as a task kept until it ends (or until shutdown cancels it)."""
        task = asyncio.ensure_future(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)


def build_state(settings: ServeSettings, graph_path: Path) -> AppState:
    """Wire the adapters from the settings (opens no connection yet).

    Args:
        settings: the process settings.
        graph_path: the graph file to serve.
    """
    db_breaker = CircuitBreaker("database", settings.circuit_failures, settings.circuit_open_s)
    redis_breaker = CircuitBreaker("redis", settings.circuit_failures, settings.circuit_open_s)
    pool = PoolOptions(size=settings.db_pool_size, max_overflow=settings.db_max_overflow,
                       timeout_s=settings.db_pool_timeout_s, connect_timeout_s=settings.db_connect_timeout_s)
    db = Database(settings.database_url, default_dir=settings.home, pool=pool, breaker=db_breaker)
    redis = connect_redis(settings.redis_url, timeout_s=settings.redis_timeout_s) if settings.redis_url else None
    cache = TwoLevelCache(redis, redis_breaker, prefix=settings.redis_key_prefix, lru_size=settings.lru_size)

    async def lookup(key_id: str) -> ApiKeyRecord | None:
        return await db.read("reading an API key", lambda store, api: api.find_api_key(key_id))

    return AppState(
        settings=settings,
        snapshots=SnapshotHolder(graph_path, cache_dir=settings.cache_dir, method=settings.topology_method),
        db=db, cache=cache, limiter=RateLimiter(cache), verifier=KeyVerifier(lookup),
        redis_breaker=redis_breaker,
    )
