"""SQL for the `events` log behind live events: append + NOTIFY, and reads for Last-Event-ID resume.

NOTIFY is transactional: it is delivered when the appending transaction commits, so a listener never
hears of an event it cannot read yet, and a rolled-back ingestion announces nothing. The payload is only
`{"id", "user_id"}` (far below NOTIFY's 8000-byte limit); listeners fetch the row itself.

Readers order and resume by `position`, not `id`: ids are taken at insert and commit out of order, positions
are taken at commit (migration 0005), so an event that becomes visible later always has a larger one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

#: The one LISTEN/NOTIFY channel of live events.
CHANNEL = "conectafy_events"
_COLUMNS = "id, position, user_id, type, data, created_at"


@dataclass(frozen=True, slots=True)
class StoredEvent:
    id: int
    #: The commit-ordered number browsers see as the SSE id and resume from.
    position: int
    user_id: UUID
    type: str
    data: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Notification:
    """What a NOTIFY on CHANNEL says: which event, and whose (so unwatched users cost no query)."""

    id: int
    user_id: UUID

    @classmethod
    def parse(cls, payload: str) -> Notification:
        raw = json.loads(payload)
        return cls(id=int(raw["id"]), user_id=UUID(raw["user_id"]))


async def append_event(conn: asyncpg.Connection, *, user_id: UUID, type: str, data: dict[str, Any]) -> int:
    """Log the event and announce it to every API replica at commit (jsonb via the pool's codec)."""
    event_id: int = await conn.fetchval(
        """
        WITH e AS (INSERT INTO events (user_id, type, data) VALUES ($1, $2, $3) RETURNING id, user_id)
        SELECT e.id FROM e, pg_notify($4, json_build_object('id', e.id, 'user_id', e.user_id)::text)
        """,
        user_id, type, data, CHANNEL,
    )  # fmt: skip
    return event_id


def _event(row: asyncpg.Record) -> StoredEvent:
    data = row["data"]
    return StoredEvent(
        id=row["id"],
        position=row["position"],
        user_id=row["user_id"],
        type=row["type"],
        data=json.loads(data) if isinstance(data, str) else data,
        created_at=row["created_at"],
    )


async def events_after(
    conn: asyncpg.Connection, *, user_id: UUID, after_position: int, limit: int
) -> list[StoredEvent]:
    """The user's events after a position, in commit order (what a reconnecting browser missed)."""
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM events WHERE user_id = $1 AND position > $2 ORDER BY position LIMIT $3",
        user_id,
        after_position,
        limit,
    )
    return [_event(row) for row in rows]


async def get_event(conn: asyncpg.Connection, *, event_id: int) -> StoredEvent | None:
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM events WHERE id = $1", event_id)
    return None if row is None else _event(row)


async def get_events(conn: asyncpg.Connection, *, event_ids: list[int]) -> list[StoredEvent]:
    """Several announced events in one round trip (a burst of NOTIFYs is fetched together)."""
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM events WHERE id = ANY($1::bigint[]) ORDER BY position",
        event_ids,
    )
    return [_event(row) for row in rows]
