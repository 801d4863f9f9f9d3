"""`POST /api/sessions/{id}/backfill`: read from WAHA what webhooks missed, now (see services.backfill)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status

from conectafy.api.deps import DbDep, SessionDirectoryDep
from conectafy.api.routes.chats import OwnedSession
from conectafy.api.services import backfill as backfill_service
from conectafy.api.services.backfill import BackfillReport
from conectafy.waha.errors import WahaError, WahaStatusConflict

router = APIRouter(prefix="/api/sessions/{session_id}", tags=["chats"])


@router.post(
    "/backfill",
    responses={409: {"description": "The session is not connected"}, 503: {"description": "WAHA failed"}},
)
async def backfill(session: OwnedSession, pool: DbDep, directory: SessionDirectoryDep) -> BackfillReport:
    """Every chat's messages newer than the last stored one; what was already stored is skipped."""
    if session.status != "connected":
        detail = {"message": "session is not connected", "phase": session.phase, "status": session.status}
        raise HTTPException(status.HTTP_409_CONFLICT, detail)
    try:
        return await backfill_service.backfill_session(pool, directory, session_name=session.session_name)
    except WahaStatusConflict as error:
        raise HTTPException(status.HTTP_409_CONFLICT, f"WAHA is not WORKING ({error.status})") from error
    except WahaError as error:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, f"WAHA failed: {error.message}") from error
