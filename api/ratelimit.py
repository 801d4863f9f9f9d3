"""In-process token buckets for login attempts, keyed by (client IP, email).

Per API replica: with N replicas an attacker gets at most N times the budget. That bounds online password
guessing well enough for a self-hosted product; a shared limiter (Redis, Postgres) would remove the factor.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class _Bucket:
    tokens: float
    updated: float


class TokenBucketLimiter:
    """`capacity` attempts per key, refilled continuously over `window` seconds."""

    def __init__(
        self,
        *,
        capacity: int,
        window: float,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 100_000,
    ) -> None:
        self._capacity = float(capacity)
        self._rate = capacity / window
        self._clock = clock
        self._max_keys = max_keys
        self._buckets: dict[tuple[str, ...], _Bucket] = {}

    def acquire(self, key: tuple[str, ...]) -> float:
        """Take one token: returns 0 when allowed, else the seconds until the next attempt is allowed."""
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            self._evict_full(now)
            bucket = self._buckets[key] = _Bucket(self._capacity, now)
        bucket.tokens = min(self._capacity, bucket.tokens + (now - bucket.updated) * self._rate)
        bucket.updated = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return (1 - bucket.tokens) / self._rate

    def _evict_full(self, now: float) -> None:
        """Forget buckets that have refilled completely, so memory stays bounded under many keys."""
        if len(self._buckets) < self._max_keys:
            return
        full_after = self._capacity / self._rate
        for key in [k for k, b in self._buckets.items() if now - b.updated >= full_after]:
            del self._buckets[key]
        if len(self._buckets) >= self._max_keys:
            self._buckets.pop(next(iter(self._buckets)))
