"""SQL for `webhook_deliveries`: the envelope-id dedupe that makes WAHA's retries harmless."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import asyncpg


@dataclass(frozen=True, slots=True)
class WebhookSession:
    """The session a delivery is for, and whether this envelope is seen for the first time."""

    id: UUID
    user_id: UUID
    session_name: str
    first_delivery: bool


async def begin_delivery(
    conn: asyncpg.Connection, *, session_name: str, event_id: str | None
) -> WebhookSession | None:
    """Find the session and record the envelope id in one round trip; None for an unknown session.

    Inside the ingesting transaction a concurrent copy of the same envelope waits on the primary key,
    then sees the first one's row (first_delivery False), so exactly one of them proceeds. Envelopes
    without an id (WAHA 2024.10.8) are always "first": the message id still dedupes them.
    """
    row = await conn.fetchrow(
        """
        WITH s AS (SELECT id, user_id, session_name FROM whatsapp_sessions WHERE session_name = $1),
        d AS (
            INSERT INTO webhook_deliveries (session_id, event_id)
            SELECT id, $2 FROM s WHERE $2::text IS NOT NULL
            ON CONFLICT (session_id, event_id) DO NOTHING
            RETURNING session_id
        )
        SELECT s.id, s.user_id, s.session_name,
               ($2::text IS NULL OR EXISTS (SELECT 1 FROM d)) AS first_delivery
        FROM s
        """,
        session_name, event_id,
    )  # fmt: skip
    return None if row is None else WebhookSession(**dict(row))
