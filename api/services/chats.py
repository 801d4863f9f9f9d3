"""Chats: opaque page cursors (sending is `services.sends`)."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any, Protocol

from conectafy.api.schemas.chats import MessagePublic
from conectafy.api.store import contacts as contacts_store
from conectafy.api.store import messages as messages_store
from conectafy.waha.client import WahaClient


class WahaDirectory(Protocol):
    """The part of the session directory sending needs (A3's `SessionDirectory.waha_client`)."""

    async def waha_client(self, session_name: str) -> WahaClient: ...


class InvalidCursor(ValueError):
    """A `cursor`/`before` value this API did not hand out."""


def _encode(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode(cursor: str, size: int) -> list[Any]:
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, UnicodeDecodeError, json.JSONDecodeError, ValueError) as error:
        raise InvalidCursor("malformed cursor") from error
    if not isinstance(values, list) or len(values) != size:
        raise InvalidCursor("malformed cursor")
    return values


def encode_message_cursor(message: MessagePublic) -> str:
    return _encode([message.timestamp.isoformat(), message.id])


def decode_message_cursor(cursor: str) -> messages_store.MessageCursor:
    at, ident = _decode(cursor, 2)
    try:
        return messages_store.MessageCursor(timestamp=datetime.fromisoformat(at), id=int(ident))
    except (TypeError, ValueError) as error:
        raise InvalidCursor("malformed cursor") from error


def encode_contact_cursor(row: dict[str, Any]) -> str:
    return _encode([row["last_message_at"].isoformat(), row["id"], row["unread_section"]])


def decode_contact_cursor(cursor: str) -> contacts_store.ContactCursor:
    at, ident, section = _decode(cursor, 3)
    try:
        return contacts_store.ContactCursor(
            last_message_at=datetime.fromisoformat(at), id=int(ident), unread_section=bool(section)
        )
    except (TypeError, ValueError) as error:
        raise InvalidCursor("malformed cursor") from error
