"""SQL for sends through the API: the `pending` row written before WAHA is called, and its outcome.

A send row is found again by its Idempotency-Key (unique per session). WAHA's id is recorded by
`conectafy_confirm_send` (migration 0006), which also settles a race with WAHA's own echo of the
message; the echo alone completes a pending row when the API died before recording the id.
"""

from __future__ import annotations

import uuid
from typing import Any, Literal
from uuid import UUID

import asyncpg

from conectafy.api.store import contacts
from conectafy.api.store.messages import NewMessage

SendState = Literal["pending", "sent", "failed"]
#: The columns MessagePublic reads, plus the send's own state and key.
_COLUMNS = (
    "id, session_id, chat_id, message_id, from_me, from_number, to_number, body, type, media_url, "
    'media_mimetype, media_filename, ack, ack_name, "timestamp", created_at, send_state, idempotency_key'
)
PENDING_PREFIX = "pending:"


def placeholder_id() -> str:
    """The message id of a send WAHA has not answered yet (never a WhatsApp id: those have no colon)."""
    return f"{PENDING_PREFIX}{uuid.uuid4()}"


async def insert_pending(
    conn: asyncpg.Connection,
    *,
    session_id: UUID,
    message: NewMessage,
    idempotency_key: str | None,
    phone_number: str,
    preview: str,
) -> dict[str, Any] | None:
    """The pending row and its chat's refresh in one statement; None when the key is already used."""
    row = await conn.fetchrow(
        f"""
        WITH m AS (
            INSERT INTO messages (session_id, chat_id, message_id, from_me, from_number, to_number, body,
                                  type, media_mimetype, media_filename, "timestamp", send_state,
                                  idempotency_key)
            VALUES ($1, $2, $3, true, $4, $5, $6, $7, $8, $9, $10, 'pending', $11)
            ON CONFLICT DO NOTHING
            RETURNING {_COLUMNS}
        ), c AS (
            INSERT INTO contacts (session_id, phone_number, chat_id, name, last_message_at,
                                  last_message_preview, unread_count)
            SELECT m.session_id, $12, m.chat_id, NULL, m."timestamp", left($13, $14), 0 FROM m
            {contacts.ON_CONFLICT_REFRESH}
        )
        SELECT * FROM m
        """,
        session_id, message.chat_id, message.message_id, message.from_number, message.to_number,
        message.body, message.type, message.media_mimetype, message.media_filename, message.timestamp,
        idempotency_key, phone_number, preview, contacts.PREVIEW_LENGTH,
    )  # fmt: skip
    return None if row is None else dict(row)


async def get_by_key(conn: asyncpg.Connection, *, session_id: UUID, key: str) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM messages WHERE session_id = $1 AND idempotency_key = $2", session_id, key
    )
    return None if row is None else dict(row)


async def get_send(conn: asyncpg.Connection, *, row_id: int) -> dict[str, Any]:
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM messages WHERE id = $1", row_id)
    assert row is not None  # send rows are never deleted singly
    return dict(row)


async def confirm(conn: asyncpg.Connection, *, row_id: int, message_id: str) -> dict[str, Any]:
    """Give the send row WAHA's id (see the module doc for the echo race); returns the row."""
    await conn.execute("SELECT conectafy_confirm_send($1, $2)", row_id, message_id)
    return await get_send(conn, row_id=row_id)


async def set_state(conn: asyncpg.Connection, *, row_id: int, state: SendState) -> None:
    """`failed` when WAHA refused (nothing went out); back to `pending` before trying again."""
    await conn.execute(
        "UPDATE messages SET send_state = $2 WHERE id = $1 AND send_state <> 'sent'", row_id, state
    )
