"""The login limiter's token bucket, on a hand-driven clock."""

from __future__ import annotations

from conectafy.api.ratelimit import TokenBucketLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_allows_capacity_then_says_how_long_to_wait() -> None:
    limiter = TokenBucketLimiter(capacity=3, window=30, clock=Clock())
    assert [limiter.acquire(("ip", "a")) for _ in range(4)] == [0.0, 0.0, 0.0, 10.0]


def test_refills_over_the_window() -> None:
    clock = Clock()
    limiter = TokenBucketLimiter(capacity=3, window=30, clock=clock)
    for _ in range(3):
        limiter.acquire(("ip", "a"))
    clock.now = 10.0
    assert [limiter.acquire(("ip", "a")), limiter.acquire(("ip", "a"))] == [0.0, 10.0]


def test_keys_are_independent() -> None:
    limiter = TokenBucketLimiter(capacity=1, window=60, clock=Clock())
    assert [limiter.acquire(("ip", "a")), limiter.acquire(("ip", "b")), limiter.acquire(("ip", "a"))] == [
        0.0,
        0.0,
        60.0,
    ]


def test_memory_stays_bounded_under_many_keys() -> None:
    limiter = TokenBucketLimiter(capacity=1, window=60, clock=Clock(), max_keys=10)
    for n in range(100):
        limiter.acquire(("ip", str(n)))
    assert len(limiter._buckets) <= 10
