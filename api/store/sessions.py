"""SQL that reads `whatsapp_sessions`: the projection of WhatsAppSession resources, always scoped by owner.

Rows are written only by the projection (`store.session_projection`, driven by the API's watch).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeAlias
from uuid import UUID

import asyncpg

from conectafy.phase import SessionStatus

__all__ = ["COLUMNS", "Executor", "SessionRow", "SessionStatus", "row_of"]

#: A pool or a connection (inside a transaction): both run the same statements.
Executor: TypeAlias = "asyncpg.Pool | asyncpg.Connection"

COLUMNS = (
    "id, user_id, namespace, session_name, uid, resource_version, display_name, engine, phone_number,"
    " push_name, status, phase, wa_status, paused, conditions, qr_code, container_name, container_port,"
    " webhook_url, created_at, updated_at, last_connected_at"
)


@dataclass(frozen=True, slots=True)
class SessionRow:
    id: UUID
    user_id: UUID
    namespace: str | None
    session_name: str
    uid: str | None
    resource_version: int | None
    display_name: str | None
    engine: str | None
    phone_number: str | None
    push_name: str | None
    status: SessionStatus
    phase: str | None
    wa_status: str | None
    paused: bool
    conditions: list[dict[str, Any]]
    qr_code: str | None
    container_name: str | None
    container_port: int | None
    webhook_url: str | None
    created_at: datetime
    updated_at: datetime
    last_connected_at: datetime | None


def row_of(record: Any) -> SessionRow:
    return SessionRow(**dict(record))


async def lock_owner(conn: asyncpg.Connection, *, user_id: UUID) -> None:
    """Serialise one user's creates until the transaction ends, so two requests cannot both pass the quota."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1::uuid::text, 7))", user_id)


async def count_sessions(db: Executor, *, user_id: UUID) -> int:
    return await db.fetchval(  # type: ignore[no-any-return]
        "SELECT count(*) FROM whatsapp_sessions WHERE user_id = $1", user_id
    )


async def get_session(db: Executor, *, user_id: UUID, session_id: UUID) -> SessionRow | None:
    """None for a missing session and for another user's alike: callers answer 404 either way."""
    record = await db.fetchrow(
        f"SELECT {COLUMNS} FROM whatsapp_sessions WHERE id = $1 AND user_id = $2", session_id, user_id
    )
    return row_of(record) if record else None


async def get_session_by_name(db: Executor, *, namespace: str, session_name: str) -> SessionRow | None:
    """For the data plane, which knows the resource by namespace and name (from a webhook URL)."""
    record = await db.fetchrow(
        f"SELECT {COLUMNS} FROM whatsapp_sessions WHERE namespace = $1 AND session_name = $2",
        namespace,
        session_name,
    )
    return row_of(record) if record else None


async def list_sessions(db: Executor, *, user_id: UUID) -> list[SessionRow]:
    records = await db.fetch(
        f"SELECT {COLUMNS} FROM whatsapp_sessions WHERE user_id = $1 ORDER BY created_at, id", user_id
    )
    return [row_of(record) for record in records]
