"""Chats: opaque page cursors, and sending through the session's WAHA (stored as from_me once accepted).

A send is stored only after WAHA answered with the message's id: the id is the same serialized id
(`true_<chat>_<key.id>`) that WAHA's later `message.any` and `message.ack` webhooks carry, so the echo
of our own message is a no-op and its acks find the row.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime
from typing import Annotated, Any, Protocol, TypeVar

import asyncpg
from pydantic import Strict, TypeAdapter, ValidationError

from conectafy.api.schemas.chats import MessagePublic
from conectafy.api.schemas.validation import CursorTime, RowId
from conectafy.api.services import waha_events as wire
from conectafy.api.store import contacts as contacts_store
from conectafy.api.store import events as events_store
from conectafy.api.store import messages as messages_store
from conectafy.api.store.sessions import SessionRow
from conectafy.waha.client import WahaClient
from conectafy.waha.errors import WahaInvalidResponse
from conectafy.waha.models import MediaFile, SentMessage
from conectafy.waha.status import DEFAULT_SESSION
from conectafy.waha.webhooks import kind_of_mimetype


class WahaDirectory(Protocol):
    """The part of the session directory sending needs (A3's `SessionDirectory.waha_client`)."""

    async def waha_client(self, session_name: str) -> WahaClient: ...


_T = TypeVar("_T")


class InvalidCursor(ValueError):
    """A `cursor`/`before` value this API did not hand out."""


def _encode(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode(cursor: str, size: int) -> list[Any]:
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, UnicodeDecodeError, json.JSONDecodeError, ValueError) as error:
        raise InvalidCursor("malformed cursor") from error
    if not isinstance(values, list) or len(values) != size:
        raise InvalidCursor("malformed cursor")
    return values


#: What a cursor's values must be before they reach a query (an id past bigint or a float like 1e400
#: is a malformed cursor, not a driver error).
_MESSAGE_CURSOR: TypeAdapter[tuple[datetime, int]] = TypeAdapter(tuple[CursorTime, RowId])
_CONTACT_CURSOR: TypeAdapter[tuple[datetime, int, bool]] = TypeAdapter(
    tuple[CursorTime, RowId, Annotated[bool, Strict()]]
)


def _checked(adapter: TypeAdapter[_T], values: list[Any]) -> _T:
    try:
        return adapter.validate_python(values)
    except ValidationError as error:
        raise InvalidCursor("malformed cursor") from error


def encode_message_cursor(message: MessagePublic) -> str:
    return _encode([message.timestamp.isoformat(), message.id])


def decode_message_cursor(cursor: str) -> messages_store.MessageCursor:
    at, ident = _checked(_MESSAGE_CURSOR, _decode(cursor, 2))
    return messages_store.MessageCursor(timestamp=at, id=ident)


def encode_contact_cursor(row: dict[str, Any]) -> str:
    return _encode([row["last_message_at"].isoformat(), row["id"], row["unread_section"]])


def decode_contact_cursor(cursor: str) -> contacts_store.ContactCursor:
    at, ident, section = _checked(_CONTACT_CURSOR, _decode(cursor, 3))
    return contacts_store.ContactCursor(last_message_at=at, id=ident, unread_section=section)


def _sent_row(
    sent: SentMessage, *, session: SessionRow, body: str | None, media: MediaFile | None
) -> messages_store.NewMessage:
    """The row of a message WAHA accepted; its id is what WAHA's webhooks will call it."""
    message_id = sent.id
    if message_id is None:
        raise WahaInvalidResponse(None, "WAHA accepted the message but answered no message id", sent.raw)
    kind = kind_of_mimetype(media.mimetype) if media is not None else "text"
    return messages_store.NewMessage(
        chat_id=sent.chat_id,
        message_id=message_id,
        from_me=True,
        # Whole seconds, like WAHA's own timestamps: a reply must not sort before a message received in
        # the same second; equal timestamps order by row id, i.e. by arrival.
        timestamp=datetime.now(UTC).replace(microsecond=0),
        type=kind,
        body=body,
        from_number=session.phone_number,
        to_number=wire.number_of(sent.chat_id),
        media_mimetype=media.mimetype if media else None,
        media_filename=media.filename if media else None,
        ack=0,
        ack_name="PENDING",
    )


async def store_sent(
    pool: asyncpg.Pool, *, session: SessionRow, sent: SentMessage, body: str | None, media: MediaFile | None
) -> MessagePublic:
    """Store an accepted send (or find it, when WAHA's echo webhook won the race) and tell browsers."""
    row = _sent_row(sent, session=session, body=body, media=media)
    async with pool.acquire() as conn, conn.transaction():
        stored = await messages_store.insert_message_with_contact(
            conn,
            session_id=session.id,
            message=row,
            phone_number=wire.number_of(row.chat_id),
            contact_name=None,
            preview=wire.preview(row),
        )
        if stored is None:
            existing = await messages_store.get_message(
                conn, session_id=session.id, message_id=row.message_id
            )
            assert existing is not None  # the conflicting row exists: rows are never deleted singly
            return MessagePublic.model_validate(existing)
        public = MessagePublic.model_validate(stored)
        data = {
            "session_id": str(session.id),
            "session_name": session.session_name,
            "chat_id": row.chat_id,
            "message": public.model_dump(mode="json"),
        }
        await events_store.append_event(conn, user_id=session.user_id, type="message", data=data)
    return public


async def send_text(
    pool: asyncpg.Pool,
    directory: WahaDirectory,
    *,
    session: SessionRow,
    chat_id: str,
    text: str,
    reply_to: str | None = None,
) -> MessagePublic:
    """Send through the session's WAHA (WahaError propagates: nothing is stored when WAHA refuses)."""
    async with await directory.waha_client(session.session_name) as waha:
        sent = await waha.send_text(DEFAULT_SESSION, chat_id, text, reply_to=reply_to)
    return await store_sent(pool, session=session, sent=sent, body=text, media=None)


async def send_media(
    pool: asyncpg.Pool,
    directory: WahaDirectory,
    *,
    session: SessionRow,
    chat_id: str,
    file: MediaFile,
    caption: str | None = None,
) -> MessagePublic:
    """Image, voice note, video or document by mimetype, each through WAHA's own send endpoint."""
    async with await directory.waha_client(session.session_name) as waha:
        if file.mimetype.startswith("image/"):
            sent = await waha.send_image(DEFAULT_SESSION, chat_id, file, caption=caption)
        elif file.mimetype.startswith("audio/"):
            sent = await waha.send_voice(DEFAULT_SESSION, chat_id, file)
            caption = None  # a voice note has no caption
        elif file.mimetype.startswith("video/"):
            sent = await waha.send_video(DEFAULT_SESSION, chat_id, file, caption=caption)
        else:
            sent = await waha.send_file(DEFAULT_SESSION, chat_id, file, caption=caption)
    return await store_sent(pool, session=session, sent=sent, body=caption, media=file)
