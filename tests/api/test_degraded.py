"""Degraded modes: Redis or PostgreSQL unreachable from the start, or cut while the server runs.

The shared servers are never stopped: a dependency is taken away by pointing at a closed loopback
port (127.0.0.1:1) or by cutting a loopback TCP proxy in front of the real server.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
import redis
from sqlalchemy import make_url

from mcp_lightning.api.settings import ServeSettings
from tests.api.conftest import ALICE, BOB, CAROL, TestClient
from tests.api.tcp_proxy import TcpProxy

NODE = "/api/v1/lightning/scores/node/"
CLOSED_PORT = 1


@pytest.fixture
def postgres_proxy(postgres_url: str) -> Iterator[TcpProxy]:
    """A proxy in front of the real PostgreSQL, closed after the test."""
    proxy = TcpProxy(make_url(postgres_url).port or 5432)
    try:
        yield proxy
    finally:
        proxy.cut()


@pytest.fixture
def redis_proxy(redis_server_url: str) -> Iterator[TcpProxy]:
    """A proxy in front of the real Redis, closed after the test."""
    proxy = TcpProxy(int(redis.connection.parse_url(redis_server_url).get("port", 6379)))
    try:
        yield proxy
    finally:
        proxy.cut()


def _drop_caches(client: TestClient, settings: ServeSettings) -> None:
    """Forget cached bodies (LRU and this test's Redis keys) so the next read must go to the database."""
    client.app.state.api.cache.lru.clear()  # type: ignore[attr-defined]
    server = redis.Redis.from_url(str(settings.redis_url))
    try:
        keys = list(server.scan_iter(match=f"{settings.redis_key_prefix}c:*"))
        if keys:
            server.delete(*keys)
    finally:
        server.close()


def test_without_redis_scores_are_served_from_the_process_and_health_is_degraded(
        make_client: Callable[..., TestClient]) -> None:
    """Redis on a closed port: health says degraded/redis down; scores are served and cached in the LRU."""
    client = make_client(redis_url=f"redis://127.0.0.1:{CLOSED_PORT}/0")
    health = client.get("/health").json()
    assert health["status"] == "degraded" and health["checks"]["redis"]["status"] == "down"
    assert health["checks"]["database"]["status"] == "up"
    responses = [client.get(NODE + ALICE) for _ in range(2)]
    assert [r.status_code for r in responses] == [200, 200]
    assert [r.headers["X-Cache"] for r in responses] == ["miss", "hit"]
    assert responses[1].headers["X-RateLimit-Remaining"] == "98"


def test_without_postgres_the_api_starts_serves_scores_and_refuses_database_reads_clearly(
        make_client: Callable[..., TestClient]) -> None:
    """PostgreSQL on a closed port: start-up succeeds, scores answer 200, runs answer 503 naming degraded mode."""
    client = make_client(database_url=f"postgresql+psycopg://postgres@127.0.0.1:{CLOSED_PORT}/test")
    health = client.get("/health")
    assert health.status_code == 200 and health.json()["status"] == "degraded"
    assert health.json()["checks"]["database"]["status"] == "down"
    assert client.get(NODE + ALICE).status_code == 200
    assert client.get("/api/v1/lightning/scores/rankings").json()["total"] == 5
    refusals = [client.get("/api/v1/runs", params={"limit": n}) for n in range(1, 8)]
    assert {r.status_code for r in refusals} == {503}
    assert all(r.json()["error"] == "store_error" for r in refusals)
    assert "degraded mode" in refusals[-1].json()["detail"]  # the circuit opened after 5 failures
    assert 'mcpln_circuit_open{dependency="database"} 1.0' in client.get("/metrics").text


def test_cutting_postgres_while_serving_gives_stale_reads_refused_writes_and_recovery(
        make_client: Callable[..., TestClient], api_settings: ServeSettings, postgres_url: str,
        postgres_proxy: TcpProxy, new_key: Callable[..., str]) -> None:
    """Live connections reset: a read served before comes back stale, a new read and a write get 503, then it heals."""
    proxied = make_url(postgres_url).set(port=postgres_proxy.port).render_as_string(hide_password=False)
    client = make_client(database_url=proxied, circuit_open_s=0.5)
    key = {"X-API-Key": new_key("read")}
    assert client.get("/api/v1/runs", headers=key).status_code == 200
    postgres_proxy.cut()
    _drop_caches(client, api_settings)
    stale = client.get("/api/v1/runs", headers=key)
    assert stale.status_code == 200
    assert (stale.headers["X-Cache"], stale.headers["X-Degraded"]) == ("stale", "database")
    assert client.get("/api/v1/runs", params={"limit": 3}, headers=key).status_code == 503
    write = client.post("/api/v1/lightning/scores/batch", json={"pubkeys": [ALICE]}, headers=key)
    assert write.status_code == 503 and "writes are refused" in write.json()["detail"]
    assert client.get(NODE + BOB).status_code == 200
    assert client.get("/health").json()["checks"]["database"]["status"] == "down"
    postgres_proxy.restore()
    time.sleep(0.7)
    healed = [client.get("/api/v1/runs", params={"limit": 3}, headers=key).status_code for _ in range(3)]
    assert healed[-1] == 200
    assert client.get("/health").json()["status"] == "healthy"


def test_cutting_redis_while_serving_keeps_scores_flowing_and_heals(
        make_client: Callable[..., TestClient], redis_proxy: TcpProxy, api_settings: ServeSettings) -> None:
    """Live Redis connections reset: health turns degraded, every score still answers, and Redis comes back."""
    client = make_client(redis_url=f"redis://127.0.0.1:{redis_proxy.port}/13", circuit_open_s=0.5)
    assert client.get(NODE + ALICE).status_code == 200
    redis_proxy.cut()
    statuses = [client.get(NODE + pubkey).status_code for pubkey in (ALICE, BOB, CAROL) * 3]
    assert set(statuses) == {200}
    health = client.get("/health").json()
    assert health["status"] == "degraded" and health["checks"]["redis"]["status"] == "down"
    redis_proxy.restore()
    time.sleep(0.7)
    assert client.get("/health").json()["checks"]["redis"]["status"] == "up"
