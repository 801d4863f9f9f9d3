"""SQL for media copies: what still needs copying, where a copy went, what a media request serves."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import asyncpg


@dataclass(frozen=True, slots=True)
class MediaRef:
    """Where one message's media lives: WAHA's URL (always kept) and our copy's key (once copied)."""

    id: int
    session_id: UUID
    session_name: str
    media_url: str | None
    media_mimetype: str | None
    media_filename: str | None
    media_storage_key: str | None


_SELECT = """
    SELECT m.id, m.session_id, s.session_name, m.media_url, m.media_mimetype, m.media_filename,
           m.media_storage_key
    FROM messages m JOIN whatsapp_sessions s ON s.id = m.session_id
"""


async def get_media(conn: asyncpg.Pool | asyncpg.Connection, *, message_row_id: int) -> MediaRef | None:
    row = await conn.fetchrow(f"{_SELECT} WHERE m.id = $1", message_row_id)
    return None if row is None else MediaRef(**dict(row))


async def get_session_media(
    conn: asyncpg.Pool | asyncpg.Connection, *, session_id: UUID, message_row_id: int
) -> MediaRef | None:
    """A message's media, only when the message belongs to `session_id` (the caller owns that)."""
    row = await conn.fetchrow(f"{_SELECT} WHERE m.id = $1 AND m.session_id = $2", message_row_id, session_id)
    return None if row is None else MediaRef(**dict(row))


async def pending_media(
    conn: asyncpg.Pool | asyncpg.Connection, *, max_attempts: int, older_than_seconds: float, limit: int
) -> list[MediaRef]:
    """Media not copied yet (oldest first) that a copy right after ingestion should have handled."""
    rows = await conn.fetch(
        f"""{_SELECT}
        WHERE m.media_url IS NOT NULL AND m.media_storage_key IS NULL AND m.media_copy_attempts < $1
          AND m.created_at < now() - make_interval(secs => $2)
        ORDER BY m.id LIMIT $3
        """,
        max_attempts,
        older_than_seconds,
        limit,
    )
    return [MediaRef(**dict(row)) for row in rows]


async def set_storage_key(conn: asyncpg.Pool | asyncpg.Connection, *, message_row_id: int, key: str) -> bool:
    """Record the copy; False when another copier recorded one first (the first key is kept)."""
    status: str = await conn.execute(
        "UPDATE messages SET media_storage_key = $2 WHERE id = $1 AND media_storage_key IS NULL",
        message_row_id,
        key,
    )
    return status.endswith(" 1")


async def count_failed_copy(conn: asyncpg.Pool | asyncpg.Connection, *, message_row_id: int) -> None:
    await conn.execute(
        "UPDATE messages SET media_copy_attempts = media_copy_attempts + 1 WHERE id = $1", message_row_id
    )
