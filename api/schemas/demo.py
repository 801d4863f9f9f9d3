"""Bodies of the demo-only routes (/api/demo): the simulated phone's actions."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

Digits = Annotated[str, Field(pattern=r"^\d{6,15}$", examples=["15550002222"])]


class DemoPublic(BaseModel):
    """What the banner says: which parts are real and which are simulated."""

    demo: bool = True
    real: list[str]
    simulated: list[str]


class PhoneScan(BaseModel):
    """The phone scans the QR (or confirms the pairing code), linking this number."""

    model_config = ConfigDict(extra="forbid")
    phone: Digits | None = None
    push_name: str | None = Field(default=None, max_length=60)


class PhoneMessage(BaseModel):
    """A contact sends a message to this number; images and documents get generated content."""

    model_config = ConfigDict(extra="forbid")
    contact: Digits
    contact_name: str = Field(default="Demo contact", min_length=1, max_length=60)
    type: Literal["text", "image", "document"] = "text"
    text: str | None = Field(default=None, max_length=4096)
    filename: str | None = Field(default=None, max_length=120, pattern=r"^[^/\\]+$")


class PhoneAnswer(BaseModel):
    """The simulator's answer: the session's WAHA status after the action (and the message id, if any)."""

    status: str | None = None
    message_id: str | None = None
