"""Sessions as the API accepts and shows them; a session is a WhatsAppSession resource plus its row."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from conectafy.session import NAME_PATTERN, Engine
from conectafy.text import StorableText

#: The resource name is `<name>-<5 random chars>` and must stay within NAME_PATTERN's 52 characters.
MAX_NAME_LENGTH = 46


class SessionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(
        pattern=NAME_PATTERN,
        max_length=MAX_NAME_LENGTH,
        description="Lower-case letters, digits and dashes, starting with a letter; a short random "
        "suffix is added to make the resource name unique in the cluster.",
        examples=["support"],
    )
    engine: Engine = Field(default=Engine.GOWS, description="WAHA engine: GOWS (default), NOWEB or WEBJS.")
    display_name: StorableText | None = Field(
        default=None,
        min_length=1,
        max_length=120,
        description="Shown in the dashboard; defaults to the name.",
    )


class SessionPublic(BaseModel):
    """A session as the projection of its WhatsAppSession resource shows it (phase: the operator's)."""

    id: UUID
    name: str = Field(description="The WhatsAppSession resource name.")
    namespace: str | None = Field(default=None, description="The resource's namespace.")
    display_name: str | None
    engine: str | None
    status: Literal["disconnected", "connecting", "connected", "error"]
    phase: str | None = Field(description="The resource's `.status.phase`: what the dashboard shows.")
    wa_status: str | None = Field(default=None, description="WAHA's own status, as the operator last saw it.")
    paused: bool | None = Field(default=None, description="Stopped on purpose (`spec.paused`).")
    phone_number: str | None
    push_name: str | None
    conditions: list[dict[str, Any]] = Field(default_factory=list)
    reason: str | None = Field(
        default=None,
        description="The Connected condition's reason; `DeviceUnlinked`: re-pair this number.",
    )
    created_at: datetime
    updated_at: datetime
    last_connected_at: datetime | None


class PairingCodeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    phone_number: str = Field(
        pattern=r"^\+?[0-9]{6,15}$",
        validation_alias=AliasChoices("phone_number", "phoneNumber"),
        description="The number to link, international format, digits only (a leading + is allowed).",
        examples=["15550001111"],
    )


class PairingCodePublic(BaseModel):
    code: str = Field(description="Type it on the phone: WhatsApp → Linked devices → Link with phone number.")


class QrRawPublic(BaseModel):
    value: str = Field(description="The string the QR code encodes; it rotates about every 60 seconds.")
