"""The API's small rules without any server: circuit breaker, LRU, redaction, keys, rate-limit windows."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from mcp_lightning.adapters.cache import LruCache, TwoLevelCache, decode_json, encode_json
from mcp_lightning.api.circuit import CircuitBreaker
from mcp_lightning.api.rate_limit import RateLimiter
from mcp_lightning.api.security import hash_secret, key_from_headers, new_api_key, parse_api_key
from mcp_lightning.errors import InputError
from mcp_lightning.logging_setup import redact, redact_text


class Clock:
    """A settable clock, s."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_the_circuit_opens_after_five_failures_and_tries_once_after_thirty_seconds() -> None:
    """Closed for 4 failures, open at the 5th, one trial call allowed at 30 s, closed again on success."""
    clock = Clock()
    breaker = CircuitBreaker("test", clock=clock)
    for _ in range(4):
        breaker.record_failure()
    assert breaker.state == "closed" and breaker.allow()
    breaker.record_failure()
    assert breaker.state == "open" and not breaker.allow()
    clock.now += 29.9
    assert not breaker.allow() and breaker.seconds_until_retry() == pytest.approx(0.1)
    clock.now += 0.2
    assert breaker.allow() and not breaker.allow()  # one trial at a time
    breaker.record_success()
    assert breaker.state == "closed" and breaker.allow()


def test_a_failed_trial_reopens_the_circuit_at_once() -> None:
    """In half-open state one failure is enough to open the circuit for another 30 s."""
    clock = Clock()
    breaker = CircuitBreaker("test", failures_to_open=1, clock=clock)
    breaker.record_failure()
    clock.now += 31
    assert breaker.allow()
    breaker.record_failure()
    assert breaker.state == "open" and breaker.seconds_until_retry() == pytest.approx(30)


def test_the_lru_expires_entries_and_evicts_the_least_recently_used() -> None:
    """An entry past its TTL is gone; at capacity the entry not read for longest goes first."""
    clock = Clock()
    lru = LruCache(2, clock)
    lru.set("a", b"1", 10)
    lru.set("b", b"2", 100)
    assert lru.get("a") == b"1"
    lru.set("c", b"3", 100)  # evicts b, read less recently than a
    assert (lru.get("b"), lru.get("a")) == (None, b"1")
    clock.now += 11
    assert lru.get("a") is None and lru.get("c") == b"3"


def test_cached_json_carries_datetimes_as_iso_text() -> None:
    """Values with datetimes encode without a TypeError (the old crash) and come back as ISO text."""
    moment = datetime(2025, 10, 26, 3, 59, 17, tzinfo=UTC)
    assert decode_json(encode_json({"at": moment, "n": 1})) == {"at": "2025-10-26T03:59:17Z", "n": 1}


def test_without_redis_the_cache_is_the_lru_and_invalidation_empties_it() -> None:
    """No Redis: set then get hits the LRU; invalidate_all forgets it."""

    async def scenario() -> tuple[bytes | None, bytes | None]:
        cache = TwoLevelCache(None, CircuitBreaker("redis"))
        await cache.set("scores", "k", b"v")
        before = await cache.get("scores", "k")
        await cache.invalidate_all()
        return before, await cache.get("scores", "k")

    assert asyncio.run(scenario()) == (b"v", None)


def test_in_process_rate_limits_reset_with_the_minute() -> None:
    """Without Redis, the third request of a limit of 2 is exceeded; the next minute starts again."""
    clock = Clock(now=6_000.0)
    limiter = RateLimiter(TwoLevelCache(None, CircuitBreaker("redis")), clock=clock)

    async def hits(n: int) -> list[bool]:
        return [(await limiter.hit("anonymous", "ip:1", 2)).exceeded for _ in range(n)]

    assert asyncio.run(hits(3)) == [False, False, True]
    clock.now += 60
    assert asyncio.run(hits(1)) == [False]


def test_keys_parse_hash_and_refuse_unknown_scopes() -> None:
    """A new key parses back to its id and secret, hashes to its record, and scopes are checked."""
    record, plaintext = new_api_key("ops", ["admin", "read"], now=datetime.now(UTC))
    key_id, secret = parse_api_key(plaintext) or ("", "")
    assert key_id == record.key_id and hash_secret(record.salt, secret) == record.key_hash
    assert record.scopes == ("admin", "read") and secret not in repr(record)
    assert parse_api_key("mcpln_zz_short") is None
    with pytest.raises(InputError):
        new_api_key("ops", ["write"], now=datetime.now(UTC))
    assert key_from_headers(None, f"Bearer {plaintext}") == plaintext


def test_redaction_masks_keys_passwords_and_tokens_everywhere() -> None:
    """Secret-named fields, API keys in text, URL passwords and bearer tokens are masked; ids stay."""
    key = "mcpln_0123456789ab_" + "s" * 43
    assert redact_text(f"got {key} from postgresql://u:pw123@h/db, Bearer abc.def") == (
        "got mcpln_0123456789ab_*** from postgresql://u:***@h/db, Bearer ***")
    assert redact({"password": "x", "nested": [{"api_key": "y"}, key], "node": "ok"}) == {
        "password": "***", "nested": [{"api_key": "***"}, "mcpln_0123456789ab_***"], "node": "ok"}
