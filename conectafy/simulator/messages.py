"""Messages of the simulated number in WAHA's NOWEB shapes (CONTRACT.md §6.6, samples).

Payloads are the WAMessage objects WAHA puts in `message`/`message.any` webhooks and returns from
`GET /api/{session}/chats/{chatId}/messages`; `raw_result` is the Baileys object `send*` answers with.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from conectafy.simulator.media import MediaFile

ACK_NAMES = {-1: "ERROR", 0: "PENDING", 1: "SERVER", 2: "DEVICE", 3: "READ", 4: "PLAYED"}
_MESSAGE_KEYS = {
    "image": "imageMessage",
    "audio": "audioMessage",
    "video": "videoMessage",
    "document": "documentMessage",
}


def new_wa_id() -> str:
    """A WhatsApp message id like Baileys makes them (`3EB0` + 18 hex digits)."""
    return "3EB0" + secrets.token_hex(9).upper()


def phone_of(chat_id: str) -> str:
    return chat_id.split("@", 1)[0]


def c_us(chat_id: str) -> str:
    return f"{phone_of(chat_id)}@c.us"


def s_whatsapp(chat_id: str) -> str:
    return f"{phone_of(chat_id)}@s.whatsapp.net"


@dataclass
class SimMessage:
    """One message of the history, in or out; `media` is the stored file when it has one."""

    chat_id: str
    wa_id: str
    from_me: bool
    kind: str
    text: str | None
    timestamp: int = field(default_factory=lambda: int(time.time()))
    media: MediaFile | None = None
    filename: str | None = None
    push_name: str | None = None
    reply_to: str | None = None
    ack: int = 2
    source: str = "app"

    @property
    def id(self) -> str:
        return f"{'true' if self.from_me else 'false'}_{c_us(self.chat_id)}_{self.wa_id}"


def _content(message: SimMessage, *, binary_as_buffer: bool) -> dict[str, Any]:
    """The Baileys `message` object: text as conversation/extendedText, media as *Message."""
    if message.kind == "text" or message.media is None:
        if message.from_me:
            return {"extendedTextMessage": {"text": message.text or ""}}
        return {"conversation": message.text or ""}
    digest = base64.b64encode(hashlib.sha256(message.media.data).digest()).decode()
    sha: Any = {"type": "Buffer", "data": digest} if binary_as_buffer else digest
    size: Any = len(message.media.data) if binary_as_buffer else str(len(message.media.data))
    body: dict[str, Any] = {"mimetype": message.media.mimetype, "fileSha256": sha, "fileLength": size}
    if message.kind in ("image", "video", "document") and message.text:
        body["caption"] = message.text
    if message.kind == "audio":
        body.update(seconds=1, ptt=True)
    if message.kind == "document":
        body.update(title=message.filename, fileName=message.filename)
    return {_MESSAGE_KEYS[message.kind]: body}


def _data(message: SimMessage, *, binary_as_buffer: bool) -> dict[str, Any]:
    key = {"remoteJid": s_whatsapp(message.chat_id), "fromMe": message.from_me, "id": message.wa_id}
    content = _content(message, binary_as_buffer=binary_as_buffer)
    if message.from_me:
        return {
            "key": key,
            "message": content,
            "messageTimestamp": str(message.timestamp),
            "status": "PENDING",
        }
    key.update(participant="", addressingMode="pn")
    return {
        "key": key,
        "messageTimestamp": message.timestamp,
        "pushName": message.push_name,
        "broadcast": False,
        "message": content,
        "status": 3,
    }


def payload(message: SimMessage, files_url: str, *, binary_as_buffer: bool = False) -> dict[str, Any]:
    """The WAMessage of `message` (webhook form; REST lists use Buffer objects for binary fields)."""
    media = None
    if message.media is not None:
        media = {
            "url": f"{files_url}/{message.media.name}",
            "filename": message.filename if message.kind == "document" else None,
            "mimetype": message.media.mimetype,
        }
    return {
        "id": message.id,
        "timestamp": message.timestamp,
        "from": c_us(message.chat_id),
        "fromMe": message.from_me,
        "source": message.source,
        "body": None if message.kind == "audio" else message.text,
        "hasMedia": message.media is not None,
        "media": media,
        "ack": message.ack,
        "ackName": ACK_NAMES[message.ack],
        "location": None,
        "vCards": None,
        "replyTo": None,
        "_data": _data(message, binary_as_buffer=binary_as_buffer),
    }


def raw_result(message: SimMessage) -> dict[str, Any]:
    """What `POST /api/send*` answers: the engine's raw object, not the WAMessage the spec claims."""
    return _data(message, binary_as_buffer=False)


def ack_payload(message: SimMessage) -> dict[str, Any]:
    return {
        "id": message.id,
        "from": c_us(message.chat_id),
        "fromMe": message.from_me,
        "ack": message.ack,
        "ackName": ACK_NAMES[message.ack],
    }


class History:
    """Every message per chat plus the media files, so chats/messages/files endpoints can answer."""

    def __init__(self) -> None:
        self.messages: list[SimMessage] = []
        self.files: dict[str, MediaFile] = {}

    def add(self, message: SimMessage) -> None:
        self.messages.append(message)
        if message.media is not None:
            self.files[message.media.name] = message.media

    def find(self, message_id: str) -> SimMessage | None:
        return next((m for m in self.messages if message_id in (m.id, m.wa_id)), None)

    def chats(self) -> list[dict[str, Any]]:
        """Chats by most recent activity, as NOWEB's store lists them."""
        latest: dict[str, int] = {}
        for message in self.messages:
            latest[s_whatsapp(message.chat_id)] = max(
                latest.get(s_whatsapp(message.chat_id), 0), message.timestamp
            )
        ordered = sorted(latest.items(), key=lambda item: item[1], reverse=True)
        return [{"id": chat, "conversationTimestamp": ts} for chat, ts in ordered]

    def of_chat(self, chat_id: str) -> list[SimMessage]:
        """A chat's messages, newest first (WAHA's default order)."""
        phone = phone_of(chat_id)
        mine = [m for m in self.messages if phone_of(m.chat_id) == phone]
        return list(reversed(mine))
