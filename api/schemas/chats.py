"""Chats: contacts, conversation pages and outgoing messages as the API shows and accepts them."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from conectafy.text import StorableText

MessageType = Literal["text", "image", "audio", "video", "document"]
#: WhatsApp's own limit for one text message is 65,536 characters.
MAX_TEXT_LENGTH = 65536


class MessagePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    session_id: UUID
    chat_id: str
    message_id: str
    from_me: bool
    from_number: str | None
    to_number: str | None
    body: str | None
    type: MessageType
    media_url: str | None = Field(
        description="The API's own, same-origin URL of the message's media file (it needs the bearer "
        "token); null when the message has none. WAHA's URL never leaves the API."
    )
    media_mimetype: str | None
    media_filename: str | None
    ack: int | None
    ack_name: str | None
    timestamp: datetime
    created_at: datetime

    @model_validator(mode="after")
    def _same_origin_media_url(self) -> Self:
        """The row keeps WAHA's URL (the media route and the S3 copier need it); callers see the route."""
        if self.media_url is not None:
            self.media_url = media_route(self.session_id, self.id)
        return self


def media_route(session_id: UUID | str, message_row_id: int) -> str:
    """The API's own URL of a message's media file (the one source of it, for REST and live events)."""
    return f"/api/sessions/{session_id}/messages/{message_row_id}/media"


class MessagePage(BaseModel):
    """Newest first; pass `next_cursor` as `before` for older messages (null: no more)."""

    items: list[MessagePublic]
    next_cursor: str | None


class ContactPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    session_id: UUID
    phone_number: str
    chat_id: str
    name: str | None
    last_message_at: datetime
    last_message_preview: str | None
    unread_count: int
    created_at: datetime


class ContactPage(BaseModel):
    """Recent (or unread) first; pass `next_cursor` as `cursor` for the next page (null: no more)."""

    items: list[ContactPublic]
    next_cursor: str | None


class TextMessageCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: StorableText = Field(min_length=1, max_length=MAX_TEXT_LENGTH)
    #: The serialized id of the message this one answers (`false_<chat>_<id>`).
    reply_to: StorableText | None = Field(default=None, max_length=256)


class ReadReceipt(BaseModel):
    """The answer of mark-read: which chat, and its unread count now."""

    chat_id: str
    unread_count: int
