"""Data retention: old live events and webhook dedupe records are deleted periodically, in small batches.

Events only serve SSE replays (`Last-Event-ID`) and dedupe records only catch WAHA's retries, so both are
useless after a while; messages and contacts are user data and are never deleted here.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from conectafy.api import metrics
from conectafy.api.background import running
from conectafy.api.leadership import leadership_of
from conectafy.api.store import retention as retention_store
from conectafy.api.store import session_projection as projection_store
from conectafy.logs import get_logger
from conectafy.settings import ApiSettings

log = get_logger(__name__)

DeleteBatch = Callable[..., Awaitable[int]]


@dataclass(frozen=True, slots=True)
class Purged:
    events: int
    deliveries: int
    tombstones: int = 0  # deleted sessions' uids, kept as long as dedupe records (late watch events)


async def _purge(pool: asyncpg.Pool, delete: DeleteBatch, *, before: datetime, batch_size: int) -> int:
    """Delete batch after batch until a batch comes back short; yields to other tasks in between."""
    total = 0
    while True:
        deleted = await delete(pool, before=before, limit=batch_size)
        total += deleted
        if deleted < batch_size:
            return total
        await asyncio.sleep(0)


async def purge_expired(pool: asyncpg.Pool, settings: ApiSettings, *, now: datetime | None = None) -> Purged:
    """One retention pass: events older than events_retention, deliveries older than deliveries_retention."""
    now = now or datetime.now(UTC)
    size = settings.retention_batch_size
    events = await _purge(
        pool, retention_store.delete_events_before, before=now - settings.events_retention, batch_size=size
    )
    deliveries = await _purge(
        pool,
        retention_store.delete_deliveries_before,
        before=now - settings.deliveries_retention,
        batch_size=size,
    )
    tombstones = await _purge(
        pool,
        projection_store.delete_tombstones_before,
        before=now - settings.deliveries_retention,
        batch_size=size,
    )
    metrics.RETENTION_DELETED.labels("events").inc(events)
    metrics.RETENTION_DELETED.labels("webhook_deliveries").inc(deliveries)
    metrics.RETENTION_DELETED.labels("session_tombstones").inc(tombstones)
    return Purged(events=events, deliveries=deliveries, tombstones=tombstones)


async def run_retention(
    pool: asyncpg.Pool,
    settings: ApiSettings,
    interval: timedelta,
    *,
    on_pass: Callable[[Purged], None] | None = None,
) -> None:
    """Forever: a pass, then wait `interval`; a database outage is logged and the next pass retries.
    `on_pass` sees each finished pass (how a test knows one happened without polling)."""
    while True:
        try:
            purged = await purge_expired(pool, settings)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
            log.warning("retention pass failed", error=str(error))
        else:
            if purged.events or purged.deliveries:
                log.info("retention", events=purged.events, webhook_deliveries=purged.deliveries)
            if on_pass is not None:
                on_pass(purged)
        await asyncio.sleep(interval.total_seconds())


@contextlib.asynccontextmanager
async def retention(app: Any) -> AsyncIterator[None]:
    """App background task: the retention loop, every `retention_interval`, on the leader only."""
    settings: ApiSettings = app.state.settings
    leadership = leadership_of(app)
    loop = leadership.run_while_leader(
        lambda: run_retention(app.state.pool, settings, settings.retention_interval)
    )
    async with running(loop, name="conectafy-retention"):
        yield
