"""SQL for `whatsapp_sessions`: the rows that mirror WhatsAppSession resources, always scoped by owner."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, TypeAlias
from uuid import UUID

import asyncpg

SessionStatus = Literal["disconnected", "connecting", "connected", "error"]
#: A pool or a connection (inside a transaction): both run the same statements.
Executor: TypeAlias = "asyncpg.Pool | asyncpg.Connection"

_COLUMNS = (
    "id, user_id, session_name, display_name, engine, phone_number, push_name, status, phase, qr_code, "
    "container_name, container_port, webhook_url, created_at, updated_at, last_connected_at"
)


@dataclass(frozen=True, slots=True)
class SessionRow:
    id: UUID
    user_id: UUID
    session_name: str
    display_name: str | None
    engine: str | None
    phone_number: str | None
    push_name: str | None
    status: SessionStatus
    phase: str | None
    qr_code: str | None
    container_name: str | None
    container_port: int | None
    webhook_url: str | None
    created_at: datetime
    updated_at: datetime
    last_connected_at: datetime | None


@dataclass(frozen=True, slots=True)
class SessionMirror:
    """The columns that follow the resource's status (the operator is the only writer of that status)."""

    phase: str | None
    status: SessionStatus
    phone_number: str | None
    push_name: str | None
    last_connected_at: datetime | None
    container_name: str | None
    container_port: int | None


def _row(record: Any) -> SessionRow:
    return SessionRow(**dict(record))


async def lock_owner(conn: asyncpg.Connection, *, user_id: UUID) -> None:
    """Serialise one user's creates until the transaction ends, so two requests cannot both pass the quota."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1::uuid::text, 7))", user_id)


async def count_sessions(db: Executor, *, user_id: UUID) -> int:
    return await db.fetchval(  # type: ignore[no-any-return]
        "SELECT count(*) FROM whatsapp_sessions WHERE user_id = $1", user_id
    )


async def insert_session(
    db: Executor, *, user_id: UUID, session_name: str, display_name: str, engine: str, webhook_url: str | None
) -> SessionRow:
    record = await db.fetchrow(
        "INSERT INTO whatsapp_sessions"
        " (user_id, session_name, display_name, engine, webhook_url, status, phase)"
        f" VALUES ($1, $2, $3, $4, $5, 'connecting', 'Pending') RETURNING {_COLUMNS}",
        user_id,
        session_name,
        display_name,
        engine,
        webhook_url,
    )
    return _row(record)


async def get_session(db: Executor, *, user_id: UUID, session_id: UUID) -> SessionRow | None:
    """None for a missing session and for another user's alike: callers answer 404 either way."""
    record = await db.fetchrow(
        f"SELECT {_COLUMNS} FROM whatsapp_sessions WHERE id = $1 AND user_id = $2", session_id, user_id
    )
    return _row(record) if record else None


async def get_session_by_name(db: Executor, *, session_name: str) -> SessionRow | None:
    """For the data plane and the mirror, which know the resource name (from a URL or a watch)."""
    record = await db.fetchrow(
        f"SELECT {_COLUMNS} FROM whatsapp_sessions WHERE session_name = $1", session_name
    )
    return _row(record) if record else None


async def list_sessions(db: Executor, *, user_id: UUID) -> list[SessionRow]:
    records = await db.fetch(
        f"SELECT {_COLUMNS} FROM whatsapp_sessions WHERE user_id = $1 ORDER BY created_at, id", user_id
    )
    return [_row(record) for record in records]


async def delete_session(db: Executor, *, user_id: UUID, session_id: UUID) -> SessionRow | None:
    """Deletes the row (messages and contacts cascade); returns what was deleted."""
    record = await db.fetchrow(
        f"DELETE FROM whatsapp_sessions WHERE id = $1 AND user_id = $2 RETURNING {_COLUMNS}",
        session_id,
        user_id,
    )
    return _row(record) if record else None


async def delete_session_by_name(db: Executor, *, session_name: str) -> SessionRow | None:
    record = await db.fetchrow(
        f"DELETE FROM whatsapp_sessions WHERE session_name = $1 RETURNING {_COLUMNS}", session_name
    )
    return _row(record) if record else None


async def apply_mirror(db: Executor, *, session_name: str, mirror: SessionMirror) -> SessionRow | None:
    """Copy the resource's state into the row; None when there is no row or nothing changed.

    A missing `last_connected_at` keeps the stored one: the time of the last connection is history.
    """
    record = await db.fetchrow(
        "UPDATE whatsapp_sessions SET phase = $2, status = $3, phone_number = coalesce($4, phone_number),"
        " push_name = coalesce($5, push_name), last_connected_at = coalesce($6, last_connected_at),"
        " container_name = $7, container_port = $8, updated_at = now()"
        " WHERE session_name = $1 AND (phase, status, phone_number, push_name, last_connected_at,"
        " container_name, container_port) IS DISTINCT FROM ($2, $3, coalesce($4, phone_number),"
        " coalesce($5, push_name), coalesce($6, last_connected_at), $7, $8)"
        f" RETURNING {_COLUMNS}",
        session_name,
        mirror.phase,
        mirror.status,
        mirror.phone_number,
        mirror.push_name,
        mirror.last_connected_at,
        mirror.container_name,
        mirror.container_port,
    )
    return _row(record) if record else None
