"""`/api/sessions`: a user's WhatsApp numbers. Thin: each route is one call into the sessions services.

Another user's session answers exactly like a missing one (404), on every route.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, HTTPException, Query, Response, status

from ..deps import CurrentUser, DbDep, KubeDep, SessionDirectoryDep, SessionMirrorDep, SettingsDep
from ..schemas.sessions import (
    PairingCodeCreate,
    PairingCodePublic,
    QrRawPublic,
    SessionCreate,
    SessionPublic,
)
from ..services import session_waha
from ..services import sessions as service

router = APIRouter(prefix="/api/sessions", tags=["sessions"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such session (or not yours)"},
    503: {"description": "Kubernetes or the session's WAHA is not reachable"},
}


@contextmanager
def _http_errors() -> Iterator[None]:
    """Service errors carry their status and a message meant for the user."""
    try:
        yield
    except service.SessionServiceError as error:
        raise HTTPException(error.status_code, str(error)) from error


@router.post("", status_code=status.HTTP_201_CREATED, responses={403: {"description": "Quota reached"}})
async def create_session(
    body: SessionCreate,
    user: CurrentUser,
    pool: DbDep,
    kube: KubeDep,
    mirror: SessionMirrorDep,
    settings: SettingsDep,
) -> SessionPublic:
    """Create a WhatsApp number: a WhatsAppSession resource (the operator starts its WAHA) and its row."""
    with _http_errors():
        return await service.create_session(
            pool, kube, mirror, user_id=user.id, data=body, quota=settings.session_quota_per_user
        )


@router.get("")
async def list_sessions(user: CurrentUser, pool: DbDep) -> list[SessionPublic]:
    """The user's numbers with their live status: the projection of the resources (kubectl's too)."""
    return await service.list_sessions(pool, user_id=user.id)


@router.get("/{session_id}", responses=_ERRORS)
async def get_session(session_id: UUID, user: CurrentUser, pool: DbDep) -> SessionPublic:
    """The session with its live status, as projected from the resource."""
    with _http_errors():
        return await service.get_session(pool, user_id=user.id, session_id=session_id)


@router.delete("/{session_id}", status_code=status.HTTP_204_NO_CONTENT, responses=_ERRORS)
async def delete_session(
    session_id: UUID, user: CurrentUser, pool: DbDep, kube: KubeDep, mirror: SessionMirrorDep
) -> None:
    """Delete the number: the operator logs WAHA out and removes it; the messages go with the row."""
    with _http_errors():
        await service.delete_session(pool, kube, mirror, user_id=user.id, session_id=session_id)


@router.post("/{session_id}/stop", responses=_ERRORS)
async def stop_session(
    session_id: UUID, user: CurrentUser, pool: DbDep, kube: KubeDep, mirror: SessionMirrorDep
) -> SessionPublic:
    """Scale WAHA to zero (spec.paused=true); the WhatsApp login is kept."""
    with _http_errors():
        return await service.patch_session(
            pool, kube, mirror, user_id=user.id, session_id=session_id, patch=service.paused_patch(True)
        )


@router.post("/{session_id}/start", responses=_ERRORS)
async def start_session(
    session_id: UUID, user: CurrentUser, pool: DbDep, kube: KubeDep, mirror: SessionMirrorDep
) -> SessionPublic:
    with _http_errors():
        return await service.patch_session(
            pool, kube, mirror, user_id=user.id, session_id=session_id, patch=service.paused_patch(False)
        )


@router.post("/{session_id}/restart", responses=_ERRORS)
async def restart_session(
    session_id: UUID, user: CurrentUser, pool: DbDep, kube: KubeDep, mirror: SessionMirrorDep
) -> SessionPublic:
    """Roll the WAHA pod (annotation conectafy.io/restartedAt); the login is kept."""
    with _http_errors():
        return await service.patch_session(
            pool, kube, mirror, user_id=user.id, session_id=session_id, patch=service.restart_patch()
        )


@router.post("/{session_id}/logout", status_code=status.HTTP_204_NO_CONTENT, responses=_ERRORS)
async def logout_session(
    session_id: UUID, user: CurrentUser, pool: DbDep, directory: SessionDirectoryDep
) -> None:
    """Unlink the phone from this number; WAHA then shows a new QR code."""
    with _http_errors():
        await session_waha.logout(pool, directory, user_id=user.id, session_id=session_id)


@router.get(
    "/{session_id}/qr",
    responses={
        **_ERRORS,
        200: {"content": {"image/png": {}, "application/json": {}}},
        409: {"description": "Not waiting for a QR scan"},
    },
    response_model=None,
)
async def get_qr(
    session_id: UUID,
    user: CurrentUser,
    pool: DbDep,
    directory: SessionDirectoryDep,
    format: Annotated[Literal["image", "raw"], Query(description="image: PNG; raw: the QR's text")] = "image",
) -> Response | QrRawPublic:
    """The QR code to scan with WhatsApp (only while the session waits for one)."""
    with _http_errors():
        if format == "raw":
            return QrRawPublic(
                value=await session_waha.qr_value(pool, directory, user_id=user.id, session_id=session_id)
            )
        png = await session_waha.qr_image(pool, directory, user_id=user.id, session_id=session_id)
    return Response(png, media_type="image/png", headers={"Cache-Control": "no-store"})


@router.post(
    "/{session_id}/pairing-code", responses={**_ERRORS, 409: {"description": "Not waiting for a login"}}
)
async def request_pairing_code(
    session_id: UUID, body: PairingCodeCreate, user: CurrentUser, pool: DbDep, directory: SessionDirectoryDep
) -> PairingCodePublic:
    """A code to link the phone by number instead of scanning the QR."""
    with _http_errors():
        code = await session_waha.pairing_code(
            pool, directory, user_id=user.id, session_id=session_id, phone_number=body.phone_number
        )
    return PairingCodePublic(code=code)
