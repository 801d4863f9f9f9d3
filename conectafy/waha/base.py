"""The base of every WAHA model, and the one shape both WAHA's HTTP answers and its webhooks carry (`me`).

It sits below `webhooks` (deliveries) and `models` (HTTP API) so both build on it without importing each
other in a circle: base <- webhooks <- models <- client.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from conectafy.text import StorableText


class WahaModel(BaseModel):
    """snake_case in Python, WAHA's camelCase on the wire; unknown keys kept (WAHA adds fields between
    releases, and a config read, changed and written back must lose nothing)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="allow")

    def to_waha(self) -> dict[str, Any]:
        """The JSON body WAHA expects: camelCase keys, unset optionals left out."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class Me(WahaModel):
    """The WhatsApp account a session is logged in as (`GET /me`, `SessionInfo.me`, every envelope's
    `me`); `lid` exists from 2026 builds on."""

    id: Annotated[StorableText, Field(max_length=512)]
    push_name: str | None = None
    lid: str | None = None

    @property
    def phone_number(self) -> str:
        """Digits of the account's number (`15550001111@c.us` -> `15550001111`)."""
        return self.id.split("@", 1)[0]
