"""The control API under `/_sim/` (a prefix WAHA never uses): what the phone and WhatsApp do.

Tests drive the simulated phone here — scan the QR, send messages of every type, read receipts,
unlink — and read back what "the phone" received and every webhook delivery attempt.
"""

from __future__ import annotations

import base64
from typing import Annotated, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from conectafy.simulator.core import SimulatedWaha
from conectafy.simulator.deps import SimDep
from conectafy.simulator.errors import WahaJSON, nest
from conectafy.simulator.media import default_media
from conectafy.simulator.messages import SimMessage, new_wa_id, payload
from conectafy.waha.status import WahaStatus

router = APIRouter(prefix="/_sim")
Kind = Literal["text", "image", "audio", "video", "document"]
ACKS = {"SERVER": 1, "DEVICE": 2, "READ": 3, "PLAYED": 4, "ERROR": -1}


class ScanRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    phone: Annotated[str | None, Field(pattern=r"^\d{6,15}$")] = None
    pushName: str | None = None


class InboundMessage(BaseModel):
    """A message a contact sends to the number; media bytes are generated unless given (base64)."""

    model_config = ConfigDict(extra="forbid")
    from_: Annotated[str, Field(alias="from", pattern=r"^\d{6,15}(@c\.us|@s\.whatsapp\.net)?$")]
    type: Kind = "text"
    text: str | None = None
    filename: str | None = None
    mimetype: str | None = None
    data: str | None = Field(default=None, description="base64 file content")
    pushName: str = "Alice"
    timestamp: int | None = None
    deliver: bool = Field(default=True, description="false: history only, no webhook (missed while down)")


class AckRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    messageId: str
    ack: Literal["SERVER", "DEVICE", "READ", "PLAYED", "ERROR"] = "DEVICE"


class ReactionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    from_: Annotated[str, Field(alias="from")]
    messageId: str
    text: str = "👍"


class PasskeyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Literal["PASSKEY_REQUIRED", "PASSKEY_CONFIRMATION_REQUIRED"] = "PASSKEY_REQUIRED"


def _require(sim: SimulatedWaha, allowed: set[WahaStatus], action: str) -> None:
    if sim.session.status not in allowed or not sim.session.exists:
        raise nest(422, f"cannot {action} while the session is {sim.session.status.value}")


@router.post("/scan")
async def scan(sim: SimDep, request: ScanRequest | None = None) -> WahaJSON:
    """The phone links this device (QR scanned, pairing code entered or passkey confirmed)."""
    allowed = {WahaStatus.SCAN_QR_CODE, WahaStatus.PASSKEY_REQUIRED, WahaStatus.PASSKEY_CONFIRMATION_REQUIRED}
    _require(sim, allowed, "scan")
    request = request or ScanRequest()
    sim.session.scan(request.phone or sim.config.phone_number, request.pushName or sim.config.push_name)
    return WahaJSON({"status": sim.session.status.value, "me": sim.session.me})


@router.post("/qr/rotate")
async def rotate_qr(sim: SimDep) -> WahaJSON:
    _require(sim, {WahaStatus.SCAN_QR_CODE}, "rotate the QR")
    sim.session.rotate_qr()
    return WahaJSON({"status": sim.session.status.value, "value": sim.session.qr_value})


@router.post("/messages")
async def inbound_message(sim: SimDep, request: InboundMessage) -> WahaJSON:
    """A contact sends a message; returns the WAMessage payload WAHA delivers."""
    _require(sim, {WahaStatus.WORKING}, "receive messages")
    wa_id, media, kind = new_wa_id(), None, request.type
    if kind != "text":
        generated, mimetype = default_media(kind, request.filename)
        data = base64.b64decode(request.data) if request.data is not None else generated
        media = sim.store_media(wa_id, data, request.mimetype or mimetype)
    filename = (request.filename or "document.pdf") if kind == "document" else None
    message = SimMessage(
        request.from_,
        wa_id,
        False,
        kind,
        request.text,
        media=media,
        filename=filename,
        push_name=request.pushName,
    )
    if request.timestamp is not None:
        message.timestamp = request.timestamp
    return WahaJSON(sim.receive(message, deliver=request.deliver), status_code=201)


@router.post("/acks")
async def ack(sim: SimDep, request: AckRequest) -> WahaJSON:
    """The recipient's phone confirms one of our messages (DEVICE delivered, READ seen...)."""
    message = sim.history.find(request.messageId)
    if message is None or not message.from_me:
        raise nest(404, f"no message of ours with id {request.messageId}")
    return WahaJSON(sim.set_ack(message, ACKS[request.ack]))


@router.post("/reactions")
async def reaction(sim: SimDep, request: ReactionRequest) -> WahaJSON:
    _require(sim, {WahaStatus.WORKING}, "react")
    return WahaJSON(sim.react(request.from_, request.messageId, request.text, None), status_code=201)


@router.post("/unlink")
async def unlink(sim: SimDep) -> WahaJSON:
    """The phone removed the linked device: FAILED; only logout (new QR) recovers."""
    _require(sim, {WahaStatus.WORKING}, "unlink")
    sim.session.unlink()
    return WahaJSON({"status": sim.session.status.value})


@router.post("/fail")
async def fail(sim: SimDep) -> WahaJSON:
    """The engine failed but kept its creds: restart returns to WORKING without a QR."""
    _require(sim, {s for s in WahaStatus if s != WahaStatus.STOPPED}, "fail")
    sim.session.fail()
    return WahaJSON({"status": sim.session.status.value})


@router.post("/disconnect")
async def disconnect(sim: SimDep) -> WahaJSON:
    """WhatsApp becomes unreachable: STARTING until `/_sim/reconnect`."""
    _require(sim, {WahaStatus.WORKING}, "disconnect")
    sim.session.disconnect()
    return WahaJSON({"status": sim.session.status.value})


@router.post("/reconnect")
async def reconnect(sim: SimDep) -> WahaJSON:
    _require(sim, {WahaStatus.STARTING}, "reconnect")
    sim.session.reconnect()
    return WahaJSON({"status": sim.session.status.value})


@router.post("/passkey")
async def passkey(sim: SimDep, request: PasskeyRequest | None = None) -> WahaJSON:
    """Enter a passkey state (2026.7+, GOWS); `/_sim/scan` confirms it."""
    _require(sim, {WahaStatus.STARTING, WahaStatus.SCAN_QR_CODE}, "ask for a passkey")
    sim.session.passkey(WahaStatus((request or PasskeyRequest()).status))
    return WahaJSON({"status": sim.session.status.value})


@router.get("/sent")
async def sent(sim: SimDep) -> WahaJSON:
    """What the phone's contacts received from us through the API, oldest first."""
    ours = [m for m in sim.history.messages if m.from_me and m.source == "api"]
    return WahaJSON([payload(m, sim.files_url) for m in ours])


@router.get("/webhooks")
async def webhooks(sim: SimDep) -> WahaJSON:
    """Every delivery attempt (request id, event id, url, attempt, status code or error)."""
    return WahaJSON([record.public() for record in sim.sender.log])


@router.get("/events")
async def events(sim: SimDep) -> WahaJSON:
    """Every envelope queued for delivery, oldest first."""
    return WahaJSON(sim.sender.sent)
