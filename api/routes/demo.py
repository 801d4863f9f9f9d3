"""Demo routes: `GET /api/demo` (always: is this a demo, and what is real and simulated) and the
simulated phone, mounted only when `conectafy demo` runs the API; none acts on a real deployment."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg
from fastapi import APIRouter, HTTPException, status

from ..deps import CurrentUser, DbDep, SessionDirectoryDep, SettingsDep
from ..schemas.demo import DemoPublic, PhoneAnswer, PhoneMessage, PhoneScan
from ..services import demo_phone
from ..services.sessions import SessionServiceError
from ..session_directory import SessionDirectory

router = APIRouter(prefix="/api/demo", tags=["demo (simulation)"])
REAL = ["operator", "API", "PostgreSQL", "dashboard"]
SIMULATED = ["Kubernetes API", "WAHA", "WhatsApp"]


async def _act(
    pool: asyncpg.Pool,
    directory: SessionDirectory,
    *,
    user_id: UUID,
    session_id: UUID,
    action: str,
    body: dict[str, Any],
) -> Any:
    """One simulator action on the caller's own session; unset fields are left out of its body."""
    try:
        return await demo_phone.act(
            pool,
            directory,
            user_id=user_id,
            session_id=session_id,
            action=action,
            body={key: value for key, value in body.items() if value is not None},
        )
    except SessionServiceError as error:
        raise HTTPException(error.status_code, str(error)) from error


def _answer(body: Any) -> PhoneAnswer:
    body = body if isinstance(body, dict) else {}
    return PhoneAnswer(status=body.get("status"), message_id=body.get("id"))


#: Always mounted: the dashboard asks whether it runs in a demo (the phone routes exist only then).
info_router = APIRouter(prefix="/api/demo", tags=["demo (simulation)"])


@info_router.get("")
async def demo_info(settings: SettingsDep) -> DemoPublic:
    """Whether this API runs as `conectafy demo`; in a demo, what is real and what is simulated."""
    if not settings.demo:
        return DemoPublic(demo=False, real=[], simulated=[])
    return DemoPublic(real=REAL, simulated=SIMULATED)


@router.post("/sessions/{session_id}/phone/scan")
async def phone_scan(
    session_id: UUID,
    user: CurrentUser,
    pool: DbDep,
    directory: SessionDirectoryDep,
    body: PhoneScan | None = None,
) -> PhoneAnswer:
    """Simulation: the phone scans this session's QR code."""
    scan = {"phone": body.phone, "pushName": body.push_name} if body else {}
    answer = await _act(pool, directory, user_id=user.id, session_id=session_id, action="scan", body=scan)
    return _answer(answer)


@router.post("/sessions/{session_id}/phone/messages", status_code=status.HTTP_201_CREATED)
async def phone_message(
    session_id: UUID, body: PhoneMessage, user: CurrentUser, pool: DbDep, directory: SessionDirectoryDep
) -> PhoneAnswer:
    """Simulation: a contact sends a text, an image or a document to this number."""
    if body.type == "text" and not (body.text or "").strip():
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, "A text message needs text.")
    message = {
        "from": body.contact,
        "type": body.type,
        "text": body.text,
        "filename": body.filename,
        "pushName": body.contact_name,
    }
    answer = await _act(
        pool, directory, user_id=user.id, session_id=session_id, action="messages", body=message
    )
    return PhoneAnswer(status="WORKING", message_id=(answer or {}).get("id"))


@router.post("/sessions/{session_id}/phone/logout")
async def phone_logout(
    session_id: UUID, user: CurrentUser, pool: DbDep, directory: SessionDirectoryDep
) -> PhoneAnswer:
    """Simulation: on the phone, Linked devices → this device → Log out (WAHA reports FAILED)."""
    answer = await _act(pool, directory, user_id=user.id, session_id=session_id, action="unlink", body={})
    return _answer(answer)
