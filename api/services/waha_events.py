"""Pure translation of WAHA webhook payloads into rows: chat ids, numbers, types (no I/O).

A session's status is not translated here: `conectafy.phase` is the one WAHA status → phase mapping.

The shapes themselves are `conectafy.waha.webhooks` (the one model of WAHA's deliveries, validated by
`parse_webhook`); this module only decides what a delivery means for our tables. What a contact typed
(text, file name, profile name, reaction) is not WAHA's fault nor ours: it is stored `sanitize`d rather
than refused, and a text's original length is kept when sanitising changed it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from conectafy.api.store.messages import MessageType, NewMessage
from conectafy.text import sanitize, sanitize_optional
from conectafy.waha.base import Me
from conectafy.waha.webhooks import Media, MessagePayload, kind_of_mimetype

_GROUP_SUFFIX = "@g.us"
#: A contact's profile name is the sender's content: stored sanitised and cut to this length.
MAX_NAME_LENGTH = 256
#: A message without `media` (most of them): one shared instance, not a model built per message.
_NO_MEDIA = Media()


def number_of(whatsapp_id: str) -> str:
    """`15550002222@c.us` → `15550002222` (a group keeps its whole id before the @)."""
    return whatsapp_id.split("@", 1)[0].split(":", 1)[0]


def chat_of(message: MessagePayload) -> str:
    """The conversation a message belongs to, whoever sent it."""
    if message.from_me and message.to:
        return message.to
    return message.from_


def type_of(message: MessagePayload) -> MessageType:
    """Stored type: text without media, else the media's kind by mimetype (a document when unknown)."""
    mimetype = message.media.mimetype if message.media else None
    if not message.has_media and not mimetype:
        return "text"
    return kind_of_mimetype(mimetype)


def is_storable(message: MessagePayload) -> bool:
    """A body-less, media-less message is protocol noise (e.g. an app-state key share): skip it."""
    return bool(message.body) or message.has_media or message.media is not None


def new_message(message: MessagePayload, *, me: Me | None) -> NewMessage:
    """The `messages` row of a webhook message."""
    chat_id = chat_of(message)
    own = number_of(me.id) if me else None
    sender = number_of(message.participant) if message.participant else number_of(chat_id)
    media = message.media or _NO_MEDIA
    body = sanitize_optional(message.body)
    return NewMessage(
        chat_id=chat_id,
        message_id=message.id,
        from_me=message.from_me,
        timestamp=datetime.fromtimestamp(message.timestamp, UTC),
        type=type_of(message),
        body=body,
        body_original_length=len(message.body) if message.body is not None and body != message.body else None,
        from_number=own if message.from_me else sender,
        to_number=number_of(chat_id) if message.from_me else own,
        media_url=media.url,
        media_mimetype=media.mimetype,
        media_filename=sanitize_optional(media.filename),
        ack=message.ack,
        ack_name=message.ack_name,
    )


def contact_name(message: MessagePayload) -> str | None:
    """The sender's profile name, only for an incoming 1:1 message (ours or a group member's is not
    the chat's name)."""
    if message.from_me or chat_of(message).endswith(_GROUP_SUFFIX):
        return None
    name = message.data.get("pushName") or message.data.get("notifyName")
    if not isinstance(name, str):
        return None
    return sanitize(name)[:MAX_NAME_LENGTH] or None


def preview(row: NewMessage) -> str:
    """One line for the contact list: the text, or the kind of media."""
    return row.body or f"[{row.type}]"
