"""WAHA webhook deliveries: the envelope, the payloads we use, HMAC checks, message kinds.

Shapes follow what WAHA really sent (CONTRACT.md §6.5-6.6, tests/fixtures/waha/samples): the 2026
envelope (`id` "evt_<ulid>", `timestamp` ms, ...) and 2024 deliveries without `id`/`timestamp`.
Everything tolerates extra fields (`_data` is engine-specific). `parse_webhook` never crashes on an
event it does not know: that becomes a `GenericEvent`.

    InvalidWebhook(ValueError)    body is not a WAHA envelope, or a known event's payload is wrong
    InvalidSignature(ValueError)  X-Webhook-Hmac missing, other algorithm, or forged
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from conectafy.waha.signing import (
    HMAC_ALGORITHM,
    HMAC_ALGORITHM_HEADER,
    HMAC_HEADER,
    REQUEST_ID_HEADER,
    TIMESTAMP_HEADER,
    InvalidSignature,
    sign_body,
    verify_signature,
)
from conectafy.waha.status import WahaStatus

__all__ = [
    "HMAC_ALGORITHM",
    "HMAC_ALGORITHM_HEADER",
    "HMAC_HEADER",
    "REQUEST_ID_HEADER",
    "TIMESTAMP_HEADER",
    "InvalidSignature",
    "InvalidWebhook",
    "MessageKind",
    "WebhookEvent",
    "message_kind",
    "parse_webhook",
    "sign_body",
    "verify_signature",
]

MessageKind = Literal["text", "image", "audio", "video", "document"]


class InvalidWebhook(ValueError):
    """The body is not a WAHA webhook envelope, or a known event carries a malformed payload."""


def _long_to_int(value: Any) -> Any:
    """2024 NOWEB sent some timestamps as protobuf Longs `{"low", "high", "unsigned"}`."""
    if isinstance(value, dict) and "low" in value:
        return (int(value.get("high", 0)) << 32) + (int(value["low"]) & 0xFFFFFFFF)
    return value


Timestamp = Annotated[int, BeforeValidator(_long_to_int)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True, frozen=True)


class Me(_Model):
    id: str
    pushName: str | None = None
    lid: str | None = None


class Environment(_Model):
    version: str
    engine: str
    tier: str | None = None
    browser: str | None = None


class Media(_Model):
    """`media` of a message; `url` is null when WAHA did not download the file."""

    url: str | None = None
    filename: str | None = None
    mimetype: str | None = None


class StatusPoint(_Model):
    status: str
    timestamp: Timestamp


class SessionStatusPayload(_Model):
    name: str
    status: WahaStatus
    statuses: list[StatusPoint] = Field(default_factory=list)


class MessagePayload(_Model):
    """A WAMessage (`message`, `message.any`); `from_` is the chat, also for our own messages."""

    id: str
    timestamp: Timestamp
    from_: str = Field(alias="from")
    fromMe: bool
    to: str | None = None
    participant: str | None = None
    source: str | None = None
    body: str | None = None
    hasMedia: bool = False
    media: Media | None = None
    ack: int | None = None
    ackName: str | None = None
    replyTo: dict[str, Any] | None = None
    data: dict[str, Any] = Field(default_factory=dict, alias="_data")

    @property
    def chat_id(self) -> str:
        return self.from_


class MessageAckPayload(_Model):
    id: str
    from_: str = Field(alias="from")
    fromMe: bool
    ack: int
    ackName: str
    participant: str | None = None


class Reaction(_Model):
    text: str
    messageId: str


class MessageReactionPayload(_Model):
    id: str
    timestamp: Timestamp | None = None
    from_: str = Field(alias="from")
    fromMe: bool
    source: str | None = None
    reaction: Reaction


class MessageRevokedPayload(_Model):
    revokedMessageId: str | None = None
    after: MessagePayload | None = None
    before: MessagePayload | None = None


class MessageEditedPayload(MessagePayload):
    editedMessageId: str | None = None


class _Envelope(_Model):
    """The envelope; `id`/`timestamp` are absent in 2024 deliveries."""

    id: str | None = None
    timestamp: int | None = None
    event: str
    session: str
    metadata: dict[str, Any] | None = None
    me: Me | None = None
    engine: str | None = None
    environment: Environment | None = None


class SessionStatusEvent(_Envelope):
    event: Literal["session.status"]
    payload: SessionStatusPayload


class MessageEvent(_Envelope):
    event: Literal["message", "message.any"]
    payload: MessagePayload


class MessageAckEvent(_Envelope):
    event: Literal["message.ack"]
    payload: MessageAckPayload


class MessageReactionEvent(_Envelope):
    event: Literal["message.reaction"]
    payload: MessageReactionPayload


class MessageRevokedEvent(_Envelope):
    event: Literal["message.revoked"]
    payload: MessageRevokedPayload


class MessageEditedEvent(_Envelope):
    event: Literal["message.edited"]
    payload: MessageEditedPayload


class GenericEvent(_Envelope):
    """Any other event (presence.update, state.change, calls, groups...): payload kept as is."""

    payload: Any = None


WebhookEvent = (
    SessionStatusEvent
    | MessageEvent
    | MessageAckEvent
    | MessageReactionEvent
    | MessageRevokedEvent
    | MessageEditedEvent
    | GenericEvent
)

_EVENT_TYPES: dict[str, type[_Envelope]] = {
    "session.status": SessionStatusEvent,
    "message": MessageEvent,
    "message.any": MessageEvent,
    "message.ack": MessageAckEvent,
    "message.reaction": MessageReactionEvent,
    "message.revoked": MessageRevokedEvent,
    "message.edited": MessageEditedEvent,
}


def parse_webhook(body: bytes) -> WebhookEvent:
    """Parse a delivery's raw body into its typed event; unknown events become `GenericEvent`."""
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise InvalidWebhook(f"webhook body is not JSON: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("event"), str):
        raise InvalidWebhook("webhook body is not a WAHA envelope (no 'event')")
    model = _EVENT_TYPES.get(data["event"], GenericEvent)
    try:
        event: WebhookEvent = model.model_validate(data)  # type: ignore[assignment]
    except ValidationError as exc:
        raise InvalidWebhook(f"invalid {data['event']!r} webhook: {exc}") from exc
    return event


_MESSAGE_KEYS: dict[str, MessageKind] = {
    "imageMessage": "image",
    "stickerMessage": "image",
    "audioMessage": "audio",
    "pttMessage": "audio",
    "videoMessage": "video",
    "ptvMessage": "video",
    "documentMessage": "document",
    "documentWithCaptionMessage": "document",
}
_WEBJS_TYPES: dict[str, MessageKind] = {
    "image": "image",
    "sticker": "image",
    "ptt": "audio",
    "audio": "audio",
    "video": "video",
    "document": "document",
}

_MIME_PREFIXES: tuple[tuple[str, MessageKind], ...] = (
    ("image/", "image"),
    ("audio/", "audio"),
    ("video/", "video"),
)


def message_kind(payload: MessagePayload) -> MessageKind:
    """text|image|audio|video|document, from the engine's message keys, else the media mimetype."""
    content = payload.data.get("message")
    if isinstance(content, dict):
        for key, kind in _MESSAGE_KEYS.items():
            if key in content:
                return kind
    webjs_type = payload.data.get("type")
    if isinstance(webjs_type, str) and webjs_type in _WEBJS_TYPES:
        return _WEBJS_TYPES[webjs_type]
    if not payload.hasMedia:
        return "text"
    mimetype = (payload.media.mimetype if payload.media else None) or ""
    for prefix, kind in _MIME_PREFIXES:
        if mimetype.startswith(prefix):
            return kind
    return "document"
