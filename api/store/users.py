"""SQL for built-in accounts and their refresh tokens (keyword-only; knows nothing about HTTP)."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg


async def insert_user(conn: asyncpg.Connection, *, email: str, password_hash: str) -> uuid.UUID | None:
    """The new user's id, or None when the email (case-insensitively) is already registered."""
    user_id: uuid.UUID | None = await conn.fetchval(
        """
        INSERT INTO users (email, password_hash) VALUES ($1, $2)
        ON CONFLICT ((lower(email))) DO NOTHING
        RETURNING id
        """,
        email,
        password_hash,
    )
    return user_id


async def get_user_by_email(conn: asyncpg.Connection, *, email: str) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(
        "SELECT id, email, password_hash FROM users WHERE lower(email) = lower($1)", email
    )
    return row


async def insert_refresh_token(
    conn: asyncpg.Connection,
    *,
    user_id: uuid.UUID,
    family_id: uuid.UUID,
    token_hash: str,
    expires_at: datetime,
) -> uuid.UUID:
    token_id: uuid.UUID = await conn.fetchval(
        """
        INSERT INTO refresh_tokens (user_id, family_id, token_hash, expires_at)
        VALUES ($1, $2, $3, $4) RETURNING id
        """,
        user_id,
        family_id,
        token_hash,
        expires_at,
    )
    return token_id


async def get_refresh_token_for_update(conn: asyncpg.Connection, *, token_hash: str) -> asyncpg.Record | None:
    """The token row with its user's email, locked so two concurrent refreshes cannot both rotate it."""
    row: asyncpg.Record | None = await conn.fetchrow(
        """
        SELECT t.id, t.user_id, t.family_id, t.expires_at, t.revoked_at, u.email
        FROM refresh_tokens t JOIN users u ON u.id = t.user_id
        WHERE t.token_hash = $1
        FOR UPDATE OF t
        """,
        token_hash,
    )
    return row


async def mark_refresh_token_replaced(
    conn: asyncpg.Connection, *, token_id: uuid.UUID, replaced_by: uuid.UUID
) -> None:
    await conn.execute(
        "UPDATE refresh_tokens SET revoked_at = now(), replaced_by = $2 WHERE id = $1", token_id, replaced_by
    )


async def revoke_refresh_family(conn: asyncpg.Connection, *, family_id: uuid.UUID) -> None:
    await conn.execute(
        "UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL", family_id
    )
