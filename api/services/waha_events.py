"""Pure translation of WAHA webhook payloads into rows: chat ids, numbers, types, statuses (no I/O).

Only the fields ingestion stores are read; everything else is allowed and ignored, so a newer WAHA
that adds keys never breaks delivery. Shapes are CONTRACT.md §6.5-6.6 (2024.10.8 and 2026.2.1).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from conectafy.api.store.messages import MessageType, NewMessage
from conectafy.api.store.sessions import SessionStatus
from conectafy.waha.status import WahaStatus

#: WAHA status → the row's coarse status. A QR to scan or a passkey to confirm is still "connecting".
STATUS_OF_WAHA: dict[WahaStatus, SessionStatus] = {
    WahaStatus.STOPPED: "disconnected",
    WahaStatus.STARTING: "connecting",
    WahaStatus.SCAN_QR_CODE: "connecting",
    WahaStatus.WORKING: "connected",
    WahaStatus.FAILED: "error",
    WahaStatus.PASSKEY_REQUIRED: "connecting",
    WahaStatus.PASSKEY_CONFIRMATION_REQUIRED: "connecting",
}
_GROUP_SUFFIX = "@g.us"


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class Me(_Lenient):
    id: str
    push_name: str | None = Field(default=None, alias="pushName")


class Envelope(_Lenient):
    """The delivery around every event; `id`/`timestamp` exist from WAHA 2024.11 on (not in 2024.10.8)."""

    id: str | None = Field(default=None, max_length=200)
    timestamp: int | None = None
    event: str = Field(min_length=1, max_length=100)
    session: str
    me: Me | None = None
    payload: dict[str, Any]


class Media(_Lenient):
    url: str | None = None
    filename: str | None = None
    mimetype: str | None = None


class MessagePayload(_Lenient):
    """`message` / `message.any`; `from` is the chat for NOWEB, `to` is the chat for WEBJS own messages."""

    id: str = Field(min_length=1)
    timestamp: int
    from_: str = Field(alias="from", min_length=1)
    to: str | None = None
    participant: str | None = None
    from_me: bool = Field(alias="fromMe")
    body: str | None = None
    has_media: bool = Field(default=False, alias="hasMedia")
    media: Media | None = None
    ack: int | None = None
    ack_name: str | None = Field(default=None, alias="ackName")
    data: dict[str, Any] = Field(default_factory=dict, alias="_data")

    @field_validator("timestamp", mode="before")
    @classmethod
    def _long(cls, value: Any) -> Any:
        """2024 builds send own messages' timestamp as a protobuf Long `{low, high, unsigned}`."""
        if isinstance(value, dict) and "low" in value:
            return (int(value.get("high") or 0) << 32) + (int(value["low"]) & 0xFFFFFFFF)
        return value


class AckPayload(_Lenient):
    id: str = Field(min_length=1)
    ack: int
    ack_name: str | None = Field(default=None, alias="ackName")


class StatusPayload(_Lenient):
    status: WahaStatus


class Reaction(_Lenient):
    text: str
    message_id: str = Field(alias="messageId")


class ReactionPayload(_Lenient):
    id: str
    from_: str = Field(alias="from")
    from_me: bool = Field(alias="fromMe")
    reaction: Reaction


def number_of(whatsapp_id: str) -> str:
    """`15550002222@c.us` → `15550002222` (a group keeps its whole id before the @)."""
    return whatsapp_id.split("@", 1)[0].split(":", 1)[0]


def chat_of(message: MessagePayload) -> str:
    """The conversation a message belongs to, whoever sent it."""
    if message.from_me and message.to:
        return message.to
    return message.from_


def type_of_mimetype(mimetype: str | None) -> MessageType:
    """Stored type of a media file; an unusual or missing mimetype is a document."""
    for prefix, kind in (("image/", "image"), ("audio/", "audio"), ("video/", "video")):
        if (mimetype or "").startswith(prefix):
            return kind
    return "document"


def type_of(message: MessagePayload) -> MessageType:
    mimetype = message.media.mimetype if message.media else None
    if not message.has_media and not mimetype:
        return "text"
    return type_of_mimetype(mimetype)


def is_storable(message: MessagePayload) -> bool:
    """A body-less, media-less message is protocol noise (e.g. an app-state key share): skip it."""
    return bool(message.body) or message.has_media or message.media is not None


def new_message(message: MessagePayload, *, me: Me | None) -> NewMessage:
    """The `messages` row of a webhook message."""
    chat_id = chat_of(message)
    own = number_of(me.id) if me else None
    sender = number_of(message.participant) if message.participant else number_of(chat_id)
    media = message.media or Media()
    return NewMessage(
        chat_id=chat_id,
        message_id=message.id,
        from_me=message.from_me,
        timestamp=datetime.fromtimestamp(message.timestamp, UTC),
        type=type_of(message),
        body=message.body,
        from_number=own if message.from_me else sender,
        to_number=number_of(chat_id) if message.from_me else own,
        media_url=media.url,
        media_mimetype=media.mimetype,
        media_filename=media.filename,
        ack=message.ack,
        ack_name=message.ack_name,
    )


def contact_name(message: MessagePayload) -> str | None:
    """The sender's profile name, only for an incoming 1:1 message (ours or a group member's is not
    the chat's name)."""
    if message.from_me or chat_of(message).endswith(_GROUP_SUFFIX):
        return None
    name = message.data.get("pushName") or message.data.get("notifyName")
    return name if isinstance(name, str) and name else None


def preview(row: NewMessage) -> str:
    """One line for the contact list: the text, or the kind of media."""
    return row.body or f"[{row.type}]"
