"""Webhook ingestion: one verified WAHA delivery becomes rows and live events in ONE transaction.

Order inside the transaction: envelope-id dedupe → the event's rows → the `events` log (+ NOTIFY at
commit). A failure anywhere rolls everything back, so WAHA's retry finds nothing half-written, and a
retry of a delivery that did commit is a no-op. The payload is validated before the transaction opens.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import asyncpg
from pydantic import BaseModel

from conectafy.api import metrics
from conectafy.api.schemas.chats import MessagePublic
from conectafy.api.services import waha_events as wire
from conectafy.api.store import events as events_store
from conectafy.api.store import messages as messages_store
from conectafy.api.store import webhooks as webhooks_store
from conectafy.api.store.webhooks import WebhookSession
from conectafy.waha.status import WahaStatus

Outcome = Literal["stored", "duplicate", "ignored", "unknown_session"]


class SessionNudger(Protocol):
    """The part of the session directory ingestion needs (A3's `SessionDirectory.nudge`)."""

    async def nudge(self, session_name: str, waha_status: str) -> bool: ...


@dataclass(frozen=True, slots=True)
class IngestResult:
    outcome: Outcome
    event: str


def parse_payload(envelope: wire.Envelope) -> BaseModel | None:
    """The typed payload of the events we store; None for events we accept and ignore (presence…).

    Raises pydantic's ValidationError for a known event whose payload does not fit: that is a 422.
    """
    model: type[BaseModel] | None = {
        "message": wire.MessagePayload,
        "message.any": wire.MessagePayload,
        "message.ack": wire.AckPayload,
        "message.reaction": wire.ReactionPayload,
        "session.status": wire.StatusPayload,
    }.get(envelope.event)
    return None if model is None else model.model_validate(envelope.payload)


async def ingest_delivery(
    pool: asyncpg.Pool, *, session_name: str, envelope: wire.Envelope, nudger: SessionNudger
) -> IngestResult:
    """Store one delivery; nudges the operator after commit when the session's WAHA status changed."""
    started = time.perf_counter()
    payload = parse_payload(envelope)
    async with pool.acquire() as conn, conn.transaction():
        session = await webhooks_store.begin_delivery(conn, session_name=session_name, event_id=envelope.id)
        if session is None:
            return IngestResult("unknown_session", envelope.event)
        outcome = await _apply(conn, session, envelope, payload)
    metrics.WEBHOOK_LATENCY.labels(envelope.event).observe(time.perf_counter() - started)
    if outcome == "stored" and isinstance(payload, wire.StatusPayload):
        await nudger.nudge(session_name, payload.status.value)
    return IngestResult(outcome, envelope.event)


async def _apply(
    conn: asyncpg.Connection, session: WebhookSession, envelope: wire.Envelope, payload: BaseModel | None
) -> Outcome:
    """A redelivered envelope stops here; otherwise dispatch on the payload's type."""
    if not session.first_delivery:
        return "duplicate"
    if isinstance(payload, wire.MessagePayload):
        return await _on_message(conn, session, payload, envelope.me)
    if isinstance(payload, wire.AckPayload):
        return await _on_ack(conn, session, payload)
    if isinstance(payload, wire.StatusPayload):
        return await _on_status(conn, session, payload, envelope.me)
    if isinstance(payload, wire.ReactionPayload):
        return await _on_reaction(conn, session, payload)
    return "ignored"


async def _emit(conn: asyncpg.Connection, session: WebhookSession, kind: str, data: dict[str, Any]) -> None:
    body = {"session_id": str(session.id), "session_name": session.session_name, **data}
    await events_store.append_event(conn, user_id=session.user_id, type=kind, data=body)


async def _on_message(
    conn: asyncpg.Connection, session: WebhookSession, message: wire.MessagePayload, me: wire.Me | None
) -> Outcome:
    """Insert the message once and refresh its chat; only a new incoming message counts as unread."""
    if not wire.is_storable(message):
        return "ignored"
    row = wire.new_message(message, me=me)
    stored = await messages_store.insert_message_with_contact(
        conn,
        session_id=session.id,
        message=row,
        phone_number=wire.number_of(row.chat_id),
        contact_name=wire.contact_name(message),
        preview=wire.preview(row),
    )
    if stored is None:
        return "duplicate"
    public = MessagePublic.model_validate(stored).model_dump(mode="json")
    await _emit(conn, session, "message", {"chat_id": row.chat_id, "message": public})
    return "stored"


async def _on_ack(conn: asyncpg.Connection, session: WebhookSession, ack: wire.AckPayload) -> Outcome:
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
    conn: asyncpg.Connection, session: WebhookSession, payload: wire.StatusPayload, me: wire.Me | None
) -> Outcome:
    """Update the row's coarse status; SCAN_QR_CODE (first or rotated) also tells browsers a new QR."""
    status = wire.STATUS_OF_WAHA[payload.status]
    connected_me = me if payload.status is WahaStatus.WORKING else None
    await webhooks_store.set_session_status(
        conn,
        session_id=session.id,
        status=status,
        phone_number=wire.number_of(connected_me.id) if connected_me else None,
        push_name=connected_me.push_name if connected_me else None,
    )
    await _emit(conn, session, "session", {"status": status, "waha_status": payload.status.value})
    if payload.status is WahaStatus.SCAN_QR_CODE:
        await _emit(conn, session, "qr", {"waha_status": payload.status.value})
    return "stored"


async def _on_reaction(
    conn: asyncpg.Connection, session: WebhookSession, payload: wire.ReactionPayload
) -> Outcome:
    """Reactions are not stored as messages; browsers get them live (an empty text removes one)."""
    data = {
        "chat_id": payload.from_,
        "message_id": payload.reaction.message_id,
        "reaction": payload.reaction.text,
        "from_me": payload.from_me,
    }
    await _emit(conn, session, "reaction", data)
    return "stored"
