"""Webhook ingestion: one verified WAHA delivery becomes rows and live events in ONE transaction.

Order inside the transaction: envelope-id dedupe → the event's rows → the `events` log (+ NOTIFY at
commit). A failure anywhere rolls everything back, so WAHA's retry finds nothing half-written, and a
retry of a delivery that did commit is a no-op. The delivery is validated (`parse_webhook`) before the
transaction opens.

A message (the hot path, issue 4) is ONE statement (`store.deliveries`), run through the app's
`GroupCommit` when there is one (many deliveries per commit), else alone in its own transaction. A text
stored sanitised (issue 11) takes its own transaction, to record its original length with the row.

A delivery PostgreSQL refuses for what it holds (a data error, a constraint, a value too large to index)
would be refused again on every retry: it is dead-lettered instead (`store.dead_letters`, outcome
`dead_lettered`), and WAHA gets its 2xx once that row is committed. Other database errors (connection
lost, shutdown) propagate: WAHA's retry stores the delivery later.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import asyncpg
import asyncpg.exceptions._base

from conectafy.api import metrics
from conectafy.api.services import waha_events as wire
from conectafy.api.services.group_commit import GroupCommit
from conectafy.api.store import dead_letters as dead_letters_store
from conectafy.api.store import deliveries as deliveries_store
from conectafy.api.store import events as events_store
from conectafy.api.store import messages as messages_store
from conectafy.api.store import webhooks as webhooks_store
from conectafy.api.store.webhooks import WebhookSession
from conectafy.logs import get_logger
from conectafy.text import sanitize
from conectafy.waha.status import WahaStatus
from conectafy.waha.webhooks import (
    MessageAckEvent,
    MessageAckPayload,
    MessageEvent,
    MessageReactionEvent,
    MessageReactionPayload,
    SessionStatusEvent,
    SessionStatusPayload,
    WebhookEvent,
)

Outcome = Literal["stored", "duplicate", "ignored", "unknown_session", "dead_lettered"]

#: Errors that depend only on the delivery's content (PostgreSQL's data-exception, integrity and
#: program-limit classes, and values the driver cannot encode): retrying cannot help.
PERMANENT_STORE_ERRORS: tuple[type[Exception], ...] = (
    asyncpg.DataError,
    asyncpg.IntegrityConstraintViolationError,
    asyncpg.ProgramLimitExceededError,
    asyncpg.exceptions._base.DataError,
)
log = get_logger(__name__)


class SessionNudger(Protocol):
    """The part of the session directory ingestion needs (A3's `SessionDirectory.nudge`)."""

    async def nudge(self, session_name: str, waha_status: str) -> bool: ...


@dataclass(slots=True)  # not frozen: one per delivery, and a frozen __init__ costs several times more
class IngestResult:
    """`media_row`: id of a newly stored message whose media WAHA downloaded (to copy after commit)."""

    outcome: Outcome
    event: str
    media_row: int | None = None


async def ingest_delivery(
    pool: asyncpg.Pool,
    *,
    session_name: str,
    event: WebhookEvent,
    nudger: SessionNudger,
    writer: GroupCommit | None = None,
    raw: bytes = b"",
) -> IngestResult:
    """Store one delivery (validated by `parse_webhook`; `raw` is its body, kept if it is dead-lettered);
    a first `session.status` delivery nudges the operator after commit (and writes no session state).
    `writer` runs MESSAGE_DELIVERY_SQL (group commit)."""
    started = time.perf_counter()
    try:
        result = await _store(pool, writer, session_name, event)
    except PERMANENT_STORE_ERRORS as error:
        result = await _dead_letter(pool, session_name, event, raw, error)
    metrics.webhook_latency(event.event).observe(time.perf_counter() - started)
    if result.outcome == "stored" and isinstance(event, SessionStatusEvent):
        await nudger.nudge(session_name, event.payload.status.value)
    return result


def _store(
    pool: asyncpg.Pool, writer: GroupCommit | None, session_name: str, event: WebhookEvent
) -> Awaitable[IngestResult]:
    """The coroutine that stores `event` (returned, not awaited here: one frame less on every resume of
    the hot path while it waits for its commit)."""
    if isinstance(event, MessageEvent) and wire.is_storable(event.payload):
        return _store_message(pool, writer, session_name, event)
    return _store_other(pool, session_name, event)


async def _store_other(pool: asyncpg.Pool, session_name: str, event: WebhookEvent) -> IngestResult:
    async with pool.acquire() as conn, conn.transaction():
        session = await webhooks_store.begin_delivery(conn, session_name=session_name, event_id=event.id)
        if session is None:
            return IngestResult("unknown_session", event.event)
        return IngestResult(await _apply_other(conn, session, event), event.event)


async def _dead_letter(
    pool: asyncpg.Pool, session_name: str, event: WebhookEvent, raw: bytes, error: Exception
) -> IngestResult:
    """Keep a delivery PostgreSQL refused (its transaction is rolled back); answered once this commits."""
    first_line = next(iter(str(error).splitlines()), "")  # DETAIL would repeat the row: content, not a log
    reason = f"{type(error).__name__}: {first_line}"
    await dead_letters_store.insert_dead_letter(
        pool, session_name=session_name, envelope_id=event.id, event=event.event, reason=reason, body=raw
    )
    log.error(
        "webhook delivery dead-lettered",
        session=session_name,
        envelope_id=event.id,
        webhook_event=event.event,
        reason=reason,
    )
    return IngestResult("dead_lettered", event.event)


def _write_message(
    pool: asyncpg.Pool, writer: GroupCommit | None, args: tuple[object, ...], original_length: int | None
) -> Awaitable[asyncpg.Record | None]:
    """The delivery statement: through group commit, or alone when a sanitised body's length is kept
    (the coroutine to await, as `_store`)."""
    if original_length is not None:
        return _write_sanitised(pool, args, original_length)
    if writer is None:
        return pool.fetchrow(deliveries_store.MESSAGE_DELIVERY_SQL, *args)  # type: ignore[no-any-return]
    return writer.fetchrow(*args)


async def _write_sanitised(
    pool: asyncpg.Pool, args: tuple[object, ...], original_length: int
) -> asyncpg.Record | None:
    async with pool.acquire() as conn, conn.transaction():
        record = await conn.fetchrow(deliveries_store.MESSAGE_DELIVERY_SQL, *args)
        if record is not None and record["message_row_id"] is not None:
            await deliveries_store.set_body_original_length(
                conn, message_row_id=record["message_row_id"], length=original_length
            )
        return record


async def _store_message(
    pool: asyncpg.Pool, writer: GroupCommit | None, session_name: str, event: MessageEvent
) -> IngestResult:
    """Insert the message once and refresh its chat in one statement; only a new incoming message
    counts as unread."""
    message = event.payload
    row = wire.new_message(message, me=event.me)
    args = deliveries_store.message_delivery_args(
        session_name=session_name,
        event_id=event.id,
        message=row,
        phone_number=wire.number_of(row.chat_id),
        contact_name=wire.contact_name(message),
        preview=wire.preview(row),
    )
    record = await _write_message(pool, writer, args, row.body_original_length)
    stored = deliveries_store.message_delivery(record)
    if stored is None:
        return IngestResult("unknown_session", event.event)
    if stored.message_row_id is None:
        return IngestResult("duplicate", event.event)
    metrics.INGEST_LAG.observe(max(0.0, time.time() - message.timestamp))  # committed: WAHA's clock → ours
    return IngestResult("stored", event.event, media_row=stored.message_row_id if row.media_url else None)


async def _apply_other(conn: asyncpg.Connection, session: WebhookSession, event: WebhookEvent) -> Outcome:
    """A redelivered envelope stops here; otherwise dispatch on the event's type (a message without
    body or media, and events we do not use, are ignored)."""
    if not session.first_delivery:
        return "duplicate"
    if isinstance(event, MessageAckEvent):
        return await _on_ack(conn, session, event.payload)
    if isinstance(event, SessionStatusEvent):
        return await _on_status(conn, session, event.payload)
    if isinstance(event, MessageReactionEvent):
        return await _on_reaction(conn, session, event.payload)
    return "ignored"


async def _emit(conn: asyncpg.Connection, session: WebhookSession, kind: str, data: dict[str, Any]) -> None:
    body = {"session_id": str(session.id), "session_name": session.session_name, **data}
    await events_store.append_event(conn, user_id=session.user_id, type=kind, data=body)


async def _on_ack(conn: asyncpg.Connection, session: WebhookSession, ack: MessageAckPayload) -> Outcome:
    change = await messages_store.update_ack(
        conn, session_id=session.id, message_id=ack.id, ack=ack.ack, ack_name=ack.ack_name
    )
    if change is None:
        return "ignored"  # unknown message, or not a step forward
    data = {
        "chat_id": change.chat_id,
        "message_id": change.message_id,
        "ack": change.ack,
        "ack_name": change.ack_name,
    }
    await _emit(conn, session, "ack", data)
    return "stored"


async def _on_status(
    conn: asyncpg.Connection, session: WebhookSession, payload: SessionStatusPayload
) -> Outcome:
    """No session state here: the operator re-reads WAHA after the nudge and writes the resource's
    status, which reaches the row and the browsers through the projection. A QR shown (first or
    rotated, no phase change) still tells browsers to fetch the new image."""
    if payload.status is WahaStatus.SCAN_QR_CODE:
        await _emit(conn, session, "qr", {"waha_status": payload.status.value})
    return "stored"


async def _on_reaction(
    conn: asyncpg.Connection, session: WebhookSession, payload: MessageReactionPayload
) -> Outcome:
    """Reactions are not stored as messages; browsers get them live (an empty text removes one)."""
    data = {
        "chat_id": payload.from_,
        "message_id": payload.reaction.message_id,
        "reaction": sanitize(payload.reaction.text),
        "from_me": payload.from_me,
    }
    await _emit(conn, session, "reaction", data)
    return "stored"
