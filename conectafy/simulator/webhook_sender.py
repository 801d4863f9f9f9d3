"""Webhook deliveries exactly like WAHA 2026.2.1 (CONTRACT.md §6): envelope, headers, HMAC, retries.

Each target URL has its own FIFO queue and worker, so events reach a receiver in the order they
happened (per chat, and overall) even while an earlier one is being retried.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import random
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
from ulid import ULID

from conectafy.simulator.config import RetryPolicy, SimulatorConfig
from conectafy.waha.signing import (
    HMAC_ALGORITHM_HEADER,
    HMAC_HEADER,
    REQUEST_ID_HEADER,
    TIMESTAMP_HEADER,
    sign_body,
)


@dataclass(frozen=True)
class WebhookTarget:
    """One configured webhook: the global one or an entry of `session.config.webhooks`."""

    url: str
    events: tuple[str, ...]
    hmac_key: str | None
    policy: RetryPolicy
    delay_seconds: float
    attempts: int
    custom_headers: tuple[tuple[str, str], ...] = ()

    def wants(self, event: str) -> bool:
        return "*" in self.events or event in self.events


@dataclass
class Delivery:
    """One attempt to deliver one event, as the delivery log records it."""

    request_id: str
    event_id: str
    event: str
    url: str
    attempt: int
    status_code: int | None
    error: str | None
    at: float = field(default_factory=time.time)

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    def public(self) -> dict[str, Any]:
        return {
            "requestId": self.request_id,
            "eventId": self.event_id,
            "event": self.event,
            "url": self.url,
            "attempt": self.attempt,
            "statusCode": self.status_code,
            "error": self.error,
            "delivered": self.delivered,
            "at": self.at,
        }


_B36 = "0123456789abcdefghijklmnopqrstuvwxyz"


def _base36(number: int) -> str:
    out = ""
    while number:
        number, rest = divmod(number, 36)
        out = _B36[rest] + out
    return out or "0"


class RequestIds:
    """`uniqid`-like ids (e.g. `3b2ozl1vgmx0oqylt`): process prefix + time + counter, base36."""

    def __init__(self) -> None:
        self._prefix = _base36(secrets.randbits(30))
        self._counter = itertools.count()

    def next(self) -> str:
        return self._prefix + _base36(int(time.time() * 1000) * 1000 + next(self._counter) % 1000)


def retry_delay(target: WebhookTarget, retry: int, scale: float) -> float:
    """Seconds before retry number `retry` (1-based): d, d, d / d, 2d, 3d / 2^n*d + 0-20 % jitter."""
    base = target.delay_seconds * scale
    if target.policy is RetryPolicy.LINEAR:
        return base * retry
    if target.policy is RetryPolicy.EXPONENTIAL:
        return base * float(2**retry) * (1 + random.uniform(0, 0.2))
    return base


def environment(config: SimulatorConfig) -> dict[str, Any]:
    """The `environment` block of every envelope, same as `GET /api/version`."""
    return {
        "version": config.version,
        "engine": config.engine,
        "tier": "CORE",
        "browser": None,
        "platform": "linux/x64",
        "worker": {"id": None},
    }


def build_envelope(
    config: SimulatorConfig,
    event: str,
    payload: dict[str, Any],
    *,
    session: str,
    me: dict[str, Any] | None,
    metadata: dict[str, Any] | None,
) -> dict[str, Any]:
    """The 2026 envelope in WAHA's key order; `metadata` is omitted when the session has none."""
    envelope: dict[str, Any] = {
        "id": "evt_" + str(ULID()).lower(),
        "timestamp": int(time.time() * 1000),
        "event": event,
        "session": session,
    }
    if metadata:
        envelope["metadata"] = metadata
    envelope.update(me=me, payload=payload, engine=config.engine, environment=environment(config))
    return envelope


@dataclass(frozen=True)
class _Job:
    target: WebhookTarget
    envelope: dict[str, Any]
    body: bytes
    request_id: str


class WebhookSender:
    """Queues envelopes per target URL and delivers them in order with WAHA's retry rules."""

    def __init__(self, config: SimulatorConfig) -> None:
        self._config = config
        self._ids = RequestIds()
        self._queues: dict[str, asyncio.Queue[_Job]] = {}
        self._workers: dict[str, asyncio.Task[None]] = {}
        self._client = httpx.AsyncClient(timeout=config.webhook_timeout_seconds, trust_env=False)
        self.log: list[Delivery] = []
        self.sent: list[dict[str, Any]] = []

    def send(self, targets: list[WebhookTarget], envelope: dict[str, Any]) -> None:
        """Queue one envelope for every target that subscribed to its event."""
        body = json.dumps(envelope, separators=(",", ":"), ensure_ascii=False).encode()
        wanted = [target for target in targets if target.wants(envelope["event"])]
        if wanted:
            self.sent.append(envelope)
        for target in wanted:
            self._queue(target.url).put_nowait(_Job(target, envelope, body, self._ids.next()))

    def _queue(self, url: str) -> asyncio.Queue[_Job]:
        if url not in self._queues:
            self._queues[url] = asyncio.Queue()
            self._workers[url] = asyncio.get_running_loop().create_task(self._work(url))
        return self._queues[url]

    async def _work(self, url: str) -> None:
        queue = self._queues[url]
        while True:
            job = await queue.get()
            try:
                await self._deliver(job)
            finally:
                queue.task_done()

    async def _deliver(self, job: _Job) -> None:
        for attempt in range(job.target.attempts + 1):
            if attempt:
                await asyncio.sleep(retry_delay(job.target, attempt, self._config.retry_delay_scale))
            if await self._attempt(job, attempt):
                return

    async def _attempt(self, job: _Job, attempt: int) -> bool:
        status: int | None = None
        error: str | None = None
        try:
            response = await self._client.post(job.target.url, content=job.body, headers=self._headers(job))
            status = response.status_code
        except (httpx.HTTPError, httpx.InvalidURL) as exc:  # any failure is retried, never fatal
            error = f"{type(exc).__name__}: {exc}"
        record = Delivery(
            job.request_id, job.envelope["id"], job.envelope["event"], job.target.url, attempt, status, error
        )
        self.log.append(record)
        return record.delivered

    def _headers(self, job: _Job) -> list[tuple[str, str]]:
        headers = [
            ("Accept", "application/json, text/plain, */*"),
            ("Content-Type", "application/json"),
            ("User-Agent", f"WAHA/{self._config.version}"),
            *job.target.custom_headers,
            (REQUEST_ID_HEADER, job.request_id),
            (TIMESTAMP_HEADER, str(job.envelope["timestamp"])),
        ]
        if job.target.hmac_key:
            headers += [
                (HMAC_HEADER, sign_body(job.body, job.target.hmac_key)),
                (HMAC_ALGORITHM_HEADER, "sha512"),
            ]
        headers.append(("Accept-Encoding", "gzip, compress, deflate, br"))
        return headers

    async def join(self) -> None:
        """Wait until every queued delivery has succeeded or used up its retries."""
        for queue in list(self._queues.values()):
            await queue.join()

    async def aclose(self) -> None:
        for worker in self._workers.values():
            worker.cancel()
        for worker in self._workers.values():
            with contextlib.suppress(asyncio.CancelledError):
                await worker
        await self._client.aclose()
