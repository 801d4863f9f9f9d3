"""`GET /api/sessions/{id}/messages/{message_id}/media`: a message's media file, served by the API.

From our S3 copy when there is one, else fetched from the session's WAHA with its key, so a browser never
needs WAHA's URL or API key. A foreign or unknown session or message is a 404. The file is the sender's
content: it is never rendered as a page of our origin (sandboxed, no sniffing, documents as downloads).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Path, Response, status

from conectafy.api.deps import DbDep, MediaStoreDep, SessionDirectoryDep, SettingsDep
from conectafy.api.media_store import MediaStore, MediaStoreError
from conectafy.api.routes.chats import OwnedSession
from conectafy.api.services.media_copy import WahaDirectory
from conectafy.api.store import media as media_store
from conectafy.api.store.media import MediaRef
from conectafy.logs import get_logger
from conectafy.waha.errors import WahaError, WahaMediaTooLarge, WahaNotFound, WahaUnavailable
from conectafy.waha.models import MediaContent

router = APIRouter(prefix="/api/sessions/{session_id}", tags=["chats"])
log = get_logger(__name__)
_INLINE = ("image/", "audio/", "video/")


async def _from_store(store: MediaStore | None, ref: MediaRef) -> MediaContent | None:
    """Our copy, or None (not copied, or unreadable: WAHA may still have the file)."""
    if store is None or ref.media_storage_key is None:
        return None
    try:
        stored = await store.get(ref.media_storage_key)
    except MediaStoreError as error:
        log.warning("media copy unreadable, asking WAHA", message_row_id=ref.id, error=str(error))
        return None
    return MediaContent(content=stored.content, content_type=stored.content_type)


async def _from_waha(directory: WahaDirectory, ref: MediaRef, max_bytes: int) -> MediaContent:
    if ref.media_url is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "the message's media was not downloaded by WAHA")
    try:
        async with await directory.waha_client(ref.session_name) as waha:
            return await waha.download_media(ref.media_url, max_bytes=max_bytes)
    except WahaNotFound as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "WAHA no longer has this media file") from error
    except WahaUnavailable as error:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, "the session's WAHA is not reachable"
        ) from error
    except WahaMediaTooLarge as error:
        raise HTTPException(status.HTTP_502_BAD_GATEWAY, f"media file too large: {error.message}") from error
    except (WahaError, ValueError) as error:
        raise HTTPException(
            status.HTTP_502_BAD_GATEWAY, f"WAHA could not serve the media: {error}"
        ) from error


def _headers(ref: MediaRef, content_type: str) -> dict[str, str]:
    disposition = "inline" if content_type.startswith(_INLINE) else "attachment"
    if ref.media_filename:
        disposition += f"; filename*=UTF-8''{quote(ref.media_filename, safe='')}"
    return {
        "Content-Disposition": disposition,
        "Content-Security-Policy": "sandbox",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, max-age=3600",
    }


@router.get(
    "/messages/{message_id}/media",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}, "description": "The media file"}},
)
async def get_message_media(
    session: OwnedSession,
    message_id: Annotated[int, Path(ge=1, le=2**63 - 1, description="The message's `id` (not WAHA's)")],
    pool: DbDep,
    directory: SessionDirectoryDep,
    store: MediaStoreDep,
    settings: SettingsDep,
) -> Response:
    ref = await media_store.get_session_media(pool, session_id=session.id, message_row_id=message_id)
    if ref is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "message not found")
    if ref.media_url is None and ref.media_storage_key is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "the message has no media")
    media = await _from_store(store, ref) or await _from_waha(directory, ref, settings.media_max_bytes)
    content_type = ref.media_mimetype or media.content_type or "application/octet-stream"
    return Response(media.content, media_type=content_type, headers=_headers(ref, content_type))
