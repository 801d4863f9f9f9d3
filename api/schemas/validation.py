"""Reusable edge types: every id, cursor, resume point and text field is checked here, before any query.

A value PostgreSQL would refuse (a NUL, a number past `bigint`, an infinite float) must be a 4xx naming
the field, never a 500 from the database driver. Route parameters use these types directly; values decoded
later (cursors) raise `field_error`, which has exactly the body of FastAPI's own 422.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import HTTPException
from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Field

from conectafy.text import StorableText

__all__ = ["BigInt", "CursorTime", "EventPosition", "RowId", "StorableText", "field_error"]

#: The largest PostgreSQL `bigint`.
MAX_BIGINT = 2**63 - 1
_ASCII_DIGITS = re.compile(r"[0-9]{1,19}")


def _ascii_digits(value: Any) -> Any:
    """Digits as text must be ASCII (`int()` alone accepts `²` or `٣`); an empty string means absent."""
    if isinstance(value, str):
        if value == "":
            return None
        if not _ASCII_DIGITS.fullmatch(value):
            raise ValueError("must be a number of at most 19 ASCII digits")
    return value


#: Any value of a `bigint` column.
BigInt = Annotated[int, Field(ge=-MAX_BIGINT - 1, le=MAX_BIGINT)]
#: A row id (`bigint` identity): positive, within `bigint`.
RowId = Annotated[int, Field(ge=1, le=MAX_BIGINT)]
#: An SSE resume point (`Last-Event-ID`): ASCII digits within `bigint`; empty means "from now".
EventPosition = Annotated[int | None, BeforeValidator(_ascii_digits), Field(ge=0, le=MAX_BIGINT)]


def _in_utc(value: datetime) -> datetime:
    """The same instant in UTC; an instant before year 1 or after 9999 in UTC is not a time we store."""
    try:
        return value.astimezone(UTC)
    except OverflowError as error:
        raise ValueError("is out of range") from error


#: A time inside a page cursor: aware (the API only hands out UTC times) and representable in UTC.
CursorTime = Annotated[AwareDatetime, AfterValidator(_in_utc)]


def field_error(loc: Sequence[str | int], msg: str, type: str = "value_error") -> HTTPException:
    """A 422 shaped like FastAPI's validation errors, for a value checked after FastAPI's own pass."""
    return HTTPException(422, [{"loc": list(loc), "msg": msg, "type": type}])
