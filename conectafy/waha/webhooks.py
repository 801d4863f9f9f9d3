"""WAHA webhook deliveries: the envelope, the payloads we use, HMAC checks, message kinds.

Shapes follow what WAHA really sent (CONTRACT.md §6.5-6.6, tests/fixtures/waha/samples): the 2026
envelope (`id` "evt_<ulid>", `timestamp` ms, ...) and 2024 deliveries without `id`/`timestamp`.
Everything tolerates extra fields (`_data` is engine-specific). `parse_webhook` never crashes on an
event it does not know: that becomes a `GenericEvent`.

    InvalidWebhook(ValueError)    body is not a WAHA envelope, or a known event's payload is wrong
     └─ WebhookNotJson            body is not JSON at all
    InvalidSignature(ValueError)  X-Webhook-Hmac missing, other algorithm, or forged
"""

from __future__ import annotations

import json
import time
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field, ValidationError
from pydantic_core import from_json

from conectafy.text import StorableText
from conectafy.waha.base import Me, WahaModel
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
    "Me",
    "MessageKind",
    "WebhookEvent",
    "WebhookNotJson",
    "kind_of_mimetype",
    "message_kind",
    "parse_webhook",
    "sign_body",
    "verify_signature",
]

MessageKind = Literal["text", "image", "audio", "video", "document"]


class InvalidWebhook(ValueError):
    """The body is not a WAHA webhook envelope, or a known event carries a malformed payload.

    `errors` lists what is wrong as `{"loc": [...], "msg": ...}` (wire names, e.g. `["payload", "from"]`).
    """

    def __init__(self, message: str, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or []


class WebhookNotJson(InvalidWebhook):
    """The body is not JSON at all (a 400 rather than a 422 to an HTTP caller)."""


def _long_to_int(value: Any) -> Any:
    """2024 NOWEB sent some timestamps as protobuf Longs `{"low", "high", "unsigned"}`."""
    if isinstance(value, dict) and "low" in value:
        return (int(value.get("high") or 0) << 32) + (int(value["low"]) & 0xFFFFFFFF)
    return value


Timestamp = Annotated[int, BeforeValidator(_long_to_int)]

#: How far ahead of our clock a delivery's time may be (clocks drift; a year ahead is a forgery or a bug).
MAX_CLOCK_SKEW_SECONDS = 24 * 3600
#: Longest message id, chat id, and other identifier WAHA sends (real ones are under 150 characters;
#: a longer one could not even be indexed by PostgreSQL).
MAX_ID_LENGTH = 512
MAX_URL_LENGTH = 4096


def _not_in_future(scale: int) -> Any:
    """A Unix time (`scale` 1: seconds, 1000: milliseconds) from 1970 up to a day ahead of our clock."""

    def check(value: int) -> int:
        if value < 0 or value > (time.time() + MAX_CLOCK_SKEW_SECONDS) * scale:
            raise ValueError("must be a Unix time between 1970 and one day from now")
        return value

    return AfterValidator(check)


#: A message's time (seconds), stored: it must be a time we can store and sort by.
MessageTime = Annotated[Timestamp, _not_in_future(1)]
#: The envelope's time (milliseconds).
EnvelopeTime = Annotated[int, _not_in_future(1000)]
#: A message id, chat id or other identifier: storable text of bounded length.
WahaId = Annotated[StorableText, Field(min_length=1, max_length=MAX_ID_LENGTH)]


class _Model(WahaModel):
    """Deliveries are read, never changed: frozen, camelCase aliases, every extra field kept."""

    model_config = ConfigDict(frozen=True)


class Environment(_Model):
    version: str
    engine: str
    tier: str | None = None
    browser: str | None = None


class Media(_Model):
    """`media` of a message; `url` is null when WAHA did not download the file. The file name is the
    sender's content (kept as sent; the API stores it sanitised)."""

    url: Annotated[StorableText, Field(max_length=MAX_URL_LENGTH)] | None = None
    filename: str | None = None
    mimetype: Annotated[StorableText, Field(max_length=255)] | None = None


class StatusPoint(_Model):
    status: str
    timestamp: Timestamp


class SessionStatusPayload(_Model):
    name: str
    status: WahaStatus
    statuses: list[StatusPoint] = Field(default_factory=list)


class MessagePayload(_Model):
    """A WAMessage (`message`, `message.any`, chat history); `from_` is the chat (NOWEB, also for our
    own messages); WEBJS puts the chat of our own messages in `to`."""

    id: WahaId
    timestamp: MessageTime
    from_: WahaId = Field(alias="from")
    from_me: bool
    to: WahaId | None = None
    participant: WahaId | None = None
    source: str | None = None
    body: str | None = None
    has_media: bool = False
    media: Media | None = None
    ack: int | None = Field(default=None, ge=-32768, le=32767)
    ack_name: WahaId | None = None
    reply_to: dict[str, Any] | None = None
    data: dict[str, Any] = Field(default_factory=dict, alias="_data")

    @property
    def chat_id(self) -> str:
        return self.from_


class MessageAckPayload(_Model):
    """`message.ack`; only `id` and `ack` are needed to move a message's delivery state."""

    id: WahaId
    from_: str | None = Field(default=None, alias="from")
    from_me: bool | None = None
    ack: int = Field(ge=-32768, le=32767)
    ack_name: WahaId | None = None
    participant: str | None = None


class Reaction(_Model):
    """`text` is the sender's emoji (kept as sent; the API stores it sanitised)."""

    text: str
    message_id: WahaId


class MessageReactionPayload(_Model):
    id: str
    timestamp: Timestamp | None = None
    from_: WahaId = Field(alias="from")
    from_me: bool
    source: str | None = None
    reaction: Reaction


class MessageRevokedPayload(_Model):
    revoked_message_id: str | None = None
    after: MessagePayload | None = None
    before: MessagePayload | None = None


class MessageEditedPayload(MessagePayload):
    edited_message_id: str | None = None


class _Envelope(_Model):
    """The envelope; `id`/`timestamp` are absent in 2024 deliveries."""

    id: Annotated[StorableText, Field(max_length=200)] | None = None
    timestamp: EnvelopeTime | None = None
    event: Annotated[StorableText, Field(min_length=1, max_length=100)]
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


def _decode_leniently(body: bytes) -> Any:
    """What the fast decoder refuses but JavaScript writes: `JSON.stringify` escapes a lone surrogate
    (half an emoji) as `\\ud83d`. Such text is stored sanitised, not refused: a 400 would make WAHA
    retry the message forever. Still UTF-8 only, as the fast decoder."""
    try:
        return json.loads(body.decode("utf-8"))
    except ValueError as exc:
        raise WebhookNotJson(f"webhook body is not JSON: {exc}") from exc


def parse_webhook(body: bytes) -> WebhookEvent:
    """Parse a delivery's raw body into its typed event; unknown events become `GenericEvent`.

    The one validation of a delivery, for every receiver (the API's ingestion, the tests, the tools).
    """
    try:
        data = from_json(body)
    except ValueError:
        data = _decode_leniently(body)
    name = data.get("event") if isinstance(data, dict) else None
    model = _EVENT_TYPES.get(name, GenericEvent) if isinstance(name, str) else GenericEvent
    try:
        event: WebhookEvent = model.model_validate(data)  # type: ignore[assignment]
    except ValidationError as exc:
        errors = [{"loc": list(e["loc"]), "msg": e["msg"]} for e in exc.errors(include_input=False)]
        what = f"an invalid {name!r} webhook" if isinstance(name, str) else "not a WAHA envelope (no 'event')"
        raise InvalidWebhook(f"webhook body is {what}: {exc}", errors) from exc
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


def kind_of_mimetype(mimetype: str | None) -> MessageKind:
    """The kind of a media file by its mimetype; an unusual or missing mimetype is a document."""
    for prefix, kind in _MIME_PREFIXES:
        if (mimetype or "").startswith(prefix):
            return kind
    return "document"


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
    if not payload.has_media:
        return "text"
    return kind_of_mimetype(payload.media.mimetype if payload.media else None)
