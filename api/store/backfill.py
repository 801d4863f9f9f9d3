"""SQL backfill needs: where each chat's stored history ends (the rows themselves go in through the
webhooks' own statement, `store.deliveries`, so both paths apply the same message-id rule)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg


@dataclass(frozen=True, slots=True)
class BackfillSession:
    id: UUID
    session_name: str
    phone_number: str | None


async def get_session_by_name(pool: asyncpg.Pool, *, session_name: str) -> BackfillSession | None:
    row = await pool.fetchrow(
        "SELECT id, session_name, phone_number FROM whatsapp_sessions WHERE session_name = $1", session_name
    )
    return None if row is None else BackfillSession(**dict(row))


async def last_message_times(pool: asyncpg.Pool, *, session_id: UUID) -> dict[str, datetime]:
    """Newest stored message time per chat of the session (one index-only range per chat)."""
    rows = await pool.fetch(
        """
        SELECT chat_id, max("timestamp") AS at FROM messages
        WHERE session_id = $1 AND message_id NOT LIKE 'pending:%'
        GROUP BY chat_id
        """,
        session_id,
    )
    return {row["chat_id"]: row["at"] for row in rows}
