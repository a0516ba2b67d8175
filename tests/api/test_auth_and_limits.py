"""API keys (hashed, scoped, revocable) and rate limits (per IP, per key, heavy; in Redis or in-process)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from mcp_lightning.adapters.store import open_store
from mcp_lightning.adapters.store.store_api import ApiStore
from mcp_lightning.api.security import create_api_key, hash_secret, parse_api_key
from mcp_lightning.errors import InputError
from tests.api.conftest import ALICE, TestClient

NODE = f"/api/v1/lightning/scores/node/{ALICE}"


@pytest.fixture(autouse=True)
def steady_window() -> None:
    """Start each test at least 3 s before a minute boundary, so its requests share one rate-limit window."""
    into_minute_s = time.time() % 60
    if into_minute_s > 57:
        time.sleep(60.05 - into_minute_s)


def test_a_created_key_is_stored_only_as_a_salted_hash(postgres_url: str, tmp_path: Path) -> None:
    """The table holds the key id, scopes, salt and sha256(salt || secret), never the secret."""
    store = open_store(postgres_url, default_dir=tmp_path)
    try:
        plaintext = create_api_key(store, "dashboard", ["read", "admin"])
    finally:
        store.close()
    key_id, secret = parse_api_key(plaintext) or ("", "")
    engine = create_engine(postgres_url)
    try:
        with engine.connect() as conn:
            row = conn.execute(text("SELECT * FROM api_keys")).mappings().one()
    finally:
        engine.dispose()
    assert row["key_id"] == key_id and row["name"] == "dashboard" and row["scopes"] == ["admin", "read"]
    assert row["key_hash"] == hash_secret(row["salt"], secret)
    assert secret not in " ".join(str(v) for v in row.values())


def test_creating_a_key_with_an_unknown_scope_is_refused(postgres_url: str, tmp_path: Path) -> None:
    """Scopes are read and admin only; anything else is an input error naming it."""
    store = open_store(postgres_url, default_dir=tmp_path)
    try:
        with pytest.raises(InputError, match="superuser"):
            create_api_key(store, "x", ["superuser"])
    finally:
        store.close()


def test_a_wrong_or_revoked_key_is_refused_with_401(client: TestClient, new_key: Callable[..., str],
                                                     postgres_url: str, tmp_path: Path) -> None:
    """A tampered secret, a malformed key and a revoked key each get 401 without revealing the secret."""
    key = new_key("read")
    assert client.get(NODE, headers={"X-API-Key": key}).status_code == 200
    assert client.get(NODE, headers={"X-API-Key": key[:-4] + "AAAA"}).status_code == 401
    assert client.get(NODE, headers={"X-API-Key": "hello"}).json()["error"] == "authentication_error"
    other = new_key("read")
    store = open_store(postgres_url, default_dir=tmp_path)
    try:
        ApiStore(store).revoke_api_key((parse_api_key(other) or ("", ""))[0], datetime.now(UTC))
    finally:
        store.close()
    refused = client.get(NODE, headers={"X-API-Key": other})
    assert refused.status_code == 401 and "revoked" in refused.json()["detail"]
    assert other not in refused.text


def test_reads_can_require_a_key(make_client: Callable[..., TestClient], new_key: Callable[..., str]) -> None:
    """With MCPLN_REQUIRE_API_KEY an anonymous read gets 401 and a keyed one 200."""
    client = make_client(require_api_key=True)
    assert client.get(NODE).status_code == 401
    assert client.get(NODE, headers={"X-API-Key": new_key()}).status_code == 200


def test_anonymous_clients_get_429_past_their_limit_with_the_headers(make_client: Callable[..., TestClient]) -> None:
    """With a limit of 3 per minute the fourth anonymous request gets 429, Retry-After and Remaining 0."""
    client = make_client(rate_limit_anonymous_per_min=3)
    first = [client.get(NODE) for _ in range(3)]
    assert [r.headers["X-RateLimit-Remaining"] for r in first] == ["2", "1", "0"]
    refused = client.get(NODE)
    assert refused.status_code == 429 and refused.json()["error"] == "rate_limited"
    assert refused.headers["X-RateLimit-Limit"] == "3" and refused.headers["X-RateLimit-Remaining"] == "0"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60 and refused.headers["X-RateLimit-Reset"]


def test_a_key_has_its_own_larger_budget(make_client: Callable[..., TestClient], new_key: Callable[..., str]) -> None:
    """When the IP's anonymous budget is spent, the same client with a key is still served under the key limit."""
    client = make_client(rate_limit_anonymous_per_min=1, rate_limit_key_per_min=5)
    client.get(NODE)
    assert client.get(NODE).status_code == 429
    keyed = client.get(NODE, headers={"X-API-Key": new_key()})
    assert keyed.status_code == 200 and keyed.headers["X-RateLimit-Limit"] == "5"


def test_heavy_requests_have_a_separate_smaller_limit(make_client: Callable[..., TestClient]) -> None:
    """force_recalculate is limited to the heavy budget while plain reads go on."""
    client = make_client(rate_limit_heavy_per_min=2)
    statuses = [client.get(NODE, params={"force_recalculate": "true"}).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert client.get(NODE).status_code == 200


def test_invalid_keys_spend_the_anonymous_budget_of_the_ip(make_client: Callable[..., TestClient]) -> None:
    """Guessing keys is rate limited: past the IP's budget a bad key gets 429 instead of 401."""
    client = make_client(rate_limit_anonymous_per_min=2)
    bad = {"X-API-Key": "mcpln_0123456789ab_" + "x" * 43}
    assert [client.get(NODE, headers=bad).status_code for _ in range(3)] == [401, 401, 429]


def test_limits_are_shared_by_server_processes_through_redis(make_client: Callable[..., TestClient]) -> None:
    """Two apps on the same Redis prefix count one budget: 2 + 1 requests exhaust a limit of 2."""
    first, second = make_client(rate_limit_anonymous_per_min=2), make_client(rate_limit_anonymous_per_min=2)
    assert [first.get(NODE).status_code, second.get(NODE).status_code] == [200, 200]
    assert first.get(NODE).status_code == 429


def test_limits_are_counted_in_process_without_redis(make_client: Callable[..., TestClient]) -> None:
    """With no Redis configured the limiter counts in the process (two apps do not share a budget)."""
    first, second = (make_client(redis_url=None, rate_limit_anonymous_per_min=1) for _ in range(2))
    assert [first.get(NODE).status_code, second.get(NODE).status_code] == [200, 200]
    assert first.get(NODE).status_code == 429


def test_far_from_the_limit_hits_reach_redis_in_batches_and_all_count(redis_server_url: str,
                                                                     redis_prefix: str) -> None:
    """100 quick hits (50 of them concurrent) under a large limit cost few Redis calls; the next sync adds them all."""
    from mcp_lightning.adapters.cache import TwoLevelCache, connect_redis
    from mcp_lightning.api.circuit import CircuitBreaker
    from mcp_lightning.api.rate_limit import RateLimiter

    async def scenario() -> tuple[int, int]:
        cache = TwoLevelCache(connect_redis(redis_server_url, timeout_s=1), CircuitBreaker("redis"),
                              prefix=redis_prefix)
        limiter = RateLimiter(cache)
        try:
            for _ in range(50):
                await limiter.hit("key", "key:k", 1_000_000)
            await asyncio.gather(*(limiter.hit("key", "key:k", 1_000_000) for _ in range(50)))
            stored = [int(v) for v in [await cache.redis.get(k) for k in await cache.redis.keys(f"{redis_prefix}rl:*")]]
            await asyncio.sleep(0.3)
            last = await limiter.hit("key", "key:k", 1_000_000)
            return stored[0], 1_000_000 - last.remaining
        finally:
            await cache.close()

    assert asyncio.run(scenario()) == (1, 101)
