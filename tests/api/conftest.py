"""Fixtures of the API tests: the real Redis and PostgreSQL on loopback, apps and their clients.

* ``redis_server_url``: Redis at ``MCPLN_TEST_REDIS_URL`` (default ``redis://127.0.0.1:6379/13``, a DB
  number of its own). Unreachable: the test FAILS when CI=true, and is skipped with the reason
  otherwise (as the PostgreSQL fixtures of ``tests/conftest.py`` do).
* ``redis_prefix``: a fresh key prefix per test; every key under it is deleted after the test.
* ``api_settings``: settings on the test's PostgreSQL schema and Redis prefix, the small fixture
  graph, caches in ``tmp_path``.
* ``make_client(**overrides)``: a started app (lifespan run) and its httpx-based test client.
"""

from __future__ import annotations

import os
import secrets
import warnings
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
import redis
from starlette.exceptions import StarletteDeprecationWarning

from mcp_lightning.api.app import create_app
from mcp_lightning.api.settings import ServeSettings

with warnings.catch_warnings():  # starlette's TestClient import warns about httpx; the client is httpx all the same
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

REDIS_URL = os.environ.get("MCPLN_TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
FIXTURES = Path(__file__).parents[1] / "fixtures"
SMALL_GRAPH = FIXTURES / "graph" / "describegraph_small.json"
ALICE, BOB, CAROL, DAVE, ERIN = ("02" + "a" * 64, "02" + "b" * 64, "03" + "c" * 64, "02" + "d" * 64,
                                 "03" + "e" * 64)
ClientFactory = Callable[..., TestClient]


def _running_in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


@pytest.fixture(scope="session")
def redis_server_url() -> str:
    """The test Redis URL, after checking that the server answers."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        reason = f"Redis at {REDIS_URL} is unreachable ({exc})"
        if _running_in_ci():
            pytest.fail(f"{reason}; CI=true requires it", pytrace=False)
        pytest.skip(f"{reason}; start it or run with CI=true to make this a failure")
    finally:
        client.close()
    return REDIS_URL


def redis_keys(url: str, prefix: str) -> list[str]:
    """Every key under ``prefix`` in the test Redis DB."""
    client = redis.Redis.from_url(url)
    try:
        return sorted(k.decode() for k in client.scan_iter(match=f"{prefix}*", count=1000))
    finally:
        client.close()


@pytest.fixture
def redis_prefix(redis_server_url: str) -> Iterator[str]:
    """A key prefix of this test alone; its keys are deleted afterwards."""
    prefix = f"mcpln_test_{secrets.token_hex(4)}:"
    try:
        yield prefix
    finally:
        client = redis.Redis.from_url(redis_server_url)
        try:
            keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
            if keys:
                client.delete(*keys)
        finally:
            client.close()


@pytest.fixture
def api_settings(postgres_url: str, redis_server_url: str, redis_prefix: str, tmp_path: Path) -> ServeSettings:
    """Settings on the real PostgreSQL (this test's schema) and Redis (this test's prefix)."""
    return ServeSettings(database_url=postgres_url, redis_url=redis_server_url, redis_key_prefix=redis_prefix,
                         home=tmp_path, cache_dir=tmp_path / "cache", graph_path=SMALL_GRAPH, poll_interval_s=0.2,
                         log_json=True)


@pytest.fixture
def make_client(api_settings: ServeSettings) -> Iterator[ClientFactory]:
    """``make_client(**setting_overrides)``: a started app on ``api_settings`` (stopped after the test)."""
    with ExitStack() as stack:

        def build(**overrides: Any) -> TestClient:
            settings = api_settings.model_copy(update=overrides)
            client = TestClient(create_app(settings), raise_server_exceptions=False)
            return stack.enter_context(client)

        yield build


@pytest.fixture
def client(make_client: ClientFactory) -> TestClient:
    """The app on PostgreSQL and Redis with the default settings."""
    return make_client()


@pytest.fixture
def new_key(postgres_url: str, tmp_path: Path) -> Callable[..., str]:
    """``new_key(*scopes, name=...)``: create an API key in the test's PostgreSQL schema, return its plaintext."""
    from mcp_lightning.adapters.store import open_store
    from mcp_lightning.api.security import create_api_key

    def create(*scopes: str, name: str = "tests") -> str:
        store = open_store(postgres_url, default_dir=tmp_path)
        try:
            return create_api_key(store, name, list(scopes) or ["read"])
        finally:
            store.close()

    return create
