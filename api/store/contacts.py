"""SQL for the `contacts` table: one row per chat, kept current by ingestion, listed with keysets.

Order is recent first, `(last_message_at DESC NULLS LAST, id DESC)`, which is exactly the order of the
`contacts_recent_idx` / `contacts_unread_idx` indexes (0002 makes `last_message_at` NOT NULL: a
contact exists because a message arrived, so the keyset never meets a NULL). "Unread first" is two
keyset sections: chats with unread messages (the partial index), then the rest; the cursor says which
section it is in.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

_COLUMNS = (
    "id, session_id, phone_number, chat_id, name, last_message_at, last_message_preview, unread_count, "
    "created_at"
)
_ORDER = "ORDER BY last_message_at DESC NULLS LAST, id DESC"
#: A chat by id through the (session_id, phone_number) unique index: the number is the id's user part
#: (`15550002222@c.us` → `15550002222`, as ingestion derives it).
_BY_CHAT = "session_id = $1 AND phone_number = split_part(split_part($2, '@', 1), ':', 1) AND chat_id = $2"
#: Preview text is for a list row; the whole body is in `messages`.
PREVIEW_LENGTH = 120


@dataclass(frozen=True, slots=True)
class ContactCursor:
    """Keyset position: the last contact already shown and, with unread first, its section."""

    last_message_at: datetime
    id: int
    unread_section: bool = False


#: How a new message refreshes an existing chat row (shared with messages.insert_message_with_contact).
ON_CONFLICT_REFRESH = """
    ON CONFLICT (session_id, phone_number) DO UPDATE SET
        name = coalesce(EXCLUDED.name, contacts.name),
        last_message_preview = CASE
            WHEN EXCLUDED.last_message_at >= contacts.last_message_at
            THEN EXCLUDED.last_message_preview ELSE contacts.last_message_preview END,
        last_message_at = greatest(contacts.last_message_at, EXCLUDED.last_message_at),
        unread_count = contacts.unread_count + EXCLUDED.unread_count
"""


async def upsert_contact(
    conn: asyncpg.Connection,
    *,
    session_id: UUID,
    chat_id: str,
    phone_number: str,
    name: str | None,
    message_at: datetime,
    preview: str | None,
    unread_increment: int,
) -> int:
    """Create or refresh the chat's row; an older message (out-of-order delivery) never rolls it back."""
    return await conn.fetchval(  # type: ignore[no-any-return]
        """
        INSERT INTO contacts (session_id, phone_number, chat_id, name, last_message_at,
                              last_message_preview, unread_count)
        VALUES ($1, $2, $3, $4, $5, left($6, $8), $7)
        """
        + ON_CONFLICT_REFRESH
        + " RETURNING id",
        session_id,
        phone_number,
        chat_id,
        name,
        message_at,
        preview,
        unread_increment,
        PREVIEW_LENGTH,
    )


async def mark_read(conn: asyncpg.Connection, *, session_id: UUID, chat_id: str) -> bool:
    """Zero the unread counter; False when the session has no such chat."""
    row = await conn.fetchrow(
        f"UPDATE contacts SET unread_count = 0 WHERE {_BY_CHAT} RETURNING id",
        session_id,
        chat_id,
    )
    return row is not None


def _search_clause(search: str | None, first_param: int) -> tuple[str, list[Any]]:
    """A number (digits, optional +) is a prefix match on the number, anything else a substring match on
    the name: each then has its own index. LIKE wildcards in the input are matched literally."""
    if not search:
        return "", []
    digits = search.strip().removeprefix("+")
    if digits.isdigit():
        return f" AND phone_number LIKE ${first_param}", [f"{digits}%"]
    escaped = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f" AND name ILIKE ${first_param}", [f"%{escaped}%"]


def _after_clause(cursor: ContactCursor | None, first_param: int) -> tuple[str, list[Any]]:
    """Rows strictly after the cursor in `last_message_at DESC, id DESC` order (an index range scan)."""
    if cursor is None:
        return "", []
    p_at, p_id = f"${first_param}", f"${first_param + 1}"
    sql = f" AND last_message_at <= {p_at} AND (last_message_at < {p_at} OR id < {p_id})"
    return sql, [cursor.last_message_at, cursor.id]


async def _section(
    conn: asyncpg.Connection,
    *,
    session_id: UUID,
    unread: bool | None,
    search: str | None,
    cursor: ContactCursor | None,
    limit: int,
) -> list[dict[str, Any]]:
    """One keyset section: all contacts (unread None), only unread ones, or only read ones."""
    where = "session_id = $1"
    if unread is not None:
        where += " AND unread_count > 0" if unread else " AND unread_count = 0"
    search_sql, search_args = _search_clause(search, 2)
    after_sql, after_args = _after_clause(cursor, 2 + len(search_args))
    args = [session_id, *search_args, *after_args, limit]
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM contacts WHERE {where}{search_sql}{after_sql} {_ORDER} LIMIT ${len(args)}",
        *args,
    )
    return [dict(row) | {"unread_section": bool(unread)} for row in rows]


async def list_contacts(
    conn: asyncpg.Connection,
    *,
    session_id: UUID,
    limit: int,
    search: str | None = None,
    unread_first: bool = False,
    cursor: ContactCursor | None = None,
) -> list[dict[str, Any]]:
    """A page of chats; each row carries `unread_section` so the caller can build the next cursor."""
    section = functools.partial(_section, conn, session_id=session_id, search=search)
    if not unread_first:
        return await section(unread=None, cursor=cursor, limit=limit)
    rows: list[dict[str, Any]] = []
    if cursor is None or cursor.unread_section:
        rows = await section(unread=True, cursor=cursor, limit=limit)
        cursor = None
    if len(rows) < limit:
        rows += await section(unread=False, cursor=cursor, limit=limit - len(rows))
    return rows


async def get_contact(conn: asyncpg.Connection, *, session_id: UUID, chat_id: str) -> dict[str, Any] | None:
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM contacts WHERE {_BY_CHAT}", session_id, chat_id)
    return None if row is None else dict(row)
