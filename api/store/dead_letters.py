"""SQL for `webhook_dead_letters`: signed deliveries PostgreSQL refused to store, kept byte for byte.

A delivery lands here only after its own transaction was rolled back, so nothing of it is half-written;
WAHA is answered 2xx once this row is committed, and a retry of the same envelope adds no second row.
"""

from __future__ import annotations

import asyncpg


async def insert_dead_letter(
    conn: asyncpg.Connection | asyncpg.Pool,
    *,
    session_name: str,
    envelope_id: str | None,
    event: str,
    reason: str,
    body: bytes,
) -> int | None:
    """The new row's id; None when this envelope is dead-lettered already (a retry)."""
    row_id: int | None = await conn.fetchval(
        """
        INSERT INTO webhook_dead_letters (session_name, envelope_id, event, reason, body)
        VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (session_name, envelope_id) WHERE envelope_id IS NOT NULL DO NOTHING
        RETURNING id
        """,
        session_name, envelope_id, event, reason, body,
    )  # fmt: skip
    return row_id
