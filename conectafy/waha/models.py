"""Pydantic models of what Conectafy reads from and sends to WAHA's HTTP API (CONTRACT.md §4).

Field names are snake_case in Python and WAHA's camelCase on the wire. Response models allow extra
fields so that a newer WAHA adding keys never breaks us, and keep them so nothing is lost when a
config is read, changed and written back.
"""

from __future__ import annotations

import base64
import re
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from conectafy.waha.base import Me, WahaModel
from conectafy.waha.status import WahaStatus
from conectafy.waha.webhooks import MessagePayload

__all__ = [
    "CHAT_ID",
    "PHONE_DIGITS",
    "SESSION_NAME",
    "Chat",
    "ChatMessage",
    "CustomHeader",
    "EngineInfo",
    "HmacConfig",
    "Me",
    "MediaContent",
    "MediaFile",
    "PairingCode",
    "QrImage",
    "QrValue",
    "RetriesConfig",
    "SentMessage",
    "ServerVersion",
    "SessionConfig",
    "SessionInfo",
    "WahaModel",
    "WebhookConfig",
    "media_path",
]


class ServerVersion(WahaModel):
    """`GET /api/server/version`; 2024 builds omit `platform` and `worker`."""

    version: str
    engine: str
    tier: str
    browser: str | None = None
    platform: str | None = None


class HmacConfig(WahaModel):
    """Key WAHA signs webhook bodies with (HMAC-SHA512); hidden from reprs and logs."""

    key: str = Field(min_length=1, repr=False)


class RetriesConfig(WahaModel):
    """How WAHA re-sends a webhook the receiver did not accept (CONTRACT.md §6.4)."""

    policy: Literal["constant", "linear", "exponential"] | None = None
    delay_seconds: int | float | None = Field(default=None, ge=0)
    attempts: int | None = Field(default=None, ge=0)


class CustomHeader(WahaModel):
    name: str = Field(min_length=1)
    value: str


class WebhookConfig(WahaModel):
    """One per-session webhook; WAHA rejects a URL without a scheme with 400, so we do it first."""

    url: str
    events: list[str] = Field(min_length=1)
    hmac: HmacConfig | None = None
    retries: RetriesConfig | None = None
    custom_headers: list[CustomHeader] | None = None

    @field_validator("url")
    @classmethod
    def _url_has_scheme(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise ValueError(f"webhook url must be an absolute http(s) URL, got {value!r}")
        return value


class SessionConfig(WahaModel):
    """`config` of a session; engine blocks (`noweb`, `gows`, `proxy`...) pass through untouched."""

    webhooks: list[WebhookConfig] = Field(default_factory=list)
    metadata: dict[str, str] | None = None


class EngineInfo(WahaModel):
    """`engine` of a session: `{}` while stopped, `{"engine": "NOWEB"}` (+ engine details) when running."""

    engine: str | None = None


class SessionInfo(WahaModel):
    """One session as `GET /api/sessions[/{name}]` returns it; list items have no `engine`."""

    name: str
    status: WahaStatus
    config: SessionConfig | None = None
    me: Me | None = None
    engine: EngineInfo | None = None


class QrImage(WahaModel):
    """`GET /api/{s}/auth/qr` with `Accept: application/json`: the PNG, base64-encoded."""

    mimetype: str
    data: str


class QrValue(WahaModel):
    """`GET /api/{s}/auth/qr?format=raw`: the string the QR encodes (rotates every 60 s)."""

    value: str = Field(min_length=1)


class PairingCode(WahaModel):
    """`POST /api/{s}/auth/request-code`: the 8-character code the user types on the phone."""

    code: str = Field(min_length=1)


_SERVER_SUFFIX = "@s.whatsapp.net"


class SentMessage(BaseModel):
    """What a send endpoint answered: the engine's raw object, kept whole (CONTRACT.md §8.2).

    NOWEB answers a Baileys object whose WhatsApp id is `key.id`; WEBJS answers a message whose
    `id` is an object with `id`/`_serialized`. `id` is the serialized form webhooks use.
    """

    model_config = ConfigDict(frozen=True)

    chat_id: str
    raw: dict[str, Any]

    @property
    def key_id(self) -> str | None:
        """WhatsApp's own message id (`3EB0…`), whichever engine answered."""
        key = self.raw.get("key")
        if isinstance(key, dict) and isinstance(key.get("id"), str):
            return str(key["id"])
        ident = self.raw.get("id")
        if isinstance(ident, dict) and isinstance(ident.get("id"), str):
            return str(ident["id"])
        if isinstance(ident, str) and ident.count("_") >= 2:
            return ident.split("_")[2]
        return None

    @property
    def id(self) -> str | None:
        """`true_<chatId>_<key.id>`: the id `message.any`/`message.ack` webhooks carry."""
        ident = self.raw.get("id")
        if isinstance(ident, str) and ident.startswith("true_"):
            return ident
        if isinstance(ident, dict) and isinstance(ident.get("_serialized"), str):
            return str(ident["_serialized"])
        key_id = self.key_id
        if key_id is None:
            return None
        chat = self.chat_id
        if chat.endswith(_SERVER_SUFFIX):
            chat = chat.removesuffix(_SERVER_SUFFIX) + "@c.us"
        return f"true_{chat}_{key_id}"


class MediaContent(BaseModel):
    """A downloaded media file: its bytes and the Content-Type WAHA served it with."""

    model_config = ConfigDict(frozen=True)

    content: bytes = Field(repr=False)
    content_type: str | None = None


class MediaFile(BaseModel):
    """A file to send: either a URL WAHA downloads itself or the bytes inline as base64."""

    model_config = ConfigDict(extra="forbid")

    mimetype: str = Field(pattern=r"^[\w.+-]+/[\w.+-]+(\s*;.*)?$")
    filename: str | None = None
    url: str | None = None
    data: str | None = Field(default=None, repr=False)

    @model_validator(mode="after")
    def _exactly_one_source(self) -> MediaFile:
        if (self.url is None) == (self.data is None):
            raise ValueError("a media file needs exactly one of `url` or `data`")
        if self.data is not None and not _is_base64(self.data):
            raise ValueError("`data` must be base64-encoded file content")
        return self

    @classmethod
    def from_bytes(cls, content: bytes, mimetype: str, filename: str | None = None) -> MediaFile:
        return cls(mimetype=mimetype, filename=filename, data=base64.b64encode(content).decode("ascii"))

    def to_waha(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)


def _is_base64(value: str) -> bool:
    try:
        base64.b64decode(value, validate=True)
    except ValueError:
        return False
    return True


class Chat(WahaModel):
    """One chat of `GET /api/{s}/chats`; the engine's raw object (NOWEB: id + conversationTimestamp)."""

    id: str
    name: str | None = None
    conversation_timestamp: int | None = None

    @property
    def chat_id(self) -> str:
        """The id the messages endpoint and webhooks use: NOWEB lists a 1:1 chat as
        `<number>@s.whatsapp.net` but its messages as `<number>@c.us`."""
        if self.id.endswith(_SERVER_SUFFIX):
            return self.id.removesuffix(_SERVER_SUFFIX) + "@c.us"
        return self.id


#: A message of chat history: WAHA returns the same WAMessage it sends in `message` webhooks, so the
#: webhook payload model is the one source of truth for both.
ChatMessage = MessagePayload


#: Session names WAHA accepts; anything else could smuggle another path into a URL.
SESSION_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
#: `<user>@<server>` WhatsApp ids (c.us, s.whatsapp.net, g.us, lid, newsletter, broadcast).
CHAT_ID = re.compile(r"^[A-Za-z0-9_.:+-]+@[a-z.]+$")
#: A phone number in international format, digits only (WAHA's `phoneNumber`).
PHONE_DIGITS = re.compile(r"^[0-9]{6,15}$")
#: WAHA's media file route; the file is `<waId>.<ext>` (CONTRACT.md §6.7): no slashes, no escapes.
_MEDIA_PATH = re.compile(r"/api/files/(?P<session>[^/]+)/(?P<file>[A-Za-z0-9_.-]{1,200})")


def media_path(media_url: str) -> str:
    """`<any WAHA_BASE_URL>/api/files/<session>/<file>` -> `/api/files/<session>/<file>`, else ValueError.

    Only the path is kept, so a media URL can never make us call another host (or another WAHA route).
    """
    match = _MEDIA_PATH.fullmatch(urlsplit(media_url).path)
    if match is None or match["file"].startswith(".") or not SESSION_NAME.fullmatch(match["session"]):
        raise ValueError(f"not a WAHA media URL (/api/files/<session>/<file>): {media_url!r}")
    return match.group(0)
