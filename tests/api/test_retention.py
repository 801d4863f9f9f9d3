"""Retention: old live events and webhook dedupe records are deleted in batches; recent ones and user
data stay. Real PostgreSQL; times are fixed, so nothing depends on the clock."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from conectafy.api.services.retention import Purged, purge_expired, run_retention
from conectafy.settings import ApiSettings
from tests.api.dataplane import MemoryDirectory, make_session, make_user_id

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


@pytest.fixture
def settings(api_settings: ApiSettings) -> ApiSettings:
    return api_settings.model_copy(
        update={
            "events_retention": timedelta(days=7),
            "deliveries_retention": timedelta(days=2),
            "retention_batch_size": 2,
        }
    )


async def _event(pool: asyncpg.Pool, user_id: uuid.UUID, age: timedelta) -> int:
    event_id: int = await pool.fetchval(
        "INSERT INTO events (user_id, type, created_at) VALUES ($1, 'message', $2) RETURNING id",
        user_id,
        NOW - age,
    )
    return event_id


async def _delivery(pool: asyncpg.Pool, session_id: uuid.UUID, age: timedelta) -> str:
    event_id = f"evt_{uuid.uuid4().hex}"
    await pool.execute(
        "INSERT INTO webhook_deliveries (session_id, event_id, received_at) VALUES ($1, $2, $3)",
        session_id,
        event_id,
        NOW - age,
    )
    return event_id


async def _seed(pool: asyncpg.Pool) -> tuple[list[int], list[str]]:
    """5 expired + 2 recent events, 3 expired + 1 recent delivery; returns the recent ones."""
    user_id = await make_user_id(pool)
    session = await make_session(pool, MemoryDirectory(), user_id=user_id)
    for days in (8, 9, 10, 30, 365):
        await _event(pool, user_id, timedelta(days=days))
    recent_events = [await _event(pool, user_id, age) for age in (timedelta(days=6), timedelta(minutes=1))]
    for days in (3, 4, 5):
        await _delivery(pool, session.id, timedelta(days=days))
    recent_deliveries = [await _delivery(pool, session.id, timedelta(days=1))]
    return recent_events, recent_deliveries


async def _left(pool: asyncpg.Pool) -> tuple[list[int], list[str]]:
    events = [r["id"] for r in await pool.fetch("SELECT id FROM events ORDER BY id")]
    deliveries = [r["event_id"] for r in await pool.fetch("SELECT event_id FROM webhook_deliveries")]
    return events, deliveries


async def test_expired_rows_are_deleted_in_batches_and_recent_ones_kept(
    db_pool: asyncpg.Pool, settings: ApiSettings
) -> None:
    recent = await _seed(db_pool)
    purged = await purge_expired(db_pool, settings, now=NOW)
    assert (purged, await _left(db_pool)) == (Purged(events=5, deliveries=3), recent)


async def test_a_second_pass_deletes_nothing(db_pool: asyncpg.Pool, settings: ApiSettings) -> None:
    await _seed(db_pool)
    await purge_expired(db_pool, settings, now=NOW)
    assert await purge_expired(db_pool, settings, now=NOW) == Purged(events=0, deliveries=0)


async def test_messages_and_contacts_are_never_deleted(db_pool: asyncpg.Pool, settings: ApiSettings) -> None:
    user_id = await make_user_id(db_pool)
    session = await make_session(db_pool, MemoryDirectory(), user_id=user_id)
    await db_pool.execute(
        """
        INSERT INTO messages (session_id, chat_id, message_id, from_me, type, "timestamp", created_at)
        VALUES ($1, '15550002222@c.us', 'false_old', false, 'text', $2, $2)
        """,
        session.id,
        NOW - timedelta(days=3650),
    )
    await purge_expired(db_pool, settings, now=NOW)
    assert await db_pool.fetchval("SELECT count(*) FROM messages") == 1


async def test_the_loop_purges_relative_to_now_on_each_pass(
    db_pool: asyncpg.Pool, settings: ApiSettings
) -> None:
    """The app's task runs this loop: a pass at start-up, then one every `retention_interval`."""
    user_id = await make_user_id(db_pool)
    await db_pool.execute(
        "INSERT INTO events (user_id, type, created_at) VALUES ($1, 'qr', now() - interval '30 days')",
        user_id,
    )
    kept = await db_pool.fetchval(
        "INSERT INTO events (user_id, type) VALUES ($1, 'qr') RETURNING id", user_id
    )
    passes: asyncio.Queue[Purged] = asyncio.Queue()
    loop = asyncio.create_task(
        run_retention(db_pool, settings, timedelta(hours=1), on_pass=passes.put_nowait)
    )
    try:
        async with asyncio.timeout(10):
            first = await passes.get()
    finally:
        loop.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await loop
    assert (first, (await _left(db_pool))[0]) == (Purged(events=1, deliveries=0), [kept])


async def test_old_session_tombstones_are_purged_and_recent_ones_kept(
    db_pool: asyncpg.Pool, api_settings: ApiSettings
) -> None:
    """A tombstone outlives late watch events (as long as dedupe records), then goes."""
    old, recent = NOW - api_settings.deliveries_retention - timedelta(hours=1), NOW - timedelta(minutes=1)
    for uid, deleted_at in (("old-uid", old), ("recent-uid", recent)):
        await db_pool.execute(
            "INSERT INTO session_tombstones (uid, namespace, session_name, deleted_at)"
            " VALUES ($1, 'conectafy', 'x', $2)",
            uid,
            deleted_at,
        )
    purged = await purge_expired(db_pool, api_settings, now=NOW)
    left = [row["uid"] for row in await db_pool.fetch("SELECT uid FROM session_tombstones")]
    assert (purged.tombstones, left) == (1, ["recent-uid"])
