"""Text PostgreSQL can store: no NUL (U+0000) and no unpaired surrogate (U+D800 to U+DFFF).

PostgreSQL refuses both in `text` and `jsonb`, so a value holding one must never reach a query. Input a
caller controls is refused at the edge (`StorableText`, a 422 naming the field); content a third party
sent (a contact's WhatsApp text) is not the caller's fault and is stored `sanitize`d instead.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator

_NUL = "\x00"
_SURROGATE = re.compile("[\ud800-\udfff]")
#: What replaces an unpaired surrogate when content is sanitised (the Unicode replacement character).
REPLACEMENT = "\ufffd"


def check_storable(value: str) -> str:
    """`value` unchanged, or ValueError saying which code point PostgreSQL would refuse."""
    if _NUL in value:
        raise ValueError("must not contain the NUL character (U+0000)")
    if not value.isascii() and _SURROGATE.search(value):  # isascii() is a flag: ids skip the search
        raise ValueError("must not contain unpaired surrogates (U+D800 to U+DFFF)")
    return value


def sanitize(value: str) -> str:
    """`value` without NUL characters and with unpaired surrogates replaced (storable as is)."""
    if _NUL in value:
        value = value.replace(_NUL, "")
    return value if value.isascii() else _SURROGATE.sub(REPLACEMENT, value)


def sanitize_optional(value: str | None) -> str | None:
    return None if value is None else sanitize(value)


#: A string PostgreSQL can store; anything else is a validation error on that field.
StorableText = Annotated[str, AfterValidator(check_storable)]
