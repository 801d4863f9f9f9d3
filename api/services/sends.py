"""Sending through the session's WAHA, idempotently: the row exists before WAHA is called.

1. A session that is not connected is refused up front (409 with its phase); WAHA is not called.
2. The send is stored `pending` (with the caller's Idempotency-Key, if any) before WAHA is called. A
   retry with the same key finds that row and answers it: WAHA is never asked twice for a send that may
   have gone out. Only a send WAHA refused (nothing went out) is tried again.
3. WAHA's answer carries the message's id (`true_<chat>_<key.id>`, the one its webhooks use); it is
   recorded on the row. If the API dies before that, WAHA's `message.any` echo of our own message
   completes the pending row instead (migration 0006), so the echo never becomes a second row.
4. A store failure after WAHA accepted is not a 500: the pending row is already there, and the answer is
   202 with it (the echo, or backfill, completes it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx

from conectafy.api.schemas.chats import MessagePublic
from conectafy.api.services import waha_events as wire
from conectafy.api.services.chats import WahaDirectory
from conectafy.api.store import events as events_store
from conectafy.api.store import sends as sends_store
from conectafy.api.store.messages import NewMessage
from conectafy.api.store.sessions import SessionRow
from conectafy.logs import get_logger
from conectafy.waha.errors import WahaError, WahaUnavailable
from conectafy.waha.models import MediaFile, SentMessage
from conectafy.waha.status import DEFAULT_SESSION
from conectafy.waha.webhooks import kind_of_mimetype

log = get_logger(__name__)


class SessionNotConnected(Exception):
    """The session cannot send now; `phase` is the resource's phase (None before the operator wrote one)."""

    def __init__(self, phase: str | None, status: str) -> None:
        super().__init__(f"session is not connected (phase {phase or 'unknown'})")
        self.phase = phase
        self.status = status


class IdempotencyKeyReused(Exception):
    """The key names an earlier send with another chat or content."""


@dataclass(frozen=True, slots=True)
class Outgoing:
    """What the caller asked to send: a text, or a file with an optional caption."""

    chat_id: str
    body: str | None
    media: MediaFile | None = None
    reply_to: str | None = None

    @property
    def type(self) -> str:
        return kind_of_mimetype(self.media.mimetype) if self.media is not None else "text"


@dataclass(frozen=True, slots=True)
class SendResult:
    """`pending`: WAHA's id is not recorded yet (in flight, or WAHA's answer was not stored)."""

    message: MessagePublic
    pending: bool


def _pending_row(session: SessionRow, outgoing: Outgoing) -> NewMessage:
    media = outgoing.media
    return NewMessage(
        chat_id=outgoing.chat_id,
        message_id=sends_store.placeholder_id(),
        from_me=True,
        # Whole seconds, like WAHA's own timestamps: a reply must not sort before a message received in
        # the same second; equal timestamps order by row id, i.e. by arrival.
        timestamp=datetime.now(UTC).replace(microsecond=0),
        type=outgoing.type,  # type: ignore[arg-type]
        body=outgoing.body,
        from_number=session.phone_number,
        to_number=wire.number_of(outgoing.chat_id),
        media_mimetype=media.mimetype if media else None,
        media_filename=media.filename if media else None,
    )


def _result(row: dict[str, Any]) -> SendResult:
    return SendResult(MessagePublic.model_validate(row), pending=row["send_state"] == "pending")


def _same_request(row: dict[str, Any], outgoing: Outgoing) -> bool:
    media = outgoing.media
    return (row["chat_id"], row["type"], row["body"], row["media_mimetype"]) == (
        outgoing.chat_id,
        outgoing.type,
        outgoing.body,
        media.mimetype if media else None,
    )


async def _begin(
    pool: asyncpg.Pool, session: SessionRow, outgoing: Outgoing, key: str | None
) -> tuple[dict[str, Any], bool]:
    """The send's row and whether this request created it (False: a retry of an earlier send)."""
    row = _pending_row(session, outgoing)
    async with pool.acquire() as conn:
        for _ in range(2):  # a concurrent retry may take the key between our two statements
            created = await sends_store.insert_pending(
                conn,
                session_id=session.id,
                message=row,
                idempotency_key=key,
                phone_number=wire.number_of(row.chat_id),
                preview=wire.preview(row),
            )
            if created is not None:
                return created, True
            assert key is not None  # only the key's index can conflict with a fresh placeholder id
            existing = await sends_store.get_by_key(conn, session_id=session.id, key=key)
            if existing is not None:
                return existing, False
    raise RuntimeError("idempotency key neither free nor taken")  # pragma: no cover


async def _call_waha(directory: WahaDirectory, session: SessionRow, outgoing: Outgoing) -> SentMessage:
    """Each kind through WAHA's own send endpoint (a voice note has no caption)."""
    chat, file, caption = outgoing.chat_id, outgoing.media, outgoing.body
    async with await directory.waha_client(session.session_name) as waha:
        if file is None:
            return await waha.send_text(DEFAULT_SESSION, chat, caption or "", reply_to=outgoing.reply_to)
        if file.mimetype.startswith("image/"):
            return await waha.send_image(DEFAULT_SESSION, chat, file, caption=caption)
        if file.mimetype.startswith("audio/"):
            return await waha.send_voice(DEFAULT_SESSION, chat, file)
        if file.mimetype.startswith("video/"):
            return await waha.send_video(DEFAULT_SESSION, chat, file, caption=caption)
        return await waha.send_file(DEFAULT_SESSION, chat, file, caption=caption)


def nothing_went_out(error: WahaError) -> bool:
    """WAHA answered with a refusal, or was never reached: the message was certainly not sent. A timeout
    or a broken connection after the request left is unknown, and the send stays pending."""
    if isinstance(error, WahaUnavailable):
        return isinstance(error.__cause__, httpx.ConnectError)
    return error.status_code is not None


async def _record(pool: asyncpg.Pool, session: SessionRow, row_id: int, message_id: str) -> dict[str, Any]:
    """WAHA's id on the row, and the live `message` event, in one transaction."""
    async with pool.acquire() as conn, conn.transaction():
        row = await sends_store.confirm(conn, row_id=row_id, message_id=message_id)
        data = {
            "session_id": str(session.id),
            "session_name": session.session_name,
            "chat_id": row["chat_id"],
            "message": MessagePublic.model_validate(row).model_dump(mode="json"),
        }
        await events_store.append_event(conn, user_id=session.user_id, type="message", data=data)
    return row


async def send(
    pool: asyncpg.Pool,
    directory: WahaDirectory,
    *,
    session: SessionRow,
    outgoing: Outgoing,
    idempotency_key: str | None = None,
) -> SendResult:
    """See the module doc. WahaError propagates when WAHA refused (the row is then `failed`) or could not
    be reached (the row stays `pending` unless the request never left)."""
    if session.status != "connected":
        raise SessionNotConnected(session.phase, session.status)
    row, created = await _begin(pool, session, outgoing, idempotency_key)
    if not created:
        if not _same_request(row, outgoing):
            raise IdempotencyKeyReused("this Idempotency-Key was used for a different message")
        if row["send_state"] != "failed":
            return _result(row)
    try:
        if not created:
            await sends_store.set_state(pool, row_id=row["id"], state="pending")
        sent = await _call_waha(directory, session, outgoing)
    except WahaError as error:
        if nothing_went_out(error):
            await sends_store.set_state(pool, row_id=row["id"], state="failed")
        raise
    if sent.id is None:
        log.warning("send accepted without a message id", session=session.session_name, raw=sent.raw)
        return _result(await sends_store.get_send(pool, row_id=row["id"]))
    try:
        return _result(await _record(pool, session, row["id"], sent.id))
    except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError) as error:
        log.warning("send accepted, id not stored (the echo completes it)", error=repr(error), row=row["id"])
        return SendResult(MessagePublic.model_validate(row), pending=True)
