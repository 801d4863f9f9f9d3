"""SQL of data retention: delete the oldest live events and webhook dedupe records, one small batch at a
time, so no DELETE holds locks or bloats WAL long enough to slow ingestion."""

from __future__ import annotations

from datetime import datetime

import asyncpg


async def delete_events_before(pool: asyncpg.Pool, *, before: datetime, limit: int) -> int:
    """Delete at most `limit` events created before `before`; how many went."""
    status: str = await pool.execute(
        """
        DELETE FROM events WHERE id IN (
            SELECT id FROM events WHERE created_at < $1 ORDER BY created_at LIMIT $2
        )
        """,
        before,
        limit,
    )
    return int(status.rsplit(" ", 1)[1])


async def delete_deliveries_before(pool: asyncpg.Pool, *, before: datetime, limit: int) -> int:
    """Delete at most `limit` webhook dedupe records received before `before`; how many went."""
    status: str = await pool.execute(
        """
        DELETE FROM webhook_deliveries WHERE (session_id, event_id) IN (
            SELECT session_id, event_id FROM webhook_deliveries
            WHERE received_at < $1 ORDER BY received_at LIMIT $2
        )
        """,
        before,
        limit,
    )
    return int(status.rsplit(" ", 1)[1])
