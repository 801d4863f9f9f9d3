"""Chats: opaque page cursors (sending is `services.sends`)."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Annotated, Any, Protocol, TypeVar

from pydantic import Strict, TypeAdapter, ValidationError

from conectafy.api.schemas.chats import MessagePublic
from conectafy.api.schemas.validation import CursorTime, RowId
from conectafy.api.store import contacts as contacts_store
from conectafy.api.store import messages as messages_store
from conectafy.waha.client import WahaClient


class WahaDirectory(Protocol):
    """The part of the session directory sending needs (A3's `SessionDirectory.waha_client`)."""

    async def waha_client(self, session_name: str) -> WahaClient: ...


_T = TypeVar("_T")


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


#: What a cursor's values must be before they reach a query (an id past bigint or a float like 1e400
#: is a malformed cursor, not a driver error).
_MESSAGE_CURSOR: TypeAdapter[tuple[datetime, int]] = TypeAdapter(tuple[CursorTime, RowId])
_CONTACT_CURSOR: TypeAdapter[tuple[datetime, int, bool]] = TypeAdapter(
    tuple[CursorTime, RowId, Annotated[bool, Strict()]]
)


def _checked(adapter: TypeAdapter[_T], values: list[Any]) -> _T:
    try:
        return adapter.validate_python(values)
    except ValidationError as error:
        raise InvalidCursor("malformed cursor") from error


def encode_message_cursor(message: MessagePublic) -> str:
    return _encode([message.timestamp.isoformat(), message.id])


def decode_message_cursor(cursor: str) -> messages_store.MessageCursor:
    at, ident = _checked(_MESSAGE_CURSOR, _decode(cursor, 2))
    return messages_store.MessageCursor(timestamp=at, id=ident)


def encode_contact_cursor(row: dict[str, Any]) -> str:
    return _encode([row["last_message_at"].isoformat(), row["id"], row["unread_section"]])


def decode_contact_cursor(cursor: str) -> contacts_store.ContactCursor:
    at, ident, section = _checked(_CONTACT_CURSOR, _decode(cursor, 3))
    return contacts_store.ContactCursor(last_message_at=at, id=ident, unread_section=section)
