"""The client-side token bucket, on a fake clock."""

from __future__ import annotations

import pytest

from mcp_lightning.adapters.lnd.rate_limit import TokenBucket


class FakeClock:
    """A monotonic clock that only moves when something sleeps."""

    def __init__(self) -> None:
        self.now_s = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now_s

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now_s += seconds


def test_a_full_bucket_lets_a_burst_through_without_waiting() -> None:
    """The first ``burst`` requests pass at once."""
    clock = FakeClock()
    bucket = TokenBucket(60, burst=5, clock=clock, sleep=clock.sleep)
    assert [bucket.acquire() for _ in range(5)] == [0.0] * 5
    assert clock.sleeps == []


def test_after_the_burst_requests_are_spaced_at_the_rate() -> None:
    """At 100 requests/min an empty bucket spaces requests 0.6 s apart."""
    clock = FakeClock()
    bucket = TokenBucket(100, burst=1, clock=clock, sleep=clock.sleep)
    waits = [bucket.acquire() for _ in range(4)]
    assert waits[0] == 0.0
    assert waits[1:] == pytest.approx([0.6, 0.6, 0.6])
    assert clock.now_s == pytest.approx(1.8)


def test_idle_time_refills_the_bucket_up_to_the_burst() -> None:
    """A minute of idleness refills the bucket, but never beyond ``burst`` tokens."""
    clock = FakeClock()
    bucket = TokenBucket(60, burst=3, clock=clock, sleep=clock.sleep)
    for _ in range(3):
        bucket.acquire()
    clock.now_s += 60
    assert [bucket.acquire() for _ in range(3)] == [0.0] * 3
    assert bucket.acquire() == pytest.approx(1.0)


@pytest.mark.parametrize(("rate", "burst"), [(0, 1), (-5, 1), (100, 0)])
def test_a_bucket_without_rate_or_room_is_refused(rate: float, burst: int) -> None:
    """A rate <= 0 or a burst < 1 raises ValueError naming both values."""
    with pytest.raises(ValueError, match="requests_per_minute > 0 and burst >= 1"):
        TokenBucket(rate, burst=burst)
