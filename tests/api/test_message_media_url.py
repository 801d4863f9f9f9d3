"""A message's `media_url` as the API shows it: its own media route, never WAHA's URL.

The row keeps WAHA's URL (the media route and the S3 copier fetch from it); what leaves the API is the
same-origin route, so a browser can neither see nor need WAHA's address or key.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx

from conectafy.api.schemas.chats import MessagePublic

WAHA_URL = "http://waha-support-abcde.conectafy.svc:3000/api/files/default/3EB0AAAABBBBCCCC0004.jpeg"
AT = datetime(2026, 11, 28, 10, tzinfo=UTC)
CHAT = "15550002222@c.us"


def _message(**overrides: Any) -> dict[str, Any]:
    return {
        "id": 7,
        "session_id": uuid.UUID(int=1),
        "chat_id": CHAT,
        "message_id": "false_15550002222@c.us_3EB0AAAABBBBCCCC0004",
        "from_me": False,
        "from_number": "15550002222",
        "to_number": None,
        "body": None,
        "type": "image",
        "media_url": WAHA_URL,
        "media_mimetype": "image/jpeg",
        "media_filename": None,
        "ack": None,
        "ack_name": None,
        "timestamp": AT,
        "created_at": AT,
        **overrides,
    }


def test_a_media_message_shows_the_apis_media_route() -> None:
    public = MessagePublic.model_validate(_message())
    assert public.media_url == f"/api/sessions/{uuid.UUID(int=1)}/messages/7/media"


def test_a_message_without_media_has_no_media_url() -> None:
    assert MessagePublic.model_validate(_message(type="text", body="hi", media_url=None)).media_url is None


async def test_a_conversation_page_never_carries_wahas_url(
    client: httpx.AsyncClient, user_factory: Any, db_pool: asyncpg.Pool
) -> None:
    user_id, headers = await user_factory()
    session_id = await db_pool.fetchval(
        "INSERT INTO whatsapp_sessions (user_id, session_name) VALUES ($1, 'support-abcde') RETURNING id",
        user_id,
    )
    row_id = await db_pool.fetchval(
        "INSERT INTO messages (session_id, chat_id, message_id, type, media_url, media_mimetype, timestamp)"
        " VALUES ($1, $2, 'false_x_1', 'image', $3, 'image/jpeg', $4) RETURNING id",
        session_id,
        CHAT,
        WAHA_URL,
        AT,
    )
    response = await client.get(f"/api/sessions/{session_id}/chats/{CHAT}/messages", headers=headers)
    assert [item["media_url"] for item in response.json()["items"]] == [
        f"/api/sessions/{session_id}/messages/{row_id}/media"
    ]
    assert "svc:3000" not in response.text
